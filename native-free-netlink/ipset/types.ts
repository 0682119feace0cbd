// Plain value types of the ipset codec. Addresses are canonical text (see address.ts); protocols are IP
// protocol numbers (6 tcp, 17 udp, 132 sctp, ...); everything else is what the kernel stores.
import type { NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_UNSPEC } from '../nfnetlink/nfgenmsg.js';

/** The set types this codec can parse and print members of (kube-proxy's five, plus hash:net). */
export type IpsetTypeName = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'hash:net' | 'bitmap:port';

export const IPSET_TYPE_NAMES: readonly IpsetTypeName[] = [
  'hash:ip', 'hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net', 'hash:net', 'bitmap:port',
];

export function isIpsetTypeName(s: string): s is IpsetTypeName {
  return (IPSET_TYPE_NAMES as readonly string[]).includes(s);
}

/** NFPROTO_IPV4 (inet), NFPROTO_IPV6 (inet6), NFPROTO_UNSPEC (bitmap:port, list:set). */
export type IpsetFamily = typeof NFPROTO_IPV4 | typeof NFPROTO_IPV6 | typeof NFPROTO_UNSPEC;

/** `ipset create NAME TYPE ...` */
export interface IpsetCreate {
  name: string;
  /** Type name as the kernel knows it: "hash:ip,port". Not restricted to IpsetTypeName. */
  type: string;
  /** Type revision to create; ask the kernel with a TYPE request (decodeTypeReply) for the newest one. */
  revision: number;
  family: IpsetFamily;
  hashsize?: number;
  maxelem?: number;
  /** bitmap:port range. */
  portFrom?: number;
  portTo?: number;
  /** Default element timeout in seconds; makes the set a timeout set. */
  timeout?: number;
  counters?: boolean;
  comment?: boolean;
}

/**
 * One member as the kernel stores it. Which fields are set depends on the set type:
 * hash:ip {ip}; hash:ip,port {ip, proto, port}; hash:ip,port,ip {ip, proto, port, ip2};
 * hash:ip,port,net {ip, proto, port, ip2, cidr2}; hash:net {ip, cidr}; bitmap:port {port}.
 * parseEntry() fills exactly those (so a parsed entry deep-equals the one decoded from a list dump);
 * entries decoded from requests carry what the request carried.
 */
export interface IpsetEntry {
  ip?: string;
  /** Prefix length of `ip` (hash:net). */
  cidr?: number;
  /** IP protocol number (IPPROTO_*). */
  proto?: number;
  /** Port; for ICMP/ICMPv6 (type << 8) | code, as the kernel stores it. */
  port?: number;
  ip2?: string;
  /** Prefix length of `ip2` (hash:ip,port,net). */
  cidr2?: number;
  // Extensions, present only on sets created with them.
  timeout?: number;
  packets?: bigint;
  bytes?: bigint;
  comment?: string;
  /** hash:*net* "nomatch" members (IPSET_FLAG_NOMATCH). */
  nomatch?: boolean;
}

/** Header data of a listed set (IPSET_ATTR_DATA of the first list message of a set). */
export interface IpsetHeader {
  hashsize?: number;
  maxelem?: number;
  /** Hash bucket size (kernel 5.9+, revision-dependent). */
  bucketsize?: number;
  /** Hash seed (kernel 5.9+). */
  initval?: number;
  netmask?: number;
  /** bitmap:port range. */
  portFrom?: number;
  portTo?: number;
  timeout?: number;
  counters?: boolean;
  comment?: boolean;
  /** Other IPSET_ATTR_CADT_FLAGS bits than counters/comment, verbatim (forceadd, skbinfo, ...). */
  otherCadtFlags?: number;
  memsize?: number;
  references?: number;
  /** Number of entries (IPSET_ATTR_ELEMENTS; sent by kernels since 4.x). */
  numEntries?: number;
}

/** One set from a LIST/SAVE dump. */
export interface IpsetListing {
  name: string;
  type: string;
  revision: number;
  family: number;
  /** Kernel index of the set (IPSET_ATTR_INDEX, protocol 7). */
  index?: number;
  header: IpsetHeader;
  /** In kernel (hash) order. */
  entries: IpsetEntry[];
}
