// Between the codec's IPVS values (numbers, as the kernel has them) and the state format (ipvsadm's
// names). Pure; the round trip state -> codec -> state is the identity on canonical states.
import { AF_INET, AF_INET6 } from '../../native-free-netlink/core/ip.js';
import { hostPort } from '../state/canonical.js';
import type { IpvsDestination, IpvsService, IpvsServiceKey } from '../../native-free-netlink/ipvs/types.js';
import type { ForwardMethod, Protocol, RealServer, ServiceFlag, VirtualServer } from '../state/types.js';
import type { VirtualServerId } from '../engine/ledger.js';

const PROTOCOLS: Record<Protocol, number> = { tcp: 6, udp: 17, sctp: 132 };
const FORWARDS: ForwardMethod[] = ['masq', 'local', 'tunnel', 'route'];

const F_PERSISTENT = 0x1;
const F_ONEPACKET = 0x4;
const F_SCHED1 = 0x8;
const F_SCHED2 = 0x10;
const F_SCHED3 = 0x20;

/** ipvsadm names the scheduler flags after the scheduler that reads them (sh-fallback = flag-1 on sh). */
function schedFlagNames(scheduler: string): [ServiceFlag, ServiceFlag, ServiceFlag] {
  if (scheduler === 'sh') return ['sh-fallback', 'sh-port', 'flag-3'];
  if (scheduler === 'mh') return ['mh-fallback', 'mh-port', 'flag-3'];
  return ['flag-1', 'flag-2', 'flag-3'];
}

export function flagsToNames(flags: number, scheduler: string): ServiceFlag[] {
  const [s1, s2, s3] = schedFlagNames(scheduler);
  const out: ServiceFlag[] = [];
  if (flags & F_PERSISTENT) out.push('persistent');
  if (flags & F_ONEPACKET) out.push('one-packet');
  if (flags & F_SCHED1) out.push(s1);
  if (flags & F_SCHED2) out.push(s2);
  if (flags & F_SCHED3) out.push(s3);
  return out;
}

export function namesToFlags(names: readonly ServiceFlag[]): number {
  let f = 0;
  for (const n of names) {
    if (n === 'persistent') f |= F_PERSISTENT;
    else if (n === 'one-packet') f |= F_ONEPACKET;
    else if (n === 'sh-fallback' || n === 'mh-fallback' || n === 'flag-1') f |= F_SCHED1;
    else if (n === 'sh-port' || n === 'mh-port' || n === 'flag-2') f |= F_SCHED2;
    else if (n === 'flag-3') f |= F_SCHED3;
  }
  return f;
}

function protocolName(n: number): Protocol {
  const name = (Object.keys(PROTOCOLS) as Protocol[]).find((p) => PROTOCOLS[p] === n);
  if (!name) throw new Error(`IPVS service with protocol ${n}: not tcp, udp or sctp`);
  return name;
}

/** IPv4 netmask as a number <-> dotted quad. */
function maskText(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}
function maskNumber(s: string): number {
  return s.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

export function serviceKeyOf(vs: VirtualServerId): IpvsServiceKey {
  if (vs.fwmark !== undefined) {
    return { family: vs.family === 'inet6' ? AF_INET6 : AF_INET, protocol: 0, address: '', port: 0, fwmark: vs.fwmark };
  }
  return {
    family: vs.address!.includes(':') ? AF_INET6 : AF_INET,
    protocol: PROTOCOLS[vs.protocol!],
    address: vs.address!,
    port: vs.port!,
    fwmark: 0,
  };
}

export function toIpvsService(vs: Omit<VirtualServer, 'realServers'>): IpvsService {
  const key = serviceKeyOf(vs);
  const v6 = key.family === AF_INET6;
  let netmask = v6 ? 128 : 0xffffffff;
  if (vs.netmask !== undefined) netmask = typeof vs.netmask === 'number' ? vs.netmask : maskNumber(vs.netmask);
  const out: IpvsService = {
    ...key,
    scheduler: vs.scheduler,
    flags: namesToFlags(vs.flags),
    timeout: vs.flags.includes('persistent') ? (vs.timeout ?? 0) : 0,
    netmask,
  };
  if (vs.pe) out.peName = vs.pe;
  return out;
}

export function fromIpvsService(s: IpvsService): Omit<VirtualServer, 'realServers'> {
  const out: Omit<VirtualServer, 'realServers'> = {} as Omit<VirtualServer, 'realServers'>;
  if (s.fwmark) {
    out.fwmark = s.fwmark;
    out.family = s.family === AF_INET6 ? 'inet6' : 'inet';
  } else {
    out.protocol = protocolName(s.protocol);
    out.address = s.address;
    out.port = s.port;
  }
  out.scheduler = s.scheduler;
  out.flags = flagsToNames(s.flags, s.scheduler);
  if (s.flags & F_PERSISTENT) out.timeout = s.timeout;
  const full = s.family === AF_INET6 ? s.netmask === 128 : s.netmask === 0xffffffff;
  if (!full) out.netmask = s.family === AF_INET6 ? s.netmask : maskText(s.netmask);
  if (s.peName) out.pe = s.peName;
  return out;
}

export function toIpvsDestination(rs: RealServer): IpvsDestination {
  return {
    family: rs.address.includes(':') ? AF_INET6 : AF_INET,
    address: rs.address,
    port: rs.port,
    forward: FORWARDS.indexOf(rs.forward),
    weight: rs.weight,
    upperThreshold: rs.upperThreshold ?? 0,
    lowerThreshold: rs.lowerThreshold ?? 0,
  };
}

export function fromIpvsDestination(d: IpvsDestination): RealServer {
  const out: RealServer = { address: d.address, port: d.port, weight: d.weight, forward: FORWARDS[d.forward & 0x7] ?? 'masq' };
  if (d.upperThreshold) out.upperThreshold = d.upperThreshold;
  if (d.lowerThreshold) out.lowerThreshold = d.lowerThreshold;
  return out;
}

/** fromIpvsDestination(d) would deep-equal the canonical `rs` (a re-read compares without converting). */
export function realServerIsDestination(rs: RealServer, d: IpvsDestination): boolean {
  return rs.address === d.address && rs.port === d.port && rs.weight === d.weight && rs.forward === (FORWARDS[d.forward & 0x7] ?? 'masq')
    && (rs.upperThreshold ?? 0) === d.upperThreshold && (rs.lowerThreshold ?? 0) === d.lowerThreshold;
}

/** realServerKey(fromIpvsDestination(d)), without making the real server (connection counts are keyed so). */
export function destinationKey(d: IpvsDestination): string {
  return hostPort(d.address, d.port);
}
