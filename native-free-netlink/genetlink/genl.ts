// Generic netlink (linux/genetlink.h): a 4-byte genlmsghdr {u8 cmd, u8 version, u16 reserved} then attributes.
import { decodeAttributes, encodeAttributes, type Attribute } from '../core/attributes.js';
import { concatBytes } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';

export const GENL_HDRLEN = 4;

export interface GenlPayload {
  cmd: number;
  version: number;
  attrs: Attribute[];
}

export function encodeGenl(p: GenlPayload): Uint8Array {
  return concatBytes([Uint8Array.of(p.cmd, p.version, 0, 0), encodeAttributes(p.attrs)]);
}

export function decodeGenl(payload: Uint8Array): GenlPayload {
  if (payload.length < GENL_HDRLEN) throw new NetlinkDecodeError('genetlink payload shorter than genlmsghdr', 0);
  return { cmd: payload[0]!, version: payload[1]!, attrs: decodeAttributes(payload.subarray(GENL_HDRLEN), GENL_HDRLEN) };
}
