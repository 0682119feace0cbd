// The IPVS part of a kernel read, in the state's form. Built for size: a read of 10,000 virtual servers with
// 100,000 real servers is held next to the desired state and the engine's record of its last apply, so
//  - destinations are dumped and converted a slice of services at a time (the raw dump datagrams and the
//    codec's intermediate objects of one slice are garbage before the next slice is read),
//  - real servers come out sorted (the kernel lists a service's destinations newest first), so the
//    objects are already canonical and the planner and the simulator use them as they are, without copies,
//  - connection counts keep only real servers that have connections: a missing one reads as 0, which is
//    all graceful termination asks (a map per virtual server with an entry per real server was a tenth
//    of the read's memory at 10,000 services).
import type { IpvsClient, IpvsServiceWithDestinations } from '../kernel/ipvs-client.js';
import { fromIpvsDestination, fromIpvsService } from '../kernel/ipvs-convert.js';
import { compareRealServers, realServerKey, virtualServerKey } from '../state/canonical.js';
import type { VirtualServer } from '../state/types.js';
import type { ConnectionCounts } from './observed.js';

/** Services whose destinations are dumped per exchange (spread over the transport's dump sockets). */
export const DESTINATION_DUMP_SLICE = 1000;

export interface IpvsRead {
  virtualServers: VirtualServer[];
  /** Only real servers with active + inactive connections > 0. */
  connections: ConnectionCounts;
}

/** Adds one listed service with its destinations to `out`. */
function addService(s: Pick<IpvsServiceWithDestinations, 'service' | 'destinations'>, out: IpvsRead & { connections: Map<string, Map<string, number>> }): void {
  const realServers = s.destinations.map((d) => fromIpvsDestination(d.destination));
  const vs: VirtualServer = { ...fromIpvsService(s.service), realServers };
  let perRs: Map<string, number> | undefined;
  s.destinations.forEach((d, i) => {
    const conns = d.stats.activeConns + d.stats.inactiveConns;
    if (conns > 0) (perRs ??= new Map()).set(realServerKey(realServers[i]!), conns);
  });
  realServers.sort(compareRealServers);
  if (perRs) out.connections.set(virtualServerKey(vs), perRs);
  out.virtualServers.push(vs);
}

/** Listed services with their destinations, in the state's form. */
export function virtualServersFromKernel(services: readonly IpvsServiceWithDestinations[]): IpvsRead {
  const out = { virtualServers: [] as VirtualServer[], connections: new Map<string, Map<string, number>>() };
  for (const s of services) addService(s, out);
  return out;
}

/** Every virtual server with its real servers (no packet counters: a plan needs none). */
export async function readVirtualServers(ipvs: IpvsClient, slice = DESTINATION_DUMP_SLICE): Promise<IpvsRead> {
  const services = await ipvs.listServices({ counters: false });
  const out = { virtualServers: [] as VirtualServer[], connections: new Map<string, Map<string, number>>() };
  for (let i = 0; i < services.length; i += slice) {
    const part = services.slice(i, i + slice);
    const dests = await ipvs.listDestinations(part.map((s) => s.service), { counters: false });
    part.forEach((s, j) => addService({ service: s.service, destinations: dests[j]! }, out));
  }
  return out;
}
