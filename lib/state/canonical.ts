// Canonical form of a state: sorted, canonical address text, flags in a fixed order. Two dumps of the
// same kernel state, or a desired state and the kernel's matching state, are then deep-equal (and their
// JSON byte-identical), which is what the planner's diff and the tests rely on.
import { canonicalIp, compareIp, plainIpv4Number } from '../../native-free-netlink/core/ip.js';
import type { IpsetState, RealServer, ServiceFlag, State, VirtualServer } from './types.js';

export const SERVICE_FLAG_ORDER: readonly ServiceFlag[] = [
  'persistent', 'one-packet', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3',
];

const PROTOCOL_ORDER = ['tcp', 'udp', 'sctp'];

/** Identity of a virtual server: what the kernel keys it by. "tcp 10.96.0.10:80", "tcp [fd00::1]:80", "fwmark inet 5". */
export function virtualServerKey(vs: VirtualServer): string {
  if (vs.fwmark !== undefined) return `fwmark ${vs.family ?? 'inet'} ${vs.fwmark}`;
  return `${vs.protocol} ${hostPort(vs.address!, vs.port!)}`;
}

/** Identity of a real server within its virtual server. */
export function realServerKey(rs: RealServer): string {
  return hostPort(rs.address, rs.port);
}

/**
 * realServerKey(a) === realServerKey(b), without building the keys: for canonical address text (one text
 * per address), the same address text and port.
 */
export function sameRealServerIdentity(a: RealServer, b: RealServer): boolean {
  return a.port === b.port && a.address === b.address;
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function compareVirtualServers(a: VirtualServer, b: VirtualServer): number {
  const af = a.fwmark !== undefined ? 1 : 0;
  const bf = b.fwmark !== undefined ? 1 : 0;
  if (af !== bf) return af - bf;
  if (af === 1) {
    const fam = (a.family ?? 'inet').localeCompare(b.family ?? 'inet');
    return fam !== 0 ? fam : a.fwmark! - b.fwmark!;
  }
  const p = PROTOCOL_ORDER.indexOf(a.protocol!) - PROTOCOL_ORDER.indexOf(b.protocol!);
  if (p !== 0) return p;
  const ad = compareIp(a.address!, b.address!);
  return ad !== 0 ? ad : a.port! - b.port!;
}

export function compareRealServers(a: RealServer, b: RealServer): number {
  const ad = compareIp(a.address, b.address);
  return ad !== 0 ? ad : a.port - b.port;
}

// Each canonical* function returns its argument itself when it is already in canonical form (same keys in
// the same order, canonical address text, sorted members) and a canonical copy otherwise. The proxier's
// desired state is canonical when built, and so are kernel reads once their real servers are sorted, so a
// plan, the engine's record of its last apply and the desired state share their objects instead of each
// holding a copy of 100,000 real servers (the largest part of the bench's peak memory at 10,000 services).
// Callers never mutate the objects (the planner and simulator build new ones for every change).

const RS_KEYS = [
  ['address', 'port', 'weight', 'forward'],
  ['address', 'port', 'weight', 'forward', 'lowerThreshold'],
  ['address', 'port', 'weight', 'forward', 'upperThreshold'],
  ['address', 'port', 'weight', 'forward', 'upperThreshold', 'lowerThreshold'],
] as const;

/** Whether `o`'s own enumerable keys are exactly `keys`, in that order. */
function hasKeysInOrder(o: object, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in o) if (k !== keys[i++]) return false;
  return i === keys.length;
}

export function isCanonicalRealServer(rs: RealServer): boolean {
  return hasKeysInOrder(rs, RS_KEYS[(rs.upperThreshold ? 2 : 0) + (rs.lowerThreshold ? 1 : 0)]!) && canonicalIp(rs.address) === rs.address;
}

export function canonicalRealServer(rs: RealServer): RealServer {
  if (isCanonicalRealServer(rs)) return rs;
  const out: RealServer = { address: canonicalIp(rs.address), port: rs.port, weight: rs.weight, forward: rs.forward };
  if (rs.upperThreshold) out.upperThreshold = rs.upperThreshold;
  if (rs.lowerThreshold) out.lowerThreshold = rs.lowerThreshold;
  return out;
}

function vsKeysOf(vs: VirtualServer): string[] {
  const keys = vs.fwmark !== undefined ? ['fwmark', 'family'] : ['protocol', 'address', 'port'];
  keys.push('scheduler', 'flags');
  if (vs.timeout !== undefined) keys.push('timeout');
  if (vs.netmask !== undefined) keys.push('netmask');
  if (vs.pe !== undefined) keys.push('pe');
  keys.push('realServers');
  return keys;
}

