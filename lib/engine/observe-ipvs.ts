// The IPVS part of a kernel read, in the state's form. Built for size: a read of 10,000 virtual servers with
// 100,000 real servers is held next to the desired state and the engine's record of its last apply, so
//  - destinations are dumped and converted a slice of services at a time (the raw dump datagrams and the
//    codec's intermediate objects of one slice are garbage before the next slice is read),
//  - real servers come out sorted (the kernel lists a service's destinations newest first), so the
//    objects are already canonical and the planner and the simulator use them as they are, without copies,
//  - connection counts keep only real servers that have connections: a missing one reads as 0, which is
//    all graceful termination asks (a map per virtual server with an entry per real server was a tenth
//    of the read's memory at 10,000 services),
//  - a virtual server read exactly as one the caller already holds (the desired state's: an unchanged
//    service) is returned as that object, so a re-read of an unchanged kernel keeps next to nothing of its
//    own; the objects are never mutated (see canonical.ts).
import type { IpvsClient, IpvsServiceWithDestinations } from '../kernel/ipvs-client.js';
import { fromIpvsDestination, fromIpvsService } from '../kernel/ipvs-convert.js';
import { compareRealServers, isCanonicalVirtualServer, realServerKey, virtualServerKey } from '../state/canonical.js';
import type { RealServer, VirtualServer } from '../state/types.js';
import type { ConnectionCounts } from './observed.js';

/** Services whose destinations are dumped per exchange (spread over the transport's dump sockets). */
export const DESTINATION_DUMP_SLICE = 1000;

export interface IpvsRead {
  virtualServers: VirtualServer[];
  /** Only real servers with active + inactive connections > 0. */
  connections: ConnectionCounts;
}

type Reading = IpvsRead & { connections: Map<string, Map<string, number>> };

/** Adds one listed service with its destinations to `out`, as the object in `known` when equal to it. */
function addService(s: Pick<IpvsServiceWithDestinations, 'service' | 'destinations'>, out: Reading, known?: ReadonlyMap<string, VirtualServer>): void {
  const realServers = s.destinations.map((d) => fromIpvsDestination(d.destination));
  const vs: VirtualServer = { ...fromIpvsService(s.service), realServers };
  let perRs: Map<string, number> | undefined;
  s.destinations.forEach((d, i) => {
    const conns = d.stats.activeConns + d.stats.inactiveConns;
    if (conns > 0) (perRs ??= new Map()).set(realServerKey(realServers[i]!), conns);
  });
  realServers.sort(compareRealServers);
  const key = virtualServerKey(vs);
  if (perRs) out.connections.set(key, perRs);
  const same = known?.get(key);
  out.virtualServers.push(same && sameVirtualServer(same, vs) ? same : vs);
}

/** Equal values, `held` canonical (what a canonical `read` deep-equals, key order included). */
export function sameVirtualServer(held: VirtualServer, read: VirtualServer): boolean {
  if (held.scheduler !== read.scheduler || held.timeout !== read.timeout || held.netmask !== read.netmask || held.pe !== read.pe) return false;
  if (held.protocol !== read.protocol || held.address !== read.address || held.port !== read.port) return false;
  if (held.fwmark !== read.fwmark || held.family !== read.family) return false;
  if (held.flags.length !== read.flags.length || held.flags.some((f, i) => f !== read.flags[i])) return false;
  if (held.realServers.length !== read.realServers.length) return false;
  if (!held.realServers.every((r, i) => sameRealServer(r, read.realServers[i]!))) return false;
  return isCanonicalVirtualServer(held);
}

function sameRealServer(a: RealServer, b: RealServer): boolean {
  return a.address === b.address && a.port === b.port && a.weight === b.weight && a.forward === b.forward && a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold;
}

/** Listed services with their destinations, in the state's form. */
export function virtualServersFromKernel(services: readonly IpvsServiceWithDestinations[]): IpvsRead {
  const out: Reading = { virtualServers: [], connections: new Map() };
  for (const s of services) addService(s, out);
  return out;
}

/**
 * Every virtual server with its real servers (no packet counters: a plan needs none). `known`: virtual
 * servers the caller holds (the desired state's), returned in place of equal ones read.
 */
export async function readVirtualServers(ipvs: IpvsClient, o: { slice?: number; known?: readonly VirtualServer[] } = {}): Promise<IpvsRead> {
  const slice = o.slice ?? DESTINATION_DUMP_SLICE;
  const known = o.known ? new Map(o.known.map((v) => [virtualServerKey(v), v])) : undefined;
  const services = await ipvs.listServices({ counters: false });
  const out: Reading = { virtualServers: [], connections: new Map() };
  for (let i = 0; i < services.length; i += slice) {
    const part = services.slice(i, i + slice);
    const dests = await ipvs.listDestinations(part.map((s) => s.service), { counters: false });
    part.forEach((s, j) => addService({ service: s.service, destinations: dests[j]! }, out, known));
  }
  return out;
}
