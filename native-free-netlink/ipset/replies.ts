// Kernel replies to ipset requests, both ways: decoders for the backend, encoders (in the kernel's own
// attribute order, from ip_set_core.c and the set types' head/list functions) for message-level fakes.
//
// LIST and SAVE dumps arrive as NLM_F_MULTI messages of type IPSET_CMD_LIST ending in NLMSG_DONE. The
// first message of a set carries TYPENAME/FAMILY/REVISION/INDEX and the header in IPSET_ATTR_DATA, then
// as many members in IPSET_ATTR_ADT as fit; when a set does not fit, the next messages repeat only
// PROTOCOL and SETNAME and carry more IPSET_ATTR_ADT.
import type { NetlinkAck } from '../core/ack.js';
import { attr, attributeMap, decodeAttributes, read, scanAttributes, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, type NetlinkMessage } from '../core/message.js';
import { decodeNfgen, encodeNfgen, NFNETLINK_V0, NFNL_SUBSYS_IPSET, NFPROTO_IPV4, nfnlMessage, nfnlMessageType, nfnlSubsystem } from '../nfnetlink/nfgenmsg.js';
import {
  IPSET_ATTR_ADT,
  IPSET_ATTR_BUCKETSIZE,
  IPSET_ATTR_CADT_FLAGS,
  IPSET_ATTR_DATA,
  IPSET_ATTR_ELEMENTS,
  IPSET_ATTR_FAMILY,
  IPSET_ATTR_HASHSIZE,
  IPSET_ATTR_INDEX,
  IPSET_ATTR_INITVAL,
  IPSET_ATTR_MAXELEM,
  IPSET_ATTR_MEMSIZE,
  IPSET_ATTR_NETMASK,
  IPSET_ATTR_PORT,
  IPSET_ATTR_PORT_TO,
  IPSET_ATTR_PROTOCOL,
  IPSET_ATTR_PROTOCOL_MIN,
  IPSET_ATTR_REFERENCES,
  IPSET_ATTR_REVISION,
  IPSET_ATTR_REVISION_MIN,
  IPSET_ATTR_SETNAME,
  IPSET_ATTR_TIMEOUT,
  IPSET_ATTR_TYPENAME,
  IPSET_CMD_HEADER,
  IPSET_CMD_LIST,
  IPSET_CMD_PROTOCOL,
  IPSET_CMD_TYPE,
  IPSET_FLAG_WITH_COMMENT,
  IPSET_FLAG_WITH_COUNTERS,
  IPSET_PROTOCOL,
} from './constants.js';
import { decodeEntryAttributes, encodeEntryAttributes } from './entry-attributes.js';
import { IPSET_ERR_EXIST } from './errors.js';
import type { IpsetHeader, IpsetListing } from './types.js';

const NET = { netByteOrderFlag: true };

/** Reply header fields. */
export interface IpsetReplyHeader {
  seq: number;
  /** The requester's port id (the kernel fills it in). */
  pid: number;
  protocol?: number;
}

function ipsetPayloadOf(m: NetlinkMessage, wantCmd: number): Map<number, Attribute> {
  if (nfnlSubsystem(m.type) !== NFNL_SUBSYS_IPSET || nfnlMessage(m.type) !== wantCmd) {
    throw new NetlinkDecodeError(`expected an ipset command ${wantCmd} message, got type 0x${m.type.toString(16)}`, 0);
  }
  return attributeMap(decodeNfgen(m.payload).attrs);
}

function need(a: Map<number, Attribute>, type: number, what: string): Attribute {
  const v = a.get(type);
  if (!v) throw new NetlinkDecodeError(`ipset reply without ${what}`, 0);
  return v;
}

function kernelMessage(cmd: number, flags: number, attrs: readonly Attribute[], h: IpsetReplyHeader): NetlinkMessage {
  return {
    type: nfnlMessageType(NFNL_SUBSYS_IPSET, cmd),
    flags,
    seq: h.seq,
    pid: h.pid,
    // start_msg(): the kernel always writes NFPROTO_IPV4 / NFNETLINK_V0 / res_id 0.
    payload: encodeNfgen({
      family: NFPROTO_IPV4,
      version: NFNETLINK_V0,
      resId: 0,
      attrs: [attr.u8(IPSET_ATTR_PROTOCOL, h.protocol ?? IPSET_PROTOCOL), ...attrs],
    }),
  };
}

// ---- PROTOCOL ----

export interface IpsetProtocolReply {
  protocol: number;
  /** Oldest protocol the kernel accepts (absent on very old kernels). */
  protocolMin?: number;
}

