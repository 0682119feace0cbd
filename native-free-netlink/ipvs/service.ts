// The attributes inside IPVS_CMD_ATTR_SERVICE, both ways.
//
// What the kernel requires (ip_vs_genl_parse_service): AF, and FWMARK or PROTOCOL+ADDR+PORT, always; for
// NEW_SERVICE and SET_SERVICE also SCHED_NAME, FLAGS, TIMEOUT and NETMASK (else EINVAL). PE_NAME is optional.
// Byte order: PORT is __be16. NETMASK is read with nla_get_be32 and stored raw: for IPv4 it is a mask in
// network order, but for IPv6 the kernel casts that raw value to a host-order prefix length
// (`plen = (__force __u32) u->netmask`, ip_vs_add_service), so an IPv6 netmask of 128 travels as host-order
// u32 (80 00 00 00 on little-endian), which is also what ipvsadm sends and what the kernel echoes back.
import { attr, attributeMap, read, type Attribute } from '../core/attributes.js';
import { getU32le, u32le } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { AF_INET6 } from '../core/ip.js';
import { familyName, isAddressFamily, packAddress, unpackAddress, type AddressEncoding } from './address.js';
import {
  IP_VS_PENAME_MAXLEN,
  IP_VS_SCHEDNAME_MAXLEN,
  IP_VS_SVC_F_HASHED,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPVS_SVC_ATTR_ADDR,
  IPVS_SVC_ATTR_AF,
  IPVS_SVC_ATTR_FLAGS,
  IPVS_SVC_ATTR_FWMARK,
  IPVS_SVC_ATTR_NETMASK,
  IPVS_SVC_ATTR_PE_NAME,
  IPVS_SVC_ATTR_PORT,
  IPVS_SVC_ATTR_PROTOCOL,
  IPVS_SVC_ATTR_SCHED_NAME,
  IPVS_SVC_ATTR_STATS,
  IPVS_SVC_ATTR_STATS64,
  IPVS_SVC_ATTR_TIMEOUT,
} from './constants.js';
import { unpackStats } from './stats.js';
import type { IpvsService, IpvsServiceKey, IpvsServiceStats } from './types.js';

export interface ServiceEncoding extends AddressEncoding {
  /**
   * `mask` of struct ip_vs_flags: which flag bits this request sets. Default 0xffffffff (all, as ipvsadm
   * does). For SET_SERVICE the kernel keeps the service's current bits outside the mask.
   */
  flagsMask?: number;
}

const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [IPPROTO_TCP, 'tcp'],
  [IPPROTO_UDP, 'udp'],
  [IPPROTO_SCTP, 'sctp'],
]);

export function protocolName(p: number): string {
  return PROTOCOL_NAMES.get(p) ?? `proto ${p}`;
}

