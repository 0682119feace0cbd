// The attributes inside IPVS_CMD_ATTR_DEST, both ways.
//
// What the kernel requires (ip_vs_genl_parse_dest): ADDR and PORT always; for NEW_DEST and SET_DEST also
// FWD_METHOD, WEIGHT, U_THRESH and L_THRESH (else EINVAL). ADDR_FAMILY (Linux >= 3.18) is optional: without it
// the destination takes the service's family; with a different family the kernel only accepts
// IP_VS_CONN_F_TUNNEL. TUN_TYPE/TUN_PORT/TUN_FLAGS (Linux >= 5.3) are optional. Older kernels ignore
// attribute types they do not know, so sending ADDR_FAMILY and the tunnel attributes is always safe.
import { attr, attributeEnd, attributeMap, checkAttributePadding, NLA_HDRLEN, NLA_TYPE_MASK, read, type Attribute } from '../core/attributes.js';
import { align4, getU16be, getU16le, getU32le } from '../core/bytes.js';
import { NetlinkDecodeError } from '../core/errors.js';
import { AF_INET, ipv4Text, type AddressFamily } from '../core/ip.js';
import { familyName, isAddressFamily, packAddress, unpackAddress, type AddressEncoding } from './address.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_MASQ,
  IPVS_DEST_ATTR_ACTIVE_CONNS,
  IPVS_DEST_ATTR_ADDR,
  IPVS_DEST_ATTR_ADDR_FAMILY,
  IPVS_DEST_ATTR_FWD_METHOD,
  IPVS_DEST_ATTR_INACT_CONNS,
  IPVS_DEST_ATTR_L_THRESH,
  IPVS_DEST_ATTR_PERSIST_CONNS,
  IPVS_DEST_ATTR_PORT,
  IPVS_DEST_ATTR_STATS,
  IPVS_DEST_ATTR_STATS64,
  IPVS_DEST_ATTR_TUN_FLAGS,
  IPVS_DEST_ATTR_TUN_PORT,
  IPVS_DEST_ATTR_TUN_TYPE,
  IPVS_DEST_ATTR_U_THRESH,
  IPVS_DEST_ATTR_WEIGHT,
} from './constants.js';
import { hostPort } from './service.js';
import { unpackStats } from './stats.js';
import type { IpvsDestination, IpvsDestinationEntry, IpvsDestinationKey, IpvsDestinationStats } from './types.js';

export function describeDestinationKey(d: IpvsDestinationKey): string {
  return hostPort(d.address, d.port);
}

export function destinationKey(d: IpvsDestinationKey): IpvsDestinationKey {
  return { family: d.family, address: d.address, port: d.port };
}

function u32ok(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** ADDR_FAMILY, ADDR, PORT: the identity, in ipvsadm's order. */
export function packDestinationKey(d: IpvsDestinationKey, o: AddressEncoding = {}): Attribute[] {
  const what = `destination ${describeDestinationKey(d)}`;
  if (!isAddressFamily(d.family)) throw new Error(`${what}: unsupported family ${d.family}`);
  if (!Number.isInteger(d.port) || d.port < 0 || d.port > 0xffff) throw new Error(`${what}: bad port`);
  return [
    attr.u16(IPVS_DEST_ATTR_ADDR_FAMILY, d.family),
    attr.bytes(IPVS_DEST_ATTR_ADDR, packAddress(d.address, d.family, what, o)),
    attr.be16(IPVS_DEST_ATTR_PORT, d.port),
  ];
}

/**
 * Every attribute NEW_DEST / SET_DEST need, in ipvsadm 1.31's order: ADDR_FAMILY, ADDR, PORT, FWD_METHOD,
 * WEIGHT, [TUN_TYPE, TUN_PORT, TUN_FLAGS when `tunnel` is set], U_THRESH, L_THRESH.
 */
export function packDestination(d: IpvsDestination, o: AddressEncoding = {}): Attribute[] {
  const what = `destination ${describeDestinationKey(d)}`;
  // MASQ, LOCALNODE, TUNNEL, DROUTE; the kernel masks with IP_VS_CONN_F_FWD_MASK (7) but 4..7 are not methods.
  if (!Number.isInteger(d.forward) || d.forward < IP_VS_CONN_F_MASQ || d.forward > IP_VS_CONN_F_DROUTE) {
    throw new Error(`${what}: bad forwarding method ${d.forward}`);
  }
  // The kernel stores the weight in an int and answers ERANGE for a negative one.
  if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 0x7fffffff) throw new Error(`${what}: bad weight ${d.weight}`);
  if (!u32ok(d.upperThreshold) || !u32ok(d.lowerThreshold)) throw new Error(`${what}: bad thresholds`);
  const out = packDestinationKey(d, o);
  out.push(attr.u32(IPVS_DEST_ATTR_FWD_METHOD, d.forward), attr.u32(IPVS_DEST_ATTR_WEIGHT, d.weight));
  if (d.tunnel) {
    out.push(
      attr.u8(IPVS_DEST_ATTR_TUN_TYPE, d.tunnel.type),
      attr.be16(IPVS_DEST_ATTR_TUN_PORT, d.tunnel.port),
      attr.u16(IPVS_DEST_ATTR_TUN_FLAGS, d.tunnel.flags),
    );
  }
  out.push(attr.u32(IPVS_DEST_ATTR_U_THRESH, d.upperThreshold), attr.u32(IPVS_DEST_ATTR_L_THRESH, d.lowerThreshold));
  return out;
}

