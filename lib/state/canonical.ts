// Canonical form of a state: sorted, canonical address text, flags in a fixed order. Two dumps of the
// same kernel state, or a desired state and the kernel's matching state, are then deep-equal (and their
// JSON byte-identical), which is what the planner's diff and the tests rely on.
import { canonicalIp, compareIp } from '../../native-free-netlink/core/ip.js';
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

export function canonicalRealServer(rs: RealServer): RealServer {
  const out: RealServer = { address: canonicalIp(rs.address), port: rs.port, weight: rs.weight, forward: rs.forward };
  if (rs.upperThreshold) out.upperThreshold = rs.upperThreshold;
  if (rs.lowerThreshold) out.lowerThreshold = rs.lowerThreshold;
  return out;
}

export function canonicalVirtualServer(vs: VirtualServer): VirtualServer {
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

/** Canonical address text of an entry's addresses is the codec's job; here we sort and de-duplicate. */
export function canonicalIpset(s: IpsetState): IpsetState {
  const out: IpsetState = { name: s.name, type: s.type, family: s.family, entries: [...new Set(s.entries)].sort() };
  if (s.hashsize !== undefined) out.hashsize = s.hashsize;
  if (s.maxelem !== undefined) out.maxelem = s.maxelem;
  if (s.range !== undefined) out.range = s.range;
  return out;
}

/** "10.96.0.10/32" with canonical address text. */
export function canonicalCidr(s: string): string {
  const slash = s.indexOf('/');
  if (slash < 0) return `${canonicalIp(s)}/${s.includes(':') ? 128 : 32}`;
  return `${canonicalIp(s.slice(0, slash))}/${Number(s.slice(slash + 1))}`;
}

export function compareCidr(a: string, b: string): number {
  const d = compareIp(a.split('/')[0]!, b.split('/')[0]!);
  return d !== 0 ? d : Number(a.split('/')[1]) - Number(b.split('/')[1]);
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
