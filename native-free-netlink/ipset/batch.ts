// Many entries, few messages. The kernel's ADD/DEL handler (ip_set_core.c ip_set_ad) accepts either one
// IPSET_ATTR_DATA or an IPSET_ATTR_ADT nest holding any number of IPSET_ATTR_DATA elements (then a
// top-level IPSET_ATTR_LINENO is mandatory). It applies the elements in order under one nfnl mutex hold
// and stops at the first failure: earlier elements stay applied, later ones are not tried, and instead of
// the usual ack it sends back an NLMSG_ERROR carrying the whole request with the top-level LINENO
// overwritten by the failing element's IPSET_ATTR_CADT_LINENO. The ipset tool's restore mode packs
// elements this way into one page (4 KiB, ~100 hash:ip,port elements); we may go much further.
//
// The hard limit is nla_len, a u16: the IPSET_ATTR_ADT nest cannot exceed 65535 bytes.
import { decodeAttributes, encodeAttribute, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK, read, type Attribute } from '../core/attributes.js';
import { view } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { encodeMessage, NLMSG_ERROR, NLMSG_HDRLEN, type NetlinkMessage } from '../core/message.js';
import { NFGENMSG_LEN } from '../nfnetlink/nfgenmsg.js';
import { IPSET_ATTR_LINENO } from './constants.js';
import {
  encodeAdtBatchRequest,
  encodeAdtRequest,
  encodeBatchElement,
  IPSET_ADT_NEST_MAX,
  type AdtCommand,
  type ExistOption,
  type IpsetRequestHeader,
} from './requests.js';
import type { IpsetEntry } from './types.js';

/**
 * Default budget per message. About 800 hash:ip,port (IPv4) or 380 hash:ip,port,net (IPv6) elements:
 * 8x what `ipset restore` sends per message, half the hard limit, and a failed batch's error reply (which
 * echoes the whole request) still fits any sane receive buffer.
 */
export const DEFAULT_ADT_MESSAGE_BYTES = 32 * 1024;

export interface AdtBatchOptions extends ExistOption {
  /** Upper bound of one message's size in bytes (default DEFAULT_ADT_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** Line number of entries[0] (default 1): a long list encoded a slice at a time keeps numbering on. */
  firstLineno?: number;
}

export interface AdtBatch {
  message: NetlinkMessage;
  /** The entries in this message; entry i has lineno firstLineno + i. */
  entries: IpsetEntry[];
  firstLineno: number;
}

/**
 * Splits ADD/DEL of many entries into as few messages as the budget allows. Line numbers run across the
 * whole list (entry k has lineno firstLineno + k), so an error's lineno points into `entries` directly. Message
 * i gets sequence number firstSeq + i.
 */
export function encodeAdtBatches(
  cmd: AdtCommand,
  setName: string,
  entries: readonly IpsetEntry[],
  o: AdtBatchOptions,
  h: IpsetRequestHeader & { seq: number },
): AdtBatch[] {
  const budget = o.maxMessageBytes ?? DEFAULT_ADT_MESSAGE_BYTES;
  // Fixed part: nlmsghdr + nfgenmsg + PROTOCOL (8) + SETNAME + LINENO (8) + ADT nest header (4).
  const setNameLen = 4 + new TextEncoder().encode(setName).length + 1;
  const fixed = NLMSG_HDRLEN + NFGENMSG_LEN + 8 + ((setNameLen + 3) & ~3) + 8 + 4;
  const out: AdtBatch[] = [];
  let group: Attribute[] = [];
  let groupEntries: IpsetEntry[] = [];
  let groupBytes = 0;
  const start = o.firstLineno ?? 1;
  if (!Number.isInteger(start) || start < 1) throw new Error(`firstLineno must be a positive integer, not ${start}`);
  let first = start;
  const flush = (): void => {
    if (group.length === 0) return;
    out.push({
      message: encodeAdtBatchRequest(cmd, setName, group, first, o, { ...h, seq: h.seq + out.length }),
      entries: groupEntries,
      firstLineno: first,
    });
    first += group.length;
    group = [];
    groupEntries = [];
    groupBytes = 0;
  };
  entries.forEach((e, i) => {
    const el = encodeBatchElement(e, start + i);
    const size = encodeAttribute(el).length;
    if (fixed + size > budget || 4 + size > IPSET_ADT_NEST_MAX) {
      throw new Error(`ipset ${setName}: one element takes ${size} bytes, more than the ${budget}-byte message budget`);
    }
    if (group.length > 0 && (fixed + groupBytes + size > budget || 4 + groupBytes + size > IPSET_ADT_NEST_MAX)) flush();
    group.push(el);
    groupEntries.push(e);
    groupBytes += size;
  });
  flush();
  return out;
}