function required(m: Map<number, Attribute>, type: number, name: string): Attribute {
  const a = m.get(type);
  if (!a) throw new NetlinkDecodeError(`IPVS destination without ${name}`, 0);
  return a;
}

function familyOf(m: Map<number, Attribute>, serviceFamily: AddressFamily | undefined): AddressFamily {
  const af = m.get(IPVS_DEST_ATTR_ADDR_FAMILY);
  // Kernels before 3.18 send no ADDR_FAMILY: the destination then has the service's family.
  const family = af ? read.u16(af) : serviceFamily;
  if (family === undefined) throw new NetlinkDecodeError('IPVS destination without ADDR_FAMILY and no service family given', 0);
  if (!isAddressFamily(family)) throw new NetlinkDecodeError(`IPVS destination with ${familyName(family)}`, 0);
  return family;
}

export function unpackDestinationKey(attrs: readonly Attribute[], serviceFamily?: AddressFamily): IpvsDestinationKey {
  const m = attributeMap(attrs);
  const family = familyOf(m, serviceFamily);
  return {
    family,
    address: unpackAddress(required(m, IPVS_DEST_ATTR_ADDR, 'IPVS_DEST_ATTR_ADDR').data, family),
    port: read.be16(required(m, IPVS_DEST_ATTR_PORT, 'IPVS_DEST_ATTR_PORT')),
  };
}

/** A full destination. `serviceFamily` is only used when the nest carries no ADDR_FAMILY (old kernels). */
export function unpackDestination(attrs: readonly Attribute[], serviceFamily?: AddressFamily): IpvsDestination {
  const m = attributeMap(attrs);
  const d: IpvsDestination = {
    ...unpackDestinationKey(attrs, serviceFamily),
    forward: read.u32(required(m, IPVS_DEST_ATTR_FWD_METHOD, 'IPVS_DEST_ATTR_FWD_METHOD')) & IP_VS_CONN_F_FWD_MASK,
    weight: read.u32(required(m, IPVS_DEST_ATTR_WEIGHT, 'IPVS_DEST_ATTR_WEIGHT')),
    upperThreshold: read.u32(required(m, IPVS_DEST_ATTR_U_THRESH, 'IPVS_DEST_ATTR_U_THRESH')),
    lowerThreshold: read.u32(required(m, IPVS_DEST_ATTR_L_THRESH, 'IPVS_DEST_ATTR_L_THRESH')),
  };
  const tunType = m.get(IPVS_DEST_ATTR_TUN_TYPE);
  if (tunType) {
    const port = m.get(IPVS_DEST_ATTR_TUN_PORT);
    const flags = m.get(IPVS_DEST_ATTR_TUN_FLAGS);
    d.tunnel = { type: read.u8(tunType), port: port ? read.be16(port) : 0, flags: flags ? read.u16(flags) : 0 };
  }
  return d;
}

