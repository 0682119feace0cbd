// NLMSG_ERROR payloads (struct nlmsgerr): an int error (0 = ACK, negative errno otherwise), the header of the
// request it answers (plus the request's payload unless NLM_F_CAPPED), then extended-ack TLVs when
// NLM_F_ACK_TLVS is set (NLMSGERR_ATTR_MSG = text, NLMSGERR_ATTR_OFFS = offset of the bad attribute).
import { decodeAttributes, read } from './attributes.js';
import { getI32le, getU16le, getU32le, view } from './bytes.js';
import { NetlinkDecodeError } from './errors.js';
import { encodeMessage, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSG_ERROR, NLMSG_HDRLEN, type NetlinkMessage } from './message.js';

export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLMSGERR_ATTR_COOKIE = 3;
export const NLMSGERR_ATTR_POLICY = 4;
export const NLMSGERR_ATTR_MISS_TYPE = 5;
export const NLMSGERR_ATTR_MISS_NEST = 6;

export interface NetlinkAck {
  /** Positive errno; 0 means success. */
  errno: number;
  /** Header of the request this answers. */
  request: { type: number; flags: number; seq: number; pid: number };
  /** Extended ack text, when the kernel gave one. */
  message?: string;
  /** Offset of the offending attribute in the request, when given. */
  offset?: number;
  missingType?: number;
}

export function decodeAck(m: NetlinkMessage): NetlinkAck {
  if (m.type !== NLMSG_ERROR) throw new NetlinkDecodeError(`not an NLMSG_ERROR (type ${m.type})`, 0);
  if (m.payload.length < 4 + NLMSG_HDRLEN) throw new NetlinkDecodeError('NLMSG_ERROR too short', 0);
  const p = m.payload;
  const error = getI32le(p, 0);
  const reqLen = getU32le(p, 4);
  const ack: NetlinkAck = {
    errno: error === 0 ? 0 : -error,
    request: {
      type: getU16le(p, 8),
      flags: getU16le(p, 10),
      seq: getU32le(p, 12),
      pid: getU32le(p, 16),
    },
  };
  if (m.flags & NLM_F_ACK_TLVS) {
    // Without NLM_F_CAPPED the kernel echoes the whole request; the TLVs follow it (4-aligned).
    const echoed = m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : (reqLen + 3) & ~3;
    const tlvStart = 4 + echoed;
    if (tlvStart <= m.payload.length) {
      for (const a of decodeAttributes(m.payload.subarray(tlvStart))) {
        if (a.type === NLMSGERR_ATTR_MSG) ack.message = read.string(a);
        else if (a.type === NLMSGERR_ATTR_OFFS) ack.offset = read.u32(a);
        else if (a.type === NLMSGERR_ATTR_MISS_TYPE) ack.missingType = read.u32(a);
      }
    }
  }
  return ack;
}

/** Builds an NLMSG_ERROR reply: used by message-level fakes in tests, and matches the kernel's capped form. */
export function encodeAck(request: NetlinkMessage, errno: number, message?: string): NetlinkMessage {
  const hdr = encodeMessage({ ...request, payload: new Uint8Array(0) }).subarray(0, NLMSG_HDRLEN);
  const head = new Uint8Array(4 + NLMSG_HDRLEN);
  const dv = view(head);
  dv.setInt32(0, -errno, true);
  head.set(hdr, 4);
  // Echo the request's real length, as the kernel does even when capped.
  dv.setUint32(4, NLMSG_HDRLEN + request.payload.length, true);
  let payload = head;
  let flags = NLM_F_CAPPED;
  if (message !== undefined) {
    const text = new TextEncoder().encode(message + '\0');
    const tlvLen = 4 + text.length;
    const tlv = new Uint8Array((tlvLen + 3) & ~3);
    view(tlv).setUint16(0, tlvLen, true);
    view(tlv).setUint16(2, NLMSGERR_ATTR_MSG, true);
    tlv.set(text, 4);
    payload = new Uint8Array(head.length + tlv.length);
    payload.set(head);
    payload.set(tlv, head.length);
    flags |= NLM_F_ACK_TLVS;
  }
  return { type: NLMSG_ERROR, flags, seq: request.seq, pid: 0, payload };
}
