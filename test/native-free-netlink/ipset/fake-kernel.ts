// A message-level fake of the kernel's ipset subsystem: a function from one request message to the reply
// messages, with the semantics of ip_set_core.c that matter to a proxy (exist via NLM_F_EXCL, batches
// stopping at the first failure with the lineno report, dumps split over several messages). It speaks
// only through the codec, so tests using it check that our requests mean what we think they mean.
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import type { NetlinkMessage } from '../../../native-free-netlink/core/message.js';
import {
  decodeRequest,
  encodeAdtErrorReply,
  encodeDumpDone,
  encodeHeaderReply,
  encodeListReply,
  encodeProtocolReply,
  encodeSetNamesReply,
  encodeTypeReply,
  formatEntry,
  IPSET_ERR_BUSY,
  IPSET_ERR_EXIST,
  IPSET_ERR_EXIST_SETNAME2,
  IPSET_ERR_FIND_TYPE,
  IPSET_ERR_TYPE_MISMATCH,
  type IpsetEntry,
  type IpsetListing,
} from '../../../native-free-netlink/ipset/index.js';

const ENOENT = 2;
const EEXIST = 17;
const PID = 0x4242;

interface FakeSet {
  listing: IpsetListing;
  members: Map<string, IpsetEntry>;
  hashsize?: number;
  maxelem?: number;
  references: number;
}

export class FakeIpsetKernel {
  readonly sets = new Map<string, FakeSet>();
  readonly revisions = new Map([['hash:ip', 6], ['hash:ip,port', 7], ['hash:ip,port,ip', 6], ['hash:ip,port,net', 8], ['hash:net', 7], ['bitmap:port', 3]]);
  /** Members per dump message, to exercise multi-message dumps. */
  entriesPerMessage = 3;

  members(name: string): string[] {
    const s = this.sets.get(name);
    return s ? [...s.members.keys()].sort() : [];
  }

  private key(s: FakeSet, e: IpsetEntry): string {
    return formatEntry(s.listing.type, s.listing.family, e);
  }

  handle = (m: NetlinkMessage): NetlinkMessage[] => {
    const { request: r } = decodeRequest(m);
    const ack = (errno: number): NetlinkMessage[] => [{ ...encodeAck(m, errno), pid: PID }];
    const h = { seq: m.seq, pid: PID };
    switch (r.cmd) {
      case 'protocol':
        return [encodeProtocolReply({ protocol: 7, protocolMin: 6 }, h)];
      case 'type': {
        const rev = this.revisions.get(r.typeName);
        return rev === undefined ? ack(IPSET_ERR_FIND_TYPE) : [encodeTypeReply({ type: r.typeName, family: r.family, revision: rev, revisionMin: 0 }, h)];
      }
      case 'header': {
        const s = this.sets.get(r.setName);
        if (!s) return ack(ENOENT);
        return [encodeHeaderReply({ name: r.setName, type: s.listing.type, family: s.listing.family, revision: s.listing.revision }, h)];
      }
      case 'create': {
        const c = r.create;
        const old = this.sets.get(c.name);
        if (old) {
          const same = old.listing.type === c.type && old.listing.family === c.family && old.hashsize === c.hashsize && old.maxelem === c.maxelem;
          return ack(r.exist && same ? 0 : EEXIST);
        }
        if (!this.revisions.has(c.type)) return ack(IPSET_ERR_FIND_TYPE);
        const header = c.type === 'bitmap:port' ? { portFrom: c.portFrom ?? 0, portTo: c.portTo ?? 65535 } : { hashsize: c.hashsize ?? 1024, maxelem: c.maxelem ?? 65536 };
        this.sets.set(c.name, {
          listing: { name: c.name, type: c.type, revision: c.revision, family: c.family, header, entries: [] },
          members: new Map(),
          references: 0,
          ...(c.hashsize !== undefined ? { hashsize: c.hashsize } : {}),
          ...(c.maxelem !== undefined ? { maxelem: c.maxelem } : {}),
        });
        return ack(0);
      }
      case 'destroy': {
        if (r.setName === undefined) {
          if ([...this.sets.values()].some((s) => s.references > 0)) return ack(IPSET_ERR_BUSY);
          this.sets.clear();
          return ack(0);
        }
        const s = this.sets.get(r.setName);
        if (!s) return ack(r.exist ? 0 : ENOENT);
        if (s.references > 0) return ack(IPSET_ERR_BUSY);
        this.sets.delete(r.setName);
        return ack(0);
      }
      case 'flush': {
        const targets = r.setName === undefined ? [...this.sets.values()] : [this.sets.get(r.setName)];
        if (targets.some((s) => !s)) return ack(ENOENT);
        for (const s of targets) s!.members.clear();
        return ack(0);
      }
      case 'rename': {
        const s = this.sets.get(r.from);
        if (!s) return ack(ENOENT);
        if (this.sets.has(r.to)) return ack(IPSET_ERR_EXIST_SETNAME2);
        this.sets.delete(r.from);
        s.listing.name = r.to;
        this.sets.set(r.to, s);
        return ack(0);
      }
      case 'swap': {
        const a = this.sets.get(r.a);
        const b = this.sets.get(r.b);
        if (!a) return ack(ENOENT);
        if (!b) return ack(IPSET_ERR_EXIST_SETNAME2);
        if (a.listing.type !== b.listing.type || a.listing.family !== b.listing.family) return ack(IPSET_ERR_TYPE_MISMATCH);
        [a.listing.name, b.listing.name] = [b.listing.name, a.listing.name];
        this.sets.set(r.a, b);
        this.sets.set(r.b, a);
        return ack(0);
      }
      case 'list':
      case 'save': {
        const name = r.cmd === 'list' ? r.options.setName : r.setName;
        const chosen = name === undefined ? [...this.sets.values()] : [this.sets.get(name)];
        if (chosen.some((s) => !s)) return ack(ENOENT);
        const out: NetlinkMessage[] = [];
        if (r.cmd === 'list' && r.options.namesOnly) {
          out.push(...encodeSetNamesReply(chosen.map((s) => s!.listing.name), h));
          out.push(encodeDumpDone(h));
          return out;
        }
        const headerOnly = r.cmd === 'list' && r.options.headersOnly === true;
        chosen.forEach((s, index) => {
          const listing = { ...s!.listing, index, entries: [...s!.members.values()], header: { ...s!.listing.header, references: s!.references, numEntries: s!.members.size } };
          out.push(...encodeListReply(listing, { entriesPerMessage: this.entriesPerMessage, headerOnly }, h));
        });
        out.push(encodeDumpDone(h));
        return out;
      }
      case 'add':
      case 'del': {
        const s = this.sets.get(r.setName);
        if (!s) return ack(ENOENT);
        for (let i = 0; i < r.entries.length; i++) {
          const e = r.entries[i]!;
          const k = this.key(s, e);
          const present = s.members.has(k);
          let errno = 0;
          if (r.cmd === 'add') {
            if (present && !r.exist) errno = IPSET_ERR_EXIST;
            else s.members.set(k, e);
          } else if (!present) {
            if (!r.exist) errno = IPSET_ERR_EXIST;
          } else s.members.delete(k);
          if (errno !== 0) {
            const lineno = r.batch?.linenos[i] ?? 0;
            return lineno !== 0 ? [encodeAdtErrorReply(m, errno, lineno, PID)] : ack(errno);
          }
        }
        return ack(0);
      }
      case 'test': {
        const s = this.sets.get(r.setName);
        if (!s) return ack(ENOENT);
        return ack(s.members.has(this.key(s, r.entry)) ? 0 : IPSET_ERR_EXIST);
      }
    }
  };
}
