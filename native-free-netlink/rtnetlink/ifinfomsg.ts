// Link message payloads: struct ifinfomsg (rtnetlink.h, 16 bytes) followed by IFLA_* attributes. This is
// the lossless layer: decode then encode gives back the same bytes, whatever attributes the kernel sent.
import { decodeAttributes, encodeAttributes, type Attribute } from '../core/attributes.js';
import { concatBytes, view } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';

export const IFINFOMSG_LEN = 16;

/**
 * struct ifinfomsg { u8 ifi_family; u8 __ifi_pad; u16 ifi_type; int ifi_index; u32 ifi_flags; u32 ifi_change }.
 * `change` is the mask of `flags` bits a request wants changed (0 in replies).
 */
export interface IfInfoMsg {
  family: number;
  /** ARPHRD_* of the link (replies); 0 in requests. */
  type: number;
  /** 0 in a request means "look the link up by IFLA_IFNAME" (or "pick one" on create). */
  index: number;
  flags: number;
  change: number;
}

export interface LinkPayload {
  header: IfInfoMsg;
  attrs: Attribute[];
}

export function encodeIfInfoMsg(h: IfInfoMsg): Uint8Array {
  const out = new Uint8Array(IFINFOMSG_LEN);
  const dv = view(out);
  dv.setUint8(0, h.family);
  // byte 1 is __ifi_pad: the kernel's strict checks reject anything but 0.
  dv.setUint16(2, h.type, true);
  dv.setInt32(4, h.index, true);
  dv.setUint32(8, h.flags >>> 0, true);
  dv.setUint32(12, h.change >>> 0, true);
  return out;
}

export function decodeIfInfoMsg(b: Uint8Array): IfInfoMsg {
  if (b.length < IFINFOMSG_LEN) throw new NetlinkDecodeError(`ifinfomsg needs ${IFINFOMSG_LEN} bytes, got ${b.length}`, 0);
  const dv = view(b);
  return {
    family: dv.getUint8(0),
    type: dv.getUint16(2, true),
    index: dv.getInt32(4, true),
    flags: dv.getUint32(8, true),
    change: dv.getUint32(12, true),
  };
}

export function encodeLinkPayload(p: LinkPayload): Uint8Array {
  return concatBytes([encodeIfInfoMsg(p.header), encodeAttributes(p.attrs)]);
}

export function decodeLinkPayload(payload: Uint8Array): LinkPayload {
  return {
    header: decodeIfInfoMsg(payload),
    attrs: decodeAttributes(payload.subarray(IFINFOMSG_LEN), IFINFOMSG_LEN),
  };
}