export function isCanonicalVirtualServer(vs: VirtualServer): boolean {
  if (!hasKeysInOrder(vs, vsKeysOf(vs))) return false;
  if (vs.fwmark !== undefined ? vs.family === undefined : canonicalIp(vs.address!) !== vs.address) return false;
  let last = -1;
  for (const f of vs.flags) {
    const i = SERVICE_FLAG_ORDER.indexOf(f);
    if (i <= last) return false;
    last = i;
  }
  if (vs.timeout !== undefined && !vs.flags.includes('persistent')) return false;
  if (vs.netmask !== undefined && isFullNetmask(vs.netmask)) return false;
  if (vs.pe !== undefined && !vs.pe) return false;
  // Real servers canonical and sorted. Plain IPv4 addresses (canonical text as they are) are parsed once
  // each and compared as numbers; anything else goes through canonicalIp and compareRealServers.
  const rss = vs.realServers;
  let prevIp = -1;
  let prevPort = 0;
  for (let i = 0; i < rss.length; i++) {
    const rs = rss[i]!;
    const ip = plainIpv4Number(rs.address);
    if (!hasKeysInOrder(rs, RS_KEYS[(rs.upperThreshold ? 2 : 0) + (rs.lowerThreshold ? 1 : 0)]!)) return false;
    if (ip < 0 && canonicalIp(rs.address) !== rs.address) return false;
    if (i > 0) {
      const order = ip >= 0 && prevIp >= 0 ? ip - prevIp || rs.port - prevPort : compareRealServers(rs, rss[i - 1]!);
      if (order < 0) return false;
    }
    prevIp = ip;
    prevPort = rs.port;
  }
  return true;
}

export function canonicalVirtualServer(vs: VirtualServer): VirtualServer {
  if (isCanonicalVirtualServer(vs)) return vs;
  const out: VirtualServer = {} as VirtualServer;
  // Key order in the object is fixed too, so JSON text is byte-identical.
  if (vs.fwmark !== undefined) {
    out.fwmark = vs.fwmark;
    out.family = vs.family ?? 'inet';
  } else {
    out.protocol = vs.protocol;
    out.address = canonicalIp(vs.address!);
    out.port = vs.port;
  }
  out.scheduler = vs.scheduler;
  out.flags = SERVICE_FLAG_ORDER.filter((f) => vs.flags.includes(f));
  if (out.flags.includes('persistent') && vs.timeout !== undefined) out.timeout = vs.timeout;
  if (vs.netmask !== undefined && !isFullNetmask(vs.netmask)) out.netmask = vs.netmask;
  if (vs.pe) out.pe = vs.pe;
  out.realServers = vs.realServers.map(canonicalRealServer).sort(compareRealServers);
  return out;
}

export function isFullNetmask(m: string | number): boolean {
  return m === '255.255.255.255' || m === 128;
}

const IPSET_KEYS = ['name', 'type', 'family', 'entries'];

function ipsetKeysOf(s: IpsetState): string[] {
  const keys = [...IPSET_KEYS];
  if (s.hashsize !== undefined) keys.push('hashsize');
  if (s.maxelem !== undefined) keys.push('maxelem');
  if (s.range !== undefined) keys.push('range');
  return keys;
}

/** Strictly ascending (sorted, no duplicates) in sort()'s default order (UTF-16 code units). */
export function strictlyAscending(xs: readonly string[]): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i - 1]! < xs[i]!)) return false;
  return true;
}

/** Sorted without duplicates: one sorted copy, duplicates dropped in place (no Set of 100,000 members). */
function sortedUnique(xs: readonly string[]): string[] {
  const out = [...xs].sort();
  let n = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[n - 1]) out[n++] = out[i]!;
  out.length = n;
  return out;
}

/** Canonical address text of an entry's addresses is the codec's job; here we sort and de-duplicate. */
export function canonicalIpset(s: IpsetState): IpsetState {
  if (hasKeysInOrder(s, ipsetKeysOf(s)) && strictlyAscending(s.entries)) return s;
  const out: IpsetState = { name: s.name, type: s.type, family: s.family, entries: sortedUnique(s.entries) };
  if (s.hashsize !== undefined) out.hashsize = s.hashsize;
  if (s.maxelem !== undefined) out.maxelem = s.maxelem;
  if (s.range !== undefined) out.range = s.range;
  return out;
}

/** "10.96.0.10/32" with canonical address text. */
export function canonicalCidr(s: string): string {
  const slash = s.indexOf('/');
  if (slash < 0) return `${canonicalIp(s)}/${s.includes(':') ? 128 : 32}`;
  const out = `${canonicalIp(s.slice(0, slash))}/${Number(s.slice(slash + 1))}`;
  return out === s ? s : out; // the caller's string when equal: no second copy of 10,000 addresses
}

export function compareCidr(a: string, b: string): number {
  // indexOf/slice rather than split: sorting 10,000 addresses made four arrays per comparison.
  const i = a.indexOf('/');
  const j = b.indexOf('/');
  const d = compareIp(i < 0 ? a : a.slice(0, i), j < 0 ? b : b.slice(0, j));
  return d !== 0 ? d : (i < 0 ? NaN : Number(a.slice(i + 1))) - (j < 0 ? NaN : Number(b.slice(j + 1)));
}

export function canonicalState(s: State): State {
  const out: State = {} as State;
  if (s.interface) {
    out.interface = {
      name: s.interface.name,
      addresses: [...new Set(s.interface.addresses.map(canonicalCidr))].sort(compareCidr),
    };
  }
  out.virtualServers = s.virtualServers.map(canonicalVirtualServer).sort(compareVirtualServers);
  out.ipsets = s.ipsets.map(canonicalIpset).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (s.iptables) out.iptables = s.iptables;
  return out;
}