/** Connection counts and counters of a destination nest from a GET_DEST reply. */
export function unpackDestinationStats(attrs: readonly Attribute[]): IpvsDestinationStats {
  const m = attributeMap(attrs);
  const out: IpvsDestinationStats = {
    activeConns: read.u32(required(m, IPVS_DEST_ATTR_ACTIVE_CONNS, 'IPVS_DEST_ATTR_ACTIVE_CONNS')),
    inactiveConns: read.u32(required(m, IPVS_DEST_ATTR_INACT_CONNS, 'IPVS_DEST_ATTR_INACT_CONNS')),
    persistConns: read.u32(required(m, IPVS_DEST_ATTR_PERSIST_CONNS, 'IPVS_DEST_ATTR_PERSIST_CONNS')),
  };
  const s = m.get(IPVS_DEST_ATTR_STATS);
  if (s) out.stats = unpackStats(read.nested(s));
  const s64 = m.get(IPVS_DEST_ATTR_STATS64);
  if (s64) out.stats64 = unpackStats(read.nested(s64));
  return out;
}

/**
 * unpackDestination + unpackDestinationStats without the counter nests, straight from the nest's bytes
 * (`buf[from, to)`, by default all of `buf`): the same values and the same errors, but no Attribute objects,
 * maps, views, arrays or closures. A kernel read of 10,000 services decodes 100,000 destinations; in the e2e
 * VM the generic path took 9 s for them. Each object made per destination is garbage the collector then
 * scavenges, which on the e2e VM's 10,000-service re-read was a fifth of its time, so this one makes none
 * but its result. Tested against the generic path on every captured reply and on random destinations.
 */