export function decodeProtocolReply(m: NetlinkMessage): IpsetProtocolReply {
  const a = ipsetPayloadOf(m, IPSET_CMD_PROTOCOL);
  const out: IpsetProtocolReply = { protocol: read.u8(need(a, IPSET_ATTR_PROTOCOL, 'protocol')) };
  const min = a.get(IPSET_ATTR_PROTOCOL_MIN);
  if (min) out.protocolMin = read.u8(min);
  return out;
}

/** The kernel always answers with its own IPSET_PROTOCOL and IPSET_PROTOCOL_MIN. */
export function encodeProtocolReply(r: IpsetProtocolReply, h: IpsetReplyHeader): NetlinkMessage {
  const attrs = r.protocolMin !== undefined ? [attr.u8(IPSET_ATTR_PROTOCOL_MIN, r.protocolMin)] : [];
  return kernelMessage(IPSET_CMD_PROTOCOL, 0, attrs, { ...h, protocol: r.protocol });
}

// ---- TYPE ----

export interface IpsetTypeReply {
  type: string;
  family: number;
  /** Newest revision the kernel has for this type and family. */
  revision: number;
  revisionMin?: number;
}

export function decodeTypeReply(m: NetlinkMessage): IpsetTypeReply {
  const a = ipsetPayloadOf(m, IPSET_CMD_TYPE);
  const out: IpsetTypeReply = {
    type: read.string(need(a, IPSET_ATTR_TYPENAME, 'typename')),
    family: read.u8(need(a, IPSET_ATTR_FAMILY, 'family')),
    revision: read.u8(need(a, IPSET_ATTR_REVISION, 'revision')),
  };
  const min = a.get(IPSET_ATTR_REVISION_MIN);
  if (min) out.revisionMin = read.u8(min);
  return out;
}

export function encodeTypeReply(r: IpsetTypeReply, h: IpsetReplyHeader): NetlinkMessage {
  const attrs = [attr.string(IPSET_ATTR_TYPENAME, r.type), attr.u8(IPSET_ATTR_FAMILY, r.family), attr.u8(IPSET_ATTR_REVISION, r.revision)];
  if (r.revisionMin !== undefined) attrs.push(attr.u8(IPSET_ATTR_REVISION_MIN, r.revisionMin));
  return kernelMessage(IPSET_CMD_TYPE, 0, attrs, h);
}

// ---- HEADER ----

export interface IpsetHeaderReply {
  name: string;
  type: string;
  family: number;
  revision: number;
}

export function decodeHeaderReply(m: NetlinkMessage): IpsetHeaderReply {
  const a = ipsetPayloadOf(m, IPSET_CMD_HEADER);
  return {
    name: read.string(need(a, IPSET_ATTR_SETNAME, 'setname')),
    type: read.string(need(a, IPSET_ATTR_TYPENAME, 'typename')),
    family: read.u8(need(a, IPSET_ATTR_FAMILY, 'family')),
    revision: read.u8(need(a, IPSET_ATTR_REVISION, 'revision')),
  };
}

export function encodeHeaderReply(r: IpsetHeaderReply, h: IpsetReplyHeader): NetlinkMessage {
  return kernelMessage(
    IPSET_CMD_HEADER,
    0,
    [attr.string(IPSET_ATTR_SETNAME, r.name), attr.string(IPSET_ATTR_TYPENAME, r.type), attr.u8(IPSET_ATTR_FAMILY, r.family), attr.u8(IPSET_ATTR_REVISION, r.revision)],
    h,
  );
}

// ---- LIST / SAVE dumps ----

function decodeHeaderData(attrs: readonly Attribute[]): IpsetHeader {
  const h: IpsetHeader = {};
  for (const a of attrs) {
    switch (a.type) {
      case IPSET_ATTR_HASHSIZE: h.hashsize = read.be32(a); break;
      case IPSET_ATTR_MAXELEM: h.maxelem = read.be32(a); break;
      case IPSET_ATTR_BUCKETSIZE: h.bucketsize = read.u8(a); break;
      case IPSET_ATTR_INITVAL: h.initval = read.be32(a); break;
      case IPSET_ATTR_NETMASK: h.netmask = read.u8(a); break;
      case IPSET_ATTR_PORT: h.portFrom = read.be16(a); break;
      case IPSET_ATTR_PORT_TO: h.portTo = read.be16(a); break;
      case IPSET_ATTR_TIMEOUT: h.timeout = read.be32(a); break;
      case IPSET_ATTR_REFERENCES: h.references = read.be32(a); break;
      case IPSET_ATTR_MEMSIZE: h.memsize = read.be32(a); break;
      case IPSET_ATTR_ELEMENTS: h.numEntries = read.be32(a); break;
      case IPSET_ATTR_CADT_FLAGS: {
        const f = read.be32(a);
        if (f & IPSET_FLAG_WITH_COUNTERS) h.counters = true;
        if (f & IPSET_FLAG_WITH_COMMENT) h.comment = true;
        const other = f & ~(IPSET_FLAG_WITH_COUNTERS | IPSET_FLAG_WITH_COMMENT);
        if (other) h.otherCadtFlags = other;
        break;
      }
      default: break;
    }
  }
  return h;
}

