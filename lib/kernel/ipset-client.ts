// ipset over nfnetlink: learns the kernel's protocol and type revisions, lists every set with its members
// in ipset's text syntax, and builds the request messages for changes (many members per message, as
// `ipset restore` does, which is what makes big syncs cheap).
import { decodeAttributes, read } from '../../native-free-netlink/core/attributes.js';
import { EBUSY } from '../../native-free-netlink/core/errno.js';
import type { NetlinkMessage } from '../../native-free-netlink/core/message.js';
import { NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_UNSPEC } from '../../native-free-netlink/nfnetlink/index.js';
import {
  IPSET_CMD_ADD,
  IPSET_CMD_DEL,
  IPSET_CMD_LIST,
  IPSET_PROTOCOL,
  LIST_SET_TYPE,
  decodeEntryAttributes,
  decodeListDumpWith,
  decodeProtocolReply,
  decodeTypeReply,
  encodeAdtBatches,
  encodeCreateRequest,
  encodeDestroyRequest,
  encodeFlushRequest,
  encodeListRequest,
  encodeListSetAdt,
  encodeListSetCreate,
  encodeProtocolRequest,
  encodeRenameRequest,
  encodeSwapRequest,
  encodeTypeRequest,
  formatEntry,
  formatIpv4EntryData,
  IPSET_ATTR_NAME,
  ipsetErrorFromAck,
  parseEntry,
  type IpsetListing,
} from '../../native-free-netlink/ipset/index.js';
import type { ListedIpset } from '../engine/ledger.js';
import type { Family } from '../state/types.js';
import type { NetlinkConnection } from '../netlink/connection.js';
import { KernelError } from './kernel-error.js';

/** A request with what it is about, so a failure names the set and member. */
export interface IpsetRequest {
  message: NetlinkMessage;
  cmd: number;
  setName?: string;
  typeName?: string;
  /** Members carried, in order: a batch failure's lineno points into this. */
  members?: readonly string[];
  firstLineno?: number;
}

/** Members parsed and encoded per slice by IpsetClient.members. */
export const MEMBER_SLICE = 8192;