/** One message per entry, as `ipset add` would send them (for comparison and for tiny changes). */
export function encodeAdtSingles(
  cmd: AdtCommand,
  setName: string,
  entries: readonly IpsetEntry[],
  o: ExistOption,
  h: IpsetRequestHeader & { seq: number },
): NetlinkMessage[] {
  return entries.map((e, i) => encodeAdtRequest(cmd, setName, [e], o, { ...h, seq: h.seq + i }));
}

/**
 * The failing element's lineno from the NLMSG_ERROR the kernel sends for a failed batch (the echoed
 * request's top-level IPSET_ATTR_LINENO); undefined when the error carries no echoed lineno (a capped
 * ack, or an error before any element was tried, e.g. ENOENT for a missing set: then it is the batch's
 * first lineno, unchanged).
 */
export function decodeAdtErrorLineno(m: NetlinkMessage): number | undefined {
  if (m.type !== NLMSG_ERROR) throw new NetlinkDecodeError(`not an NLMSG_ERROR (type ${m.type})`, 0);
  const p = m.payload;
  const echoedStart = 4;
  if (p.length < echoedStart + NLMSG_HDRLEN) return undefined;
  const echoedLen = view(p).getUint32(echoedStart, true);
  // A capped ack echoes only the header: nothing to read.
  if (p.length < echoedStart + echoedLen || echoedLen < NLMSG_HDRLEN + NFGENMSG_LEN) return undefined;
  const attrs = decodeAttributes(p.subarray(echoedStart + NLMSG_HDRLEN + NFGENMSG_LEN, echoedStart + echoedLen));
  const lineno = attrs.find((a) => a.type === IPSET_ATTR_LINENO);
  if (!lineno) return undefined;
  // ipset sends it big-endian with NLA_F_NET_BYTEORDER; the kernel copies the element's raw value back.
  return lineno.netByteOrder ? read.be32(lineno) : read.u32(lineno);
}

/**
 * The kernel's answer to a batch that failed at element `lineno` (ip_set_core.c call_ad): an NLMSG_ERROR
 * with flags 0 echoing the whole request, its top-level IPSET_ATTR_LINENO overwritten with the element's
 * raw lineno value. `pid` is the requester's port id, which the kernel puts in nlmsg_pid. For fakes.
 */
export function encodeAdtErrorReply(request: NetlinkMessage, errno: number, lineno: number, pid = request.pid): NetlinkMessage {
  const echoed = encodeMessage(request).slice(0, NLMSG_HDRLEN + request.payload.length);
  const attrsStart = NLMSG_HDRLEN + NFGENMSG_LEN;
  const dv = view(echoed);
  for (let off = attrsStart; off + 4 <= echoed.length; ) {
    const len = dv.getUint16(off, true);
    const type = dv.getUint16(off + 2, true);
    if (len < 4) break;
    if ((type & NLA_TYPE_MASK) === IPSET_ATTR_LINENO && len >= 8) {
      dv.setUint32(off + 4, lineno, (type & NLA_F_NET_BYTEORDER) === 0);
      break;
    }
    off += (len + 3) & ~3;
  }
  const payload = new Uint8Array(4 + echoed.length);
  view(payload).setInt32(0, -errno, true);
  payload.set(echoed, 4);
  return { type: NLMSG_ERROR, flags: 0, seq: request.seq, pid, payload };
}