/**
 * Decodes the messages of a LIST/SAVE dump (NLMSG_DONE and acks are skipped) into one listing per set,
 * joining sets that span several messages. Throws if a message continues a set whose header was never
 * seen, or if the dump carried names only (use decodeSetNames for `namesOnly` dumps).
 */
export function decodeListDump(messages: readonly NetlinkMessage[]): IpsetListing[] {
  return decodeListDumpWith(messages, (_, bytes, start, end) => decodeEntryAttributes(decodeAttributes(bytes.subarray(start, end))).entry);
}

/**
 * decodeListDump with each member's IPSET_ATTR_DATA nest handed to `member` as it is reached, and what it
 * returns kept instead of a decoded entry (undefined: nothing kept). A caller that wants members as text
 * then never holds the decoded form of 100,000 members at once. The nest is `bytes[start, end)` (its
 * data, without the attribute header): no Attribute object or view per member.
 */
export function decodeListDumpWith<T>(
  messages: readonly NetlinkMessage[],
  member: (set: Omit<IpsetListing, 'entries'>, bytes: Uint8Array, start: number, end: number) => T | undefined,
): (Omit<IpsetListing, 'entries'> & { entries: T[] })[] {
  const out: (Omit<IpsetListing, 'entries'> & { entries: T[] })[] = [];
  for (const m of messages) {
    if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) continue;
    const a = ipsetPayloadOf(m, IPSET_CMD_LIST);
    const name = read.string(need(a, IPSET_ATTR_SETNAME, 'setname'));
    let current = out[out.length - 1];
    const data = a.get(IPSET_ATTR_DATA);
    if (data) {
      current = {
        name,
        type: read.string(need(a, IPSET_ATTR_TYPENAME, 'typename')),
        revision: read.u8(need(a, IPSET_ATTR_REVISION, 'revision')),
        family: read.u8(need(a, IPSET_ATTR_FAMILY, 'family')),
        header: decodeHeaderData(read.nested(data)),
        entries: [],
      };
      const index = a.get(IPSET_ATTR_INDEX);
      if (index) current.index = index.netByteOrder ? read.be16(index) : read.u16(index);
      out.push(current);
    } else if (!current || current.name !== name) {
      throw new NetlinkDecodeError(`ipset list message for set "${name}" without its header (names-only dump?)`, 0);
    }
    const adt = a.get(IPSET_ATTR_ADT);
    if (!adt) continue;
    const set = current;
    scanAttributes(adt.data, (_type, start, end) => {
      const v = member(set, adt.data, start, end);
      if (v !== undefined) set.entries.push(v);
    });
  }
  return out;
}

/** Set names from a `namesOnly` LIST dump (or any LIST dump: names of the sets, once each, in order). */
export function decodeSetNames(messages: readonly NetlinkMessage[]): string[] {
  const names: string[] = [];
  for (const m of messages) {
    if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) continue;
    const name = read.string(need(ipsetPayloadOf(m, IPSET_CMD_LIST), IPSET_ATTR_SETNAME, 'setname'));
    if (names[names.length - 1] !== name) names.push(name);
  }
  return names;
}