export function familyNumber(type: string, family: Family | undefined): number {
  if (type === 'bitmap:port' || type === LIST_SET_TYPE) return NFPROTO_UNSPEC;
  return family === 'inet6' ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

function familyText(n: number): string {
  return n === NFPROTO_IPV6 ? 'inet6' : 'inet';
}

/** How often a listing interrupted by concurrent changes (NLM_F_DUMP_INTR) is read again before giving up. */
const DUMP_ATTEMPTS = 5;

export class IpsetClient {
  private readonly revisions = new Map<string, number>();

  private constructor(
    readonly conn: NetlinkConnection,
    readonly protocol: number,
  ) {}

  static async open(conn: NetlinkConnection): Promise<IpsetClient> {
    const [r] = await conn.exchange([encodeProtocolRequest({ seq: 0 })]);
    if (r!.ack && r!.ack.errno !== 0) {
      throw new KernelError('ipset PROTOCOL', '', r!.ack.errno, 'the kernel has no ipset support (ip_set module)?');
    }
    const reply = r!.replies[0] ? decodeProtocolReply(r!.replies[0]) : { protocol: IPSET_PROTOCOL };
    return new IpsetClient(conn, Math.min(reply.protocol, IPSET_PROTOCOL));
  }

  private header() {
    return { seq: 0, protocol: this.protocol };
  }

  /** Newest revision of a set type the kernel has, as `ipset create` picks it. */
  async revision(type: string, family: number): Promise<number> {
    const key = `${type}/${family}`;
    const known = this.revisions.get(key);
    if (known !== undefined) return known;
    const m = encodeTypeRequest(type, family, this.header());
    const [r] = await this.conn.exchange([m]);
    if (r!.ack && r!.ack.errno !== 0) throw new KernelError('ipset TYPE', `${type} ${familyText(family)}`, r!.ack.errno, 'set type not supported by this kernel (module missing)?');
    const rev = decodeTypeReply(r!.replies[0]!).revision;
    this.revisions.set(key, rev);
    return rev;
  }

  /** Every set with its members in ipset's text, list:set members as set names. */
  async list(): Promise<ListedIpset[]> {
    // A dump the kernel flags NLM_F_DUMP_INTR (changed while it was read) may hold a half-applied state:
    // read again, as the IPVS and link clients do, rather than plan from it.
    for (let attempt = 1; ; attempt++) {
      // Every set's members (20,000 and more): apart from the socket member changes go over.
      const [r] = await this.conn.exchange([encodeListRequest({}, this.header())], { apart: true });
      if (r!.ack && r!.ack.errno !== 0) throw new KernelError('ipset LIST', 'all sets', r!.ack.errno, r!.ack.message);
      if (!r!.dumpInterrupted) return this.decodeList(r!.replies);
      if (attempt >= DUMP_ATTEMPTS) throw new KernelError('ipset LIST', 'all sets', EBUSY, `interrupted by concurrent changes ${attempt} times`);
    }
  }

  private decodeList(replies: readonly NetlinkMessage[]): ListedIpset[] {
    // One pass, each member turned into its text as it is decoded (a listing of 100,000 members never
    // exists as decoded entry objects); a set whose members the codec cannot decode or print (a foreign
    // set of another type) lists without members.
    const unprintable = new Set<string>();
    const sets = decodeListDumpWith(replies, (set, bytes, start, end): string | undefined => {
      if (set.type === LIST_SET_TYPE) {
        const member = decodeAttributes(bytes.subarray(start, end)).find((a) => a.type === IPSET_ATTR_NAME);
        return member ? read.string(member) : undefined;
      }
      if (unprintable.has(set.name)) return undefined;
      // The common members straight from their bytes; anything else through the general decoder.
      const fast = formatIpv4EntryData(set.type, set.family, bytes, start, end);
      if (fast !== undefined) return fast;
      const attrs = decodeAttributes(bytes.subarray(start, end)); // bad framing fails the listing
      try {
        return formatEntry(set.type, set.family, decodeEntryAttributes(attrs).entry);
      } catch {
        unprintable.add(set.name);
        return undefined;
      }
    });
    return sets.map((l) => toListed(l, unprintable.has(l.name) ? [] : l.entries));
  }

  // ---- request builders (sent by the executor, many per exchange) ----

  async create(name: string, type: string, family: Family | undefined, o: { hashsize?: number; maxelem?: number; range?: string; size?: number }): Promise<IpsetRequest> {
    const fam = familyNumber(type, family);
    const revision = await this.revision(type, fam);
    if (type === LIST_SET_TYPE) {
      return { message: encodeListSetCreate(name, o.size ?? 8, revision, {}, this.header()), cmd: 2, setName: name, typeName: type };
    }
    const [from, to] = (o.range ?? '0-65535').split('-').map(Number);
    const message = encodeCreateRequest(
      {
        name,
        type,
        revision,
        family: fam as 0 | 2 | 10,
        ...(type === 'bitmap:port' ? { portFrom: from!, portTo: to! } : { hashsize: o.hashsize ?? 1024, maxelem: o.maxelem ?? 65536 }),
      },
      {},
      this.header(),
    );
    return { message, cmd: 2, setName: name, typeName: type };
  }

  destroy(name: string): IpsetRequest {
    return { message: encodeDestroyRequest(name, {}, this.header()), cmd: 3, setName: name };
  }

  flush(name: string): IpsetRequest {
    return { message: encodeFlushRequest(name, this.header()), cmd: 4, setName: name };
  }

  rename(from: string, to: string): IpsetRequest {
    return { message: encodeRenameRequest(from, to, this.header()), cmd: 5, setName: from };
  }

  swap(a: string, b: string): IpsetRequest {
    return { message: encodeSwapRequest(a, b, this.header()), cmd: 6, setName: a };
  }

  /** ADD or DEL members (ipset text) with "exist" semantics, as few messages as fit. */
  members(cmd: typeof IPSET_CMD_ADD | typeof IPSET_CMD_DEL, name: string, type: string, family: Family | undefined, members: readonly string[]): IpsetRequest[] {
    if (type === LIST_SET_TYPE) {
      return [{ message: encodeListSetAdt(cmd, name, members, { exist: true }, this.header()), cmd, setName: name, typeName: type, members, firstLineno: members.length > 1 ? 1 : 0 }];
    }
    const fam = familyNumber(type, family);
    const out: IpsetRequest[] = [];
    // Parsed a slice at a time: the parsed form of 100,000 members (KUBE-LOOP-BACK at 10,000 services)
    // is many times the size of their messages. Line numbers run on across slices.
    for (let k = 0; k < members.length; k += MEMBER_SLICE) {
      const entries = members.slice(k, k + MEMBER_SLICE).map((m) => parseEntry(type, fam, m));
      for (const b of encodeAdtBatches(cmd, name, entries, { exist: true, firstLineno: k + 1 }, { ...this.header(), seq: 0 })) {
        out.push({
          message: b.message,
          cmd,
          setName: name,
          typeName: type,
          members: members.slice(b.firstLineno - 1, b.firstLineno - 1 + b.entries.length),
          firstLineno: b.firstLineno,
        });
      }
    }
    return out;
  }

  /** Sends requests batched; returns one error (or undefined) per request. */
  async send(requests: readonly IpsetRequest[]): Promise<(Error | undefined)[]> {
    const results = await this.conn.exchange(requests.map((r) => r.message));
    return results.map((res, i) => {
      const req = requests[i]!;
      if (!res.ack || res.ack.errno === 0) return undefined;
      return ipsetErrorFromAck(res.ack, { cmd: req.cmd, setName: req.setName, typeName: req.typeName, element: req.members && req.members.length === 1 ? req.members[0] : undefined });
    });
  }
}

function toListed(l: Omit<IpsetListing, 'entries'>, entries: string[]): ListedIpset {
  const out: ListedIpset = {
    name: l.name,
    type: l.type,
    family: familyText(l.family),
    entries,
  };
  if (l.header.hashsize !== undefined) out.hashsize = l.header.hashsize;
  if (l.header.maxelem !== undefined) out.maxelem = l.header.maxelem;
  if (l.header.portFrom !== undefined && l.header.portTo !== undefined) out.range = `${l.header.portFrom}-${l.header.portTo}`;
  return out;
}

export { IPSET_CMD_ADD, IPSET_CMD_DEL, IPSET_CMD_LIST };