export function unpackDestinationWithoutCounters(buf: Uint8Array, serviceFamily?: AddressFamily, from = 0, to = buf.length): IpvsDestinationEntry {
  // Start of the first attribute of each type that is read (attributeMap's rule: the first wins), -1
  // when absent, and its data length.
  let sFamily = -1, nFamily = 0, sAddr = -1, nAddr = 0, sPort = -1, nPort = 0, sFwd = -1, nFwd = 0;
  let sWeight = -1, nWeight = 0, sUpper = -1, nUpper = 0, sLower = -1, nLower = 0;
  let sActive = -1, nActive = 0, sInact = -1, nInact = 0, sPersist = -1, nPersist = 0;
  let sTunType = -1, nTunType = 0, sTunPort = -1, nTunPort = 0, sTunFlags = -1, nTunFlags = 0;
  // attributeEnd and checkAttributePadding: scanAttributes' framing and errors (offsets into the nest),
  // without its callback.
  let off = from;
  while (off + NLA_HDRLEN <= to) {
    const end = attributeEnd(buf, off, to, -from);
    const s = off + NLA_HDRLEN;
    const n = end - s;
    switch (getU16le(buf, off + 2) & NLA_TYPE_MASK) {
      case IPVS_DEST_ATTR_ADDR_FAMILY: if (sFamily < 0) { sFamily = s; nFamily = n; } break;
      case IPVS_DEST_ATTR_ADDR: if (sAddr < 0) { sAddr = s; nAddr = n; } break;
      case IPVS_DEST_ATTR_PORT: if (sPort < 0) { sPort = s; nPort = n; } break;
      case IPVS_DEST_ATTR_FWD_METHOD: if (sFwd < 0) { sFwd = s; nFwd = n; } break;
      case IPVS_DEST_ATTR_WEIGHT: if (sWeight < 0) { sWeight = s; nWeight = n; } break;
      case IPVS_DEST_ATTR_U_THRESH: if (sUpper < 0) { sUpper = s; nUpper = n; } break;
      case IPVS_DEST_ATTR_L_THRESH: if (sLower < 0) { sLower = s; nLower = n; } break;
      case IPVS_DEST_ATTR_ACTIVE_CONNS: if (sActive < 0) { sActive = s; nActive = n; } break;
      case IPVS_DEST_ATTR_INACT_CONNS: if (sInact < 0) { sInact = s; nInact = n; } break;
      case IPVS_DEST_ATTR_PERSIST_CONNS: if (sPersist < 0) { sPersist = s; nPersist = n; } break;
      case IPVS_DEST_ATTR_TUN_TYPE: if (sTunType < 0) { sTunType = s; nTunType = n; } break;
      case IPVS_DEST_ATTR_TUN_PORT: if (sTunPort < 0) { sTunPort = s; nTunPort = n; } break;
      case IPVS_DEST_ATTR_TUN_FLAGS: if (sTunFlags < 0) { sTunFlags = s; nTunFlags = n; } break;
      default: break;
    }
    off += align4(end - off);
  }
  checkAttributePadding(buf, off, to, -from);

  let family: number | undefined = serviceFamily;
  if (sFamily >= 0) family = getU16le(buf, sized(sFamily, nFamily, IPVS_DEST_ATTR_ADDR_FAMILY, 2, 'u16'));
  if (family === undefined) throw new NetlinkDecodeError('IPVS destination without ADDR_FAMILY and no service family given', 0);
  if (!isAddressFamily(family)) throw new NetlinkDecodeError(`IPVS destination with ${familyName(family)}`, 0);
  const addr = sized(sAddr, nAddr, IPVS_DEST_ATTR_ADDR, 0, 'address', 'IPVS_DEST_ATTR_ADDR');
  const destination: IpvsDestination = {
    family,
    // IPv4 read in place (bytesToIp's text): a subarray view per destination is a heap object each.
    address: family === AF_INET && nAddr >= 4
      ? ipv4Text(buf, addr)
      : unpackAddress(buf.subarray(addr, addr + nAddr), family),
    port: getU16be(buf, sized(sPort, nPort, IPVS_DEST_ATTR_PORT, 2, 'be16', 'IPVS_DEST_ATTR_PORT')),
    forward: getU32le(buf, sized(sFwd, nFwd, IPVS_DEST_ATTR_FWD_METHOD, 4, 'u32', 'IPVS_DEST_ATTR_FWD_METHOD')) & IP_VS_CONN_F_FWD_MASK,
    weight: getU32le(buf, sized(sWeight, nWeight, IPVS_DEST_ATTR_WEIGHT, 4, 'u32', 'IPVS_DEST_ATTR_WEIGHT')),
    upperThreshold: getU32le(buf, sized(sUpper, nUpper, IPVS_DEST_ATTR_U_THRESH, 4, 'u32', 'IPVS_DEST_ATTR_U_THRESH')),
    lowerThreshold: getU32le(buf, sized(sLower, nLower, IPVS_DEST_ATTR_L_THRESH, 4, 'u32', 'IPVS_DEST_ATTR_L_THRESH')),
  };
  if (sTunType >= 0) {
    destination.tunnel = {
      type: buf[sized(sTunType, nTunType, IPVS_DEST_ATTR_TUN_TYPE, 1, 'u8')]!,
      port: sTunPort >= 0 ? getU16be(buf, sized(sTunPort, nTunPort, IPVS_DEST_ATTR_TUN_PORT, 2, 'be16')) : 0,
      flags: sTunFlags >= 0 ? getU16le(buf, sized(sTunFlags, nTunFlags, IPVS_DEST_ATTR_TUN_FLAGS, 2, 'u16')) : 0,
    };
  }
  const stats: IpvsDestinationStats = {
    activeConns: getU32le(buf, sized(sActive, nActive, IPVS_DEST_ATTR_ACTIVE_CONNS, 4, 'u32', 'IPVS_DEST_ATTR_ACTIVE_CONNS')),
    inactiveConns: getU32le(buf, sized(sInact, nInact, IPVS_DEST_ATTR_INACT_CONNS, 4, 'u32', 'IPVS_DEST_ATTR_INACT_CONNS')),
    persistConns: getU32le(buf, sized(sPersist, nPersist, IPVS_DEST_ATTR_PERSIST_CONNS, 4, 'u32', 'IPVS_DEST_ATTR_PERSIST_CONNS')),
  };
  return { destination, stats };
}

/** `start` of an attribute `length` bytes long, checked as read.* and required() check it. */
function sized(start: number, length: number, type: number, n: number, what: string, name?: string): number {
  if (start < 0) throw new NetlinkDecodeError(`IPVS destination without ${name}`, 0);
  if (length < n) throw new NetlinkDecodeError(`attribute ${type} too short for ${what}: ${length} bytes`, 0);
  return start;
}