/** Header DATA in the kernel's order: hash mtype_head() / bitmap mtype_head() then ip_set_put_flags(). */
function encodeHeaderData(h: IpsetHeader): Attribute[] {
  const out: Attribute[] = [];
  if (h.portFrom !== undefined) out.push(attr.be16(IPSET_ATTR_PORT, h.portFrom, NET));
  if (h.portTo !== undefined) out.push(attr.be16(IPSET_ATTR_PORT_TO, h.portTo, NET));
  if (h.hashsize !== undefined) out.push(attr.be32(IPSET_ATTR_HASHSIZE, h.hashsize, NET));
  if (h.maxelem !== undefined) out.push(attr.be32(IPSET_ATTR_MAXELEM, h.maxelem, NET));
  if (h.netmask !== undefined) out.push(attr.u8(IPSET_ATTR_NETMASK, h.netmask));
  if (h.bucketsize !== undefined) out.push(attr.u8(IPSET_ATTR_BUCKETSIZE, h.bucketsize));
  if (h.initval !== undefined) out.push(attr.be32(IPSET_ATTR_INITVAL, h.initval, NET));
  if (h.references !== undefined) out.push(attr.be32(IPSET_ATTR_REFERENCES, h.references, NET));
  if (h.memsize !== undefined) out.push(attr.be32(IPSET_ATTR_MEMSIZE, h.memsize, NET));
  if (h.numEntries !== undefined) out.push(attr.be32(IPSET_ATTR_ELEMENTS, h.numEntries, NET));
  if (h.timeout !== undefined) out.push(attr.be32(IPSET_ATTR_TIMEOUT, h.timeout, NET));
  const cadt = (h.counters ? IPSET_FLAG_WITH_COUNTERS : 0) | (h.comment ? IPSET_FLAG_WITH_COMMENT : 0) | (h.otherCadtFlags ?? 0);
  if (cadt !== 0) out.push(attr.be32(IPSET_ATTR_CADT_FLAGS, cadt, NET));
  return out;
}

export interface ListReplyOptions {
  /**
   * How many entries each message carries: a number for all messages, or one count per message (the
   * kernel fills each skb as far as it goes, so a capture's split is given as counts). By default all
   * entries go in the first message.
   */
  entriesPerMessage?: number | readonly number[];
  /** Answer to a `headersOnly` (IPSET_FLAG_LIST_HEADER) list: one message without IPSET_ATTR_ADT. */
  headerOnly?: boolean;
}

/**
 * The dump messages the kernel sends for one set (without the final NLMSG_DONE: see encodeDumpDone).
 * Always at least one message, whose IPSET_ATTR_ADT may be empty, as the kernel sends it.
 */
export function encodeListReply(l: IpsetListing, o: ListReplyOptions, h: IpsetReplyHeader): NetlinkMessage[] {
  const counts: number[] = [];
  let left = l.entries.length;
  const per = o.entriesPerMessage;
  for (let i = 0; left > 0 || i === 0; i++) {
    const n = per === undefined ? left : typeof per === 'number' ? per : (per[i] ?? left);
    if (n <= 0 && left > 0) throw new Error('entriesPerMessage must be positive');
    counts.push(Math.min(n, left));
    left -= Math.min(n, left);
  }
  const out: NetlinkMessage[] = [];
  let at = 0;
  counts.forEach((n, i) => {
    const attrs: Attribute[] = [attr.string(IPSET_ATTR_SETNAME, l.name)];
    if (i === 0) {
      attrs.push(attr.string(IPSET_ATTR_TYPENAME, l.type), attr.u8(IPSET_ATTR_FAMILY, l.family), attr.u8(IPSET_ATTR_REVISION, l.revision));
      if (l.index !== undefined) attrs.push(attr.be16(IPSET_ATTR_INDEX, l.index, NET));
      attrs.push(attr.nest(IPSET_ATTR_DATA, encodeHeaderData(l.header)));
    }
    const slice = l.entries.slice(at, at + n);
    at += n;
    if (!o.headerOnly) attrs.push(attr.nest(IPSET_ATTR_ADT, slice.map((e) => attr.nest(IPSET_ATTR_DATA, encodeEntryAttributes(e, 'reply')))));
    out.push(kernelMessage(IPSET_CMD_LIST, NLM_F_MULTI, attrs, h));
  });
  return o.headerOnly ? out.slice(0, 1) : out;
}

/** Answer to a `namesOnly` (IPSET_FLAG_LIST_SETNAME) list: one message per set, PROTOCOL and SETNAME only. */
export function encodeSetNamesReply(names: readonly string[], h: IpsetReplyHeader): NetlinkMessage[] {
  return names.map((n) => kernelMessage(IPSET_CMD_LIST, NLM_F_MULTI, [attr.string(IPSET_ATTR_SETNAME, n)], h));
}

/** The dump's end: NLMSG_DONE with NLM_F_MULTI and a zero int payload, as netlink_dump() sends it. */
export function encodeDumpDone(h: IpsetReplyHeader): NetlinkMessage {
  return { type: NLMSG_DONE, flags: NLM_F_MULTI, seq: h.seq, pid: h.pid, payload: new Uint8Array(4) };
}

// ---- TEST ----

/** TEST answers "not a member" with IPSET_ERR_EXIST; any other non-zero errno is a real failure. */
export function isTestMiss(ack: NetlinkAck): boolean {
  return ack.errno === IPSET_ERR_EXIST;
}
