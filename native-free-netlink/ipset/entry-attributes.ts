// IpsetEntry <-> the attributes inside one IPSET_ATTR_DATA (ADD/DEL/TEST requests and list replies).
//
// Both sides write the same attributes but not in the same order or with the same flags:
// - the ipset tool (lib/session.c addattr_adt) writes them in ascending attribute number, sets
//   NLA_F_NET_BYTEORDER on the IPv4/IPv6 address inside IPSET_ATTR_IP, and appends IPSET_ATTR_LINENO;
// - the kernel's list functions (ip_set_hash_*.c *_data_list, ip_set_put_extensions) write
//   IP, IP2, PORT, CIDR, CIDR2, PROTO, CADT_FLAGS, then TIMEOUT, BYTES, PACKETS, COMMENT, and put the
//   inner address without NLA_F_NET_BYTEORDER.
// Decoding accepts either; encoding takes the style so that both directions are byte-exact.
import { attr, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { formatAddress, parseAnyAddress } from './address.js';
import {
  IPSET_ATTR_BYTES,
  IPSET_ATTR_CADT_FLAGS,
  IPSET_ATTR_CADT_LINENO,
  IPSET_ATTR_CIDR,
  IPSET_ATTR_CIDR2,
  IPSET_ATTR_COMMENT,
  IPSET_ATTR_IP,
  IPSET_ATTR_IP2,
  IPSET_ATTR_IPADDR_IPV4,
  IPSET_ATTR_IPADDR_IPV6,
  IPSET_ATTR_PACKETS,
  IPSET_ATTR_PORT,
  IPSET_ATTR_PROTO,
  IPSET_ATTR_TIMEOUT,
  IPSET_FLAG_NOMATCH,
} from './constants.js';
import type { IpsetEntry } from './types.js';

/** Who writes the attributes: the ipset tool (requests) or the kernel (list replies). */
export type AttributeStyle = 'request' | 'reply';

const NET = { netByteOrderFlag: true };

/** IPSET_ATTR_IP-style nest holding one IPv4 or IPv6 address. */
export function encodeIpAttribute(type: number, address: string, style: AttributeStyle): Attribute {
  const parsed = parseAnyAddress(address);
  if (!parsed) throw new Error(`invalid IP address "${address}"`);
  const inner = parsed.bytes.length === 4 ? IPSET_ATTR_IPADDR_IPV4 : IPSET_ATTR_IPADDR_IPV6;
  return attr.nest(type, [attr.bytes(inner, parsed.bytes, { netByteOrderFlag: style === 'request' })]);
}

export function decodeIpAttribute(a: Attribute): string {
  for (const inner of read.nested(a)) {
    if (inner.type === IPSET_ATTR_IPADDR_IPV4 && inner.data.length >= 4) return formatAddress(inner.data.subarray(0, 4));
    if (inner.type === IPSET_ATTR_IPADDR_IPV6 && inner.data.length >= 16) return formatAddress(inner.data.subarray(0, 16));
  }
  throw new NetlinkDecodeError(`ipset address attribute ${a.type} holds no IPv4/IPv6 address`, 0);
}

function cadtFlags(e: IpsetEntry): number | undefined {
  return e.nomatch ? IPSET_FLAG_NOMATCH : undefined;
}

/**
 * The attributes of one element. `lineno` (request style only) is the IPSET_ATTR_CADT_LINENO the ipset
 * tool appends to every element: 0 for a single `ipset add`, the restore line number in a batch; the
 * kernel reports the failing element's number back in batch mode.
 */
export function encodeEntryAttributes(e: IpsetEntry, style: AttributeStyle, lineno?: number): Attribute[] {
  const out: Attribute[] = [];
  const ip = e.ip !== undefined ? encodeIpAttribute(IPSET_ATTR_IP, e.ip, style) : undefined;
  const ip2 = e.ip2 !== undefined ? encodeIpAttribute(IPSET_ATTR_IP2, e.ip2, style) : undefined;
  const port = e.port !== undefined ? attr.be16(IPSET_ATTR_PORT, e.port, NET) : undefined;
  const cidr = e.cidr !== undefined ? attr.u8(IPSET_ATTR_CIDR, e.cidr) : undefined;
  const cidr2 = e.cidr2 !== undefined ? attr.u8(IPSET_ATTR_CIDR2, e.cidr2) : undefined;
  const proto = e.proto !== undefined ? attr.u8(IPSET_ATTR_PROTO, e.proto) : undefined;
  const flags = cadtFlags(e);
  const cadt = flags !== undefined ? attr.be32(IPSET_ATTR_CADT_FLAGS, flags, NET) : undefined;
  const timeout = e.timeout !== undefined ? attr.be32(IPSET_ATTR_TIMEOUT, e.timeout, NET) : undefined;
  const bytes = e.bytes !== undefined ? attr.be64(IPSET_ATTR_BYTES, e.bytes, NET) : undefined;
  const packets = e.packets !== undefined ? attr.be64(IPSET_ATTR_PACKETS, e.packets, NET) : undefined;
  const comment = e.comment !== undefined ? attr.string(IPSET_ATTR_COMMENT, e.comment) : undefined;
  const ordered =
    style === 'request'
      ? [ip, cidr, port, timeout, proto, cadt, ip2, cidr2, bytes, packets, comment]
      : [ip, ip2, port, cidr, cidr2, proto, cadt, timeout, bytes, packets, comment];
  for (const a of ordered) if (a) out.push(a);
  if (style === 'request' && lineno !== undefined) out.push(attr.be32(IPSET_ATTR_CADT_LINENO, lineno, NET));
  return out;
}

/** Reads an element; unknown attributes (skbinfo, mark, ...) are ignored. Returns the lineno too, if any. */
export function decodeEntryAttributes(attrs: readonly Attribute[]): { entry: IpsetEntry; lineno?: number } {
  const e: IpsetEntry = {};
  let lineno: number | undefined;
  for (const a of attrs) {
    switch (a.type) {
      case IPSET_ATTR_IP: e.ip = decodeIpAttribute(a); break;
      case IPSET_ATTR_IP2: e.ip2 = decodeIpAttribute(a); break;
      case IPSET_ATTR_CIDR: e.cidr = read.u8(a); break;
      case IPSET_ATTR_CIDR2: e.cidr2 = read.u8(a); break;
      case IPSET_ATTR_PORT: e.port = read.be16(a); break;
      case IPSET_ATTR_PROTO: e.proto = read.u8(a); break;
      case IPSET_ATTR_TIMEOUT: e.timeout = read.be32(a); break;
      case IPSET_ATTR_BYTES: e.bytes = read.be64(a); break;
      case IPSET_ATTR_PACKETS: e.packets = read.be64(a); break;
      case IPSET_ATTR_COMMENT: e.comment = read.string(a); break;
      case IPSET_ATTR_CADT_FLAGS: if (read.be32(a) & IPSET_FLAG_NOMATCH) e.nomatch = true; break;
      case IPSET_ATTR_CADT_LINENO: lineno = a.netByteOrder ? read.be32(a) : read.u32(a); break;
      default: break;
    }
  }
  return lineno === undefined ? { entry: e } : { entry: e, lineno };
}
