// struct nlmsghdr framing (linux/netlink.h): 16-byte header, payload, padding to 4 bytes.
import { align4, concatBytes, getU16le, getU32le, setU16le, setU32le } from './bytes.js';
import { NetlinkDecodeError } from './errors.js';

export const NLMSG_HDRLEN = 16;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
/** Types below this are netlink's own control messages; families start here. */
export const NLMSG_MIN_TYPE = 0x10;

// Flags common to all requests.
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
// GET requests.
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_ATOMIC = 0x400;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// NEW requests.
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
// Flags on NLMSG_ERROR acks.
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  /** Port id (nlmsg_pid): 0 for messages to/from the kernel. */
  pid: number;
  /** Everything after the 16-byte header, without trailing padding. */
  payload: Uint8Array;
}

export function encodeMessage(m: NetlinkMessage): Uint8Array {
  const len = NLMSG_HDRLEN + m.payload.length;
  const out = new Uint8Array(align4(len));
  setU32le(out, 0, len);
  setU16le(out, 4, m.type);
  setU16le(out, 6, m.flags);
  setU32le(out, 8, m.seq >>> 0);
  setU32le(out, 12, m.pid >>> 0);
  out.set(m.payload, NLMSG_HDRLEN);
  return out;
}

/** Several messages in one datagram: how batches and multipart replies travel. */
export function encodeMessages(ms: readonly NetlinkMessage[]): Uint8Array {
  return concatBytes(ms.map(encodeMessage));
}

/** Splits one received datagram into its messages. Throws NetlinkDecodeError on a malformed header. */
export function decodeMessages(buf: Uint8Array): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = getU32le(buf, off);
    // Some senders (iproute2's dump requests) pad the datagram with zeros past the last message.
    if (len === 0 && !buf.subarray(off).some((b) => b !== 0)) break;
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      throw new NetlinkDecodeError(`bad nlmsg_len ${len} with ${buf.length - off} bytes left`, off);
    }
    out.push({
      type: getU16le(buf, off + 4),
      flags: getU16le(buf, off + 6),
      seq: getU32le(buf, off + 8),
      pid: getU32le(buf, off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len), // a view into the datagram (see decodeAttributes)
    });
    off += align4(len);
  }
  // Anything left must be zero padding; anything else means we lost framing.
  if (off < buf.length && buf.subarray(off).some((b) => b !== 0)) {
    throw new NetlinkDecodeError(`${buf.length - off} trailing bytes`, off);
  }
  return out;
}
