// A conntrack tuple (CTA_TUPLE_ORIG / CTA_TUPLE_REPLY / CTA_TUPLE_MASTER): CTA_TUPLE_IP (source and
// destination address), CTA_TUPLE_PROTO (IP protocol and ports) and, in requests, CTA_TUPLE_ZONE.
// Addresses and ports travel in network byte order without NLA_F_NET_BYTEORDER; nests carry NLA_F_NESTED
// (libmnl's mnl_attr_nest_start sets it, as the captures of `conntrack` show).
import { attr, decodeAttributes, read, type Attribute } from '../core/attributes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { AF_INET, AF_INET6, bytesToIp, ipToBytes, type AddressFamily } from '../core/ip.js';
import {
  CTA_IP_V4_DST,
  CTA_IP_V4_SRC,
  CTA_IP_V6_DST,
  CTA_IP_V6_SRC,
  CTA_PROTO_DST_PORT,
  CTA_PROTO_NUM,
  CTA_PROTO_SRC_PORT,
  CTA_TUPLE_IP,
  CTA_TUPLE_PROTO,
  CTA_TUPLE_ZONE,
} from './constants.js';

/** Every field optional: a request's tuple (a filter or a delete key) may name only some of them. */
export interface ConntrackTuple {
  src?: string;
  dst?: string;
  /** IP protocol number (IPPROTO_UDP ...). */
  protocol?: number;
  srcPort?: number;
  dstPort?: number;
  /** CTA_TUPLE_ZONE: the tuple's conntrack zone (requests only; flows carry CTA_ZONE at top level). */
  zone?: number;
}

/** The address family of a tuple's addresses; throws if they mix IPv4 and IPv6. */
export function tupleFamily(t: ConntrackTuple): AddressFamily | undefined {
  const families = [t.src, t.dst].filter((a): a is string => a !== undefined).map((a) => ipToBytes(a).family);
  if (families.length === 2 && families[0] !== families[1]) {
    throw new Error(`conntrack tuple mixes address families: ${t.src} -> ${t.dst}`);
  }
  return families[0];
}

export function encodeTuple(type: number, t: ConntrackTuple): Attribute {
  const children: Attribute[] = [];
  if (t.src !== undefined || t.dst !== undefined) {
    const ip: Attribute[] = [];
    for (const [addr, v4, v6] of [
      [t.src, CTA_IP_V4_SRC, CTA_IP_V6_SRC],
      [t.dst, CTA_IP_V4_DST, CTA_IP_V6_DST],
    ] as const) {
      if (addr === undefined) continue;
      const { family, bytes } = ipToBytes(addr);
      ip.push(attr.bytes(family === AF_INET ? v4 : v6, bytes));
    }
    children.push(attr.nest(CTA_TUPLE_IP, ip));
  }
  if (t.protocol !== undefined || t.srcPort !== undefined || t.dstPort !== undefined) {
    const proto: Attribute[] = [];
    if (t.protocol !== undefined) proto.push(attr.u8(CTA_PROTO_NUM, t.protocol));
    if (t.srcPort !== undefined) proto.push(attr.be16(CTA_PROTO_SRC_PORT, t.srcPort));
    if (t.dstPort !== undefined) proto.push(attr.be16(CTA_PROTO_DST_PORT, t.dstPort));
    children.push(attr.nest(CTA_TUPLE_PROTO, proto));
  }
  if (t.zone !== undefined) children.push(attr.be16(CTA_TUPLE_ZONE, t.zone));
  return attr.nest(type, children);
}

function address(a: Attribute, family: AddressFamily, what: string): string {
  const want = family === AF_INET ? 4 : 16;
  if (a.data.length !== want) throw new NetlinkDecodeError(`${what} of ${a.data.length} bytes, expected ${want}`, 0);
  return bytesToIp(a.data, family);
}

/** Decodes a tuple nest's children; unknown attributes (ICMP ids, types) are skipped. */
export function decodeTuple(a: Attribute): ConntrackTuple {
  const t: ConntrackTuple = {};
  for (const child of decodeAttributes(a.data)) {
    if (child.type === CTA_TUPLE_IP) {
      for (const ip of decodeAttributes(child.data)) {
        if (ip.type === CTA_IP_V4_SRC) t.src = address(ip, AF_INET, 'CTA_IP_V4_SRC');
        else if (ip.type === CTA_IP_V4_DST) t.dst = address(ip, AF_INET, 'CTA_IP_V4_DST');
        else if (ip.type === CTA_IP_V6_SRC) t.src = address(ip, AF_INET6, 'CTA_IP_V6_SRC');
        else if (ip.type === CTA_IP_V6_DST) t.dst = address(ip, AF_INET6, 'CTA_IP_V6_DST');
      }
    } else if (child.type === CTA_TUPLE_PROTO) {
      for (const p of decodeAttributes(child.data)) {
        if (p.type === CTA_PROTO_NUM) t.protocol = read.u8(p);
        else if (p.type === CTA_PROTO_SRC_PORT) t.srcPort = read.be16(p);
        else if (p.type === CTA_PROTO_DST_PORT) t.dstPort = read.be16(p);
      }
    } else if (child.type === CTA_TUPLE_ZONE) {
      t.zone = read.be16(child);
    }
  }
  return t;
}
