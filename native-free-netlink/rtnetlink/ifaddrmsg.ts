// Address message payloads: struct ifaddrmsg (if_addr.h, 8 bytes) followed by IFA_* attributes. The
// lossless layer, as ifinfomsg.ts is for links.
import { decodeAttributes, encodeAttributes, type Attribute } from '../core/attributes.js';
import { concatBytes, u32le, view } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';

export const IFADDRMSG_LEN = 8;

/** struct ifaddrmsg { u8 ifa_family; u8 ifa_prefixlen; u8 ifa_flags; u8 ifa_scope; u32 ifa_index }. */
export interface IfAddrMsg {
  family: number;
  prefixLength: number;
  /** Only the low 8 IFA_F_* bits; the full set travels in IFA_FLAGS. */
  flags: number;
  scope: number;
  index: number;
}

export interface AddressPayload {
  header: IfAddrMsg;
  attrs: Attribute[];
}

export function encodeIfAddrMsg(h: IfAddrMsg): Uint8Array {
  if (h.flags > 0xff) throw new RangeError(`ifa_flags is one byte; put ${h.flags} in IFA_FLAGS`);
  return concatBytes([Uint8Array.of(h.family, h.prefixLength, h.flags, h.scope), u32le(h.index)]);
}

export function decodeIfAddrMsg(b: Uint8Array): IfAddrMsg {
  if (b.length < IFADDRMSG_LEN) throw new NetlinkDecodeError(`ifaddrmsg needs ${IFADDRMSG_LEN} bytes, got ${b.length}`, 0);
  return { family: b[0]!, prefixLength: b[1]!, flags: b[2]!, scope: b[3]!, index: view(b).getUint32(4, true) };
}

export function encodeAddressPayload(p: AddressPayload): Uint8Array {
  return concatBytes([encodeIfAddrMsg(p.header), encodeAttributes(p.attrs)]);
}

export function decodeAddressPayload(payload: Uint8Array): AddressPayload {
  return {
    header: decodeIfAddrMsg(payload),
    attrs: decodeAttributes(payload.subarray(IFADDRMSG_LEN), IFADDRMSG_LEN),
  };
}