/** "tcp 10.96.0.10:80", "udp [fd00::a]:53", "fwmark 5", "fwmark 5 inet6": how errors name a service. */
export function describeServiceKey(k: IpvsServiceKey): string {
  if (k.fwmark) return `fwmark ${k.fwmark}${k.family === AF_INET6 ? ' inet6' : ''}`;
  return `${protocolName(k.protocol)} ${hostPort(k.address, k.port)}`;
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Only the identifying fields of a service (drops scheduler, flags, ... if `k` is a full IpvsService). */
export function serviceKey(k: IpvsServiceKey): IpvsServiceKey {
  return { family: k.family, protocol: k.protocol, address: k.address, port: k.port, fwmark: k.fwmark };
}

function checkKey(k: IpvsServiceKey): void {
  const what = describeServiceKey(k);
  if (!isAddressFamily(k.family)) throw new Error(`service ${what}: unsupported family ${k.family}`);
  if (k.fwmark !== 0) {
    if (!Number.isInteger(k.fwmark) || k.fwmark < 0 || k.fwmark > 0xffffffff) throw new Error(`service ${what}: bad fwmark`);
    if (k.protocol !== 0 || k.address !== '' || k.port !== 0) {
      throw new Error(`service ${what}: a fwmark service has no protocol, address or port`);
    }
    return;
  }
  if (!Number.isInteger(k.protocol) || k.protocol <= 0 || k.protocol > 0xffff) throw new Error(`service ${what}: bad protocol`);
  if (!Number.isInteger(k.port) || k.port < 0 || k.port > 0xffff) throw new Error(`service ${what}: bad port`);
}

/** AF then FWMARK or PROTOCOL, ADDR, PORT: the identity, in the order ipvsadm and the kernel write it. */
export function packServiceKey(k: IpvsServiceKey, o: AddressEncoding = {}): Attribute[] {
  checkKey(k);
  const out = [attr.u16(IPVS_SVC_ATTR_AF, k.family)];
  if (k.fwmark !== 0) {
    out.push(attr.u32(IPVS_SVC_ATTR_FWMARK, k.fwmark));
  } else {
    out.push(
      attr.u16(IPVS_SVC_ATTR_PROTOCOL, k.protocol),
      attr.bytes(IPVS_SVC_ATTR_ADDR, packAddress(k.address, k.family, `service ${describeServiceKey(k)}`, o)),
      attr.be16(IPVS_SVC_ATTR_PORT, k.port),
    );
  }
  return out;
}

/** struct ip_vs_flags { u32 flags; u32 mask; } in host order. */
export function packFlags(flags: number, mask: number): Uint8Array {
  const b = new Uint8Array(8);
  b.set(u32le(flags), 0);
  b.set(u32le(mask), 4);
  return b;
}

export function unpackFlags(a: Attribute): { flags: number; mask: number } {
  if (a.data.length < 8) throw new NetlinkDecodeError(`IPVS_SVC_ATTR_FLAGS has ${a.data.length} bytes, want 8`, 0);
  return { flags: getU32le(a.data, 0), mask: getU32le(a.data, 4) };
}

/** NETMASK bytes: IPv4 mask in network order, IPv6 prefix length in host order (see the header comment). */
export function packNetmask(netmask: number, family: number): Attribute {
  return family === AF_INET6 ? attr.u32(IPVS_SVC_ATTR_NETMASK, netmask) : attr.be32(IPVS_SVC_ATTR_NETMASK, netmask);
}

export function unpackNetmask(a: Attribute, family: number): number {
  return family === AF_INET6 ? read.u32(a) : read.be32(a);
}

function u32ok(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function checkName(name: string, max: number, what: string, svc: string): void {
  // NLA_NUL_STRING with .len = 16: at most 15 bytes plus the NUL.
  if (new TextEncoder().encode(name).length > max - 1) throw new Error(`service ${svc}: ${what} name "${name}" longer than ${max - 1} bytes`);
}

/**
 * What the kernel would refuse in a NEW_SERVICE / SET_SERVICE, checked before sending so the error names the
 * service: an empty scheduler (ENOENT) and an IPv6 netmask outside 1..128 (EINVAL). packService itself
 * encodes any encodable value, because ipvsadm sends such values in DEL_SERVICE and GET_SERVICE.
 */
export function checkServiceForAdd(s: IpvsService): void {
  const what = describeServiceKey(s);
  if (s.scheduler === '') throw new Error(`service ${what}: empty scheduler name`);
  if (s.family === AF_INET6 && (s.netmask < 1 || s.netmask > 128)) {
    throw new Error(`service ${what}: IPv6 netmask must be a prefix length 1..128, got ${s.netmask}`);
  }
}

/**
 * Every attribute NEW_SERVICE / SET_SERVICE need, in the kernel's order: AF, FWMARK | PROTOCOL ADDR PORT,
 * SCHED_NAME, PE_NAME (when set), FLAGS, TIMEOUT, NETMASK. IP_VS_SVC_F_HASHED is always left out of flags.
 */
export function packService(s: IpvsService, o: ServiceEncoding = {}): Attribute[] {
  const what = describeServiceKey(s);
  checkName(s.scheduler, IP_VS_SCHEDNAME_MAXLEN, 'scheduler', what);
  if (s.peName !== undefined && s.peName !== '') checkName(s.peName, IP_VS_PENAME_MAXLEN, 'persistence engine', what);
  if (!u32ok(s.flags) || !u32ok(s.timeout) || !u32ok(s.netmask)) throw new Error(`service ${what}: flags, timeout and netmask must be u32`);
  const out = packServiceKey(s, o);
  out.push(attr.string(IPVS_SVC_ATTR_SCHED_NAME, s.scheduler));
  if (s.peName !== undefined && s.peName !== '') out.push(attr.string(IPVS_SVC_ATTR_PE_NAME, s.peName));
  out.push(
    attr.bytes(IPVS_SVC_ATTR_FLAGS, packFlags((s.flags & ~IP_VS_SVC_F_HASHED) >>> 0, o.flagsMask ?? 0xffffffff)),
    attr.u32(IPVS_SVC_ATTR_TIMEOUT, s.timeout),
    packNetmask(s.netmask, s.family),
  );
  return out;
}

function required(m: Map<number, Attribute>, type: number, name: string): Attribute {
  const a = m.get(type);
  if (!a) throw new NetlinkDecodeError(`IPVS service without ${name}`, 0);
  return a;
}

/** The identity of a service nest's attributes (the same rule as the kernel: AF + FWMARK or PROTOCOL/ADDR/PORT). */
export function unpackServiceKey(attrs: readonly Attribute[]): IpvsServiceKey {
  const m = attributeMap(attrs);
  const family = read.u16(required(m, IPVS_SVC_ATTR_AF, 'IPVS_SVC_ATTR_AF'));
  if (!isAddressFamily(family)) throw new NetlinkDecodeError(`IPVS service with ${familyName(family)}`, 0);
  const fwmark = m.get(IPVS_SVC_ATTR_FWMARK);
  if (fwmark) return { family, protocol: 0, address: '', port: 0, fwmark: read.u32(fwmark) };
  return {
    family,
    protocol: read.u16(required(m, IPVS_SVC_ATTR_PROTOCOL, 'IPVS_SVC_ATTR_PROTOCOL')),
    address: unpackAddress(required(m, IPVS_SVC_ATTR_ADDR, 'IPVS_SVC_ATTR_ADDR').data, family),
    port: read.be16(required(m, IPVS_SVC_ATTR_PORT, 'IPVS_SVC_ATTR_PORT')),
    fwmark: 0,
  };
}

/** A full service (identity + SCHED_NAME, FLAGS, TIMEOUT, NETMASK; PE_NAME if present). Flags lose HASHED. */
export function unpackService(attrs: readonly Attribute[]): IpvsService {
  const key = unpackServiceKey(attrs);
  const m = attributeMap(attrs);
  const { flags, mask } = unpackFlags(required(m, IPVS_SVC_ATTR_FLAGS, 'IPVS_SVC_ATTR_FLAGS'));
  const svc: IpvsService = {
    ...key,
    scheduler: read.string(required(m, IPVS_SVC_ATTR_SCHED_NAME, 'IPVS_SVC_ATTR_SCHED_NAME')),
    flags: (flags & mask & ~IP_VS_SVC_F_HASHED) >>> 0,
    timeout: read.u32(required(m, IPVS_SVC_ATTR_TIMEOUT, 'IPVS_SVC_ATTR_TIMEOUT')),
    netmask: unpackNetmask(required(m, IPVS_SVC_ATTR_NETMASK, 'IPVS_SVC_ATTR_NETMASK'), key.family),
  };
  const pe = m.get(IPVS_SVC_ATTR_PE_NAME);
  if (pe) svc.peName = read.string(pe);
  return svc;
}

/** The counters of a service nest from a reply; either nest may be absent (STATS64 before Linux 4.1). */
export function unpackServiceStats(attrs: readonly Attribute[]): IpvsServiceStats {
  const m = attributeMap(attrs);
  const out: IpvsServiceStats = {};
  const s = m.get(IPVS_SVC_ATTR_STATS);
  if (s) out.stats = unpackStats(read.nested(s));
  const s64 = m.get(IPVS_SVC_ATTR_STATS64);
  if (s64) out.stats64 = unpackStats(read.nested(s64));
  return out;
}

