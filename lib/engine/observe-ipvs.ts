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
import type { IpvsDestinationEntry, IpvsServiceEntry } from '../../native-free-netlink/ipvs/types.js';
import type { IpvsClient, IpvsServiceWithDestinations } from '../kernel/ipvs-client.js';
import { destinationKey, fromIpvsDestination, fromIpvsService, realServerIsDestination } from '../kernel/ipvs-convert.js';
import { compareRealServers, isCanonicalVirtualServer, virtualServerKey } from '../state/canonical.js';
import type { RealServer, VirtualServer } from '../state/types.js';
import type { ConnectionCounts } from './observed.js';
import type { ServiceTableWrites } from './service-table-writes.js';

/**
 * Services whose destinations are dumped per exchange (spread over the transport's dump sockets). Small, so
 * a slice's datagrams and decoded entries die young: with 1,000 they lived long enough to be promoted to
 * V8's old generation, and a 10,000-service re-read in the VM peaked 10-15 MiB higher, for the same time.
 */
export const DESTINATION_DUMP_SLICE = 100;

export interface IpvsRead {
  virtualServers: VirtualServer[];
  /** Only real servers with active + inactive connections > 0. */
  connections: ConnectionCounts;
}

type Reading = IpvsRead & { connections: Map<string, Map<string, number>> };

/** What a read compares against: virtual servers the caller holds, by key. */
interface Known {
  byKey: ReadonlyMap<string, VirtualServer>;
  /** The caller vouches that they are canonical (the engine canonicalizes its desired state first). */
  canonical: boolean;
}

/** Adds one listed service with its destinations to `out`, as the object in `known` when equal to it. */
function addService(s: Pick<IpvsServiceWithDestinations, 'service' | 'destinations'>, out: Reading, known?: Known): void {
  const spec = fromIpvsService(s.service);
  const key = virtualServerKey(spec as VirtualServer);
  let perRs: Map<string, number> | undefined;
  for (const d of s.destinations) {
    const conns = d.stats.activeConns + d.stats.inactiveConns;
    if (conns > 0) (perRs ??= new Map()).set(destinationKey(d.destination), conns);
  }
  if (perRs) out.connections.set(key, perRs);
  // A held object is handed back only when canonical, and only when its real servers are the listed ones.
  const held = known?.byKey.get(key);
  const candidate = held !== undefined && sameServiceFields(held, spec) && (known!.canonical || isCanonicalVirtualServer(held)) ? held : undefined;
  // The common case of a re-read, an unchanged service: compared in place, without real server objects
  // or a sort (100,000 of them at 10,000 services).
  if (candidate && heldInKernelOrder(candidate.realServers, s.destinations)) {
    out.virtualServers.push(candidate);
    return;
  }
  const realServers = s.destinations.map((d) => fromIpvsDestination(d.destination)).sort(compareRealServers);
  out.virtualServers.push(candidate && sameRealServers(candidate.realServers, realServers) ? candidate : { ...spec, realServers });
}

/**
 * The held real servers are the listed destinations, in the kernel's order or its reverse (it lists a
 * service's destinations newest first, and we add them in canonical order). Any other order: false, and
 * the caller compares sorted copies.
 */
function heldInKernelOrder(held: readonly RealServer[], listed: readonly IpvsDestinationEntry[]): boolean {
  const n = held.length;
  if (listed.length !== n) return false;
  let reversed = true;
  let same = true;
  for (let k = 0; k < n && (reversed || same); k++) {
    const d = listed[k]!.destination;
    if (reversed && !realServerIsDestination(held[n - 1 - k]!, d)) reversed = false;
    if (same && !realServerIsDestination(held[k]!, d)) same = false;
  }
  return reversed || same;
}

/** Equal values, the real servers included (`held` canonical: the caller checks). */
export function sameVirtualServer(held: VirtualServer, read: VirtualServer): boolean {
  return sameServiceFields(held, read) && sameRealServers(held.realServers, read.realServers);
}

function sameRealServers(held: readonly RealServer[], read: readonly RealServer[]): boolean {
  return held.length === read.length && held.every((r, i) => sameRealServer(r, read[i]!));
}

function sameServiceFields(held: VirtualServer, read: Omit<VirtualServer, 'realServers'>): boolean {
  if (held.scheduler !== read.scheduler || held.timeout !== read.timeout || held.netmask !== read.netmask || held.pe !== read.pe) return false;
  if (held.protocol !== read.protocol || held.address !== read.address || held.port !== read.port) return false;
  if (held.fwmark !== read.fwmark || held.family !== read.family) return false;
  return held.flags.length === read.flags.length && held.flags.every((f, i) => f === read.flags[i]);
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
 * servers the caller holds (the desired state's), returned in place of equal ones read; only canonical
 * ones are (checked, unless `knownAreCanonical`: the caller canonicalized them itself).
 */
export async function readVirtualServers(
  ipvs: IpvsClient,
  o: { slice?: number; known?: readonly VirtualServer[]; knownAreCanonical?: boolean; writes?: ServiceTableWrites; yieldTo?: () => Promise<void> } = {},
): Promise<IpvsRead> {
  const slice = o.slice ?? DESTINATION_DUMP_SLICE;
  const known = o.known ? { byKey: new Map(o.known.map((v) => [virtualServerKey(v), v])), canonical: o.knownAreCanonical === true } : undefined;
  await o.yieldTo?.();
  const services = await listServices(ipvs, o.writes);
  const out: Reading = { virtualServers: [], connections: new Map() };
  for (let i = 0; i < services.length; i += slice) {
    // A read in the background gives way here: its dumps' syscalls (the kernel fills each dump inside them)
    // and decoding took turns with a sync's at every step, and syncs under churn waited for them.
    await o.yieldTo?.();
    const part = services.slice(i, i + slice);
    const dests = await ipvs.listDestinations(part.map((s) => s.service), { counters: false, apart: true });
    part.forEach((s, j) => addService({ service: s.service, destinations: dests[j]! }, out, known));
  }
  return out;
}

/**
 * Every service, dumped apart from the socket a sync's changes go over (a 10,000-service dump kept them
 * waiting). When our own virtual server adds or deletes ran beside it (`writes`), positions may have shifted
 * under the dump: it is done again on the connection's own socket, in turn with those writes.
 */
async function listServices(ipvs: IpvsClient, writes: ServiceTableWrites | undefined): Promise<IpvsServiceEntry[]> {
  const before = writes ? writes.quietMark() : 0;
  if (before !== undefined) {
    const services = await ipvs.listServices({ counters: false, apart: true });
    if (!writes || writes.quietMark() === before) return services;
  }
  return ipvs.listServices({ counters: false });
}
