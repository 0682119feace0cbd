// EndpointSlices -> endpoints per service port, and the choice of which endpoints a virtual server uses.
// Mirrors kube-proxy's EndpointSliceCache.endpointInfoByServicePort/addEndpoints (pkg/proxy/
// endpointslicecache.go) and CategorizeEndpoints (pkg/proxy/topology.go), with its topology hints (topology.ts).
import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { Family, Protocol } from '../state/types.js';
import { parseIp } from './addresses.js';
import { availableForTopology, topologyMode, type NodeTopology, type TopologyMode } from './topology.js';
import type { EndpointInfo, Problem } from './types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const ADDRESS_TYPES: Record<string, Family> = { IPv4: 'inet', IPv6: 'inet6' };
const PROTOCOLS: Record<string, Protocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

/** Identity of a service port for endpoint lookup: kube-proxy's ServicePortName (+ family). */
export function servicePortKey(namespace: string, service: string, family: Family, protocol: Protocol, portName: string): string {
  return `${namespace}/${service}/${family}/${protocol}/${portName}`;
}

export interface EndpointIndex {
  byServicePort: Map<string, EndpointInfo[]>;
  problems: Problem[];
}

/**
 * Groups every endpoint of every slice by service port. A slice port matches a Service port by name and
 * protocol (a missing name counts as "", the unnamed port). An endpoint listed in several slices (it is
 * moving between them) appears once: a non-terminating copy wins over a terminating one (kube-proxy's rule,
 * for pod IPs reused before the old pod is gone), then a ready one; otherwise the first by slice name.
 * FQDN slices, slices without the service-name label and ports without a number are ignored.
 */
export function indexEndpointSlices(slices: V1EndpointSlice[], nodeName: string): EndpointIndex {
  const problems: Problem[] = [];
  const byServicePort = new Map<string, Map<string, EndpointInfo>>();
  const sorted = [...slices].sort((a, b) => cmp(sliceId(a), sliceId(b)));
  for (const slice of sorted) {
    const namespace = slice.metadata?.namespace;
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const family = ADDRESS_TYPES[slice.addressType];
    if (!namespace || !service || !family) continue;
    const endpoints = sliceEndpoints(slice, family, nodeName, namespace, service, problems);
    for (const port of slice.ports ?? []) {
      const protocol = PROTOCOLS[port.protocol ?? 'TCP'];
      if (!protocol || !Number.isInteger(port.port) || port.port! < 1 || port.port! > 65535) continue;
      const key = servicePortKey(namespace, service, family, protocol, port.name ?? '');
      let merged = byServicePort.get(key);
      if (!merged) byServicePort.set(key, (merged = new Map()));
      for (const ep of endpoints) {
        const info: EndpointInfo = { ...ep, port: port.port! };
        const id = `${info.ip}|${info.port}`;
        const existing = merged.get(id);
        if (!existing || rank(info) < rank(existing)) merged.set(id, info);
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, merged] of byServicePort) out.set(key, [...merged.values()]);
  return { byServicePort: out, problems };
}

function sliceEndpoints(
  slice: V1EndpointSlice,
  family: Family,
  nodeName: string,
  namespace: string,
  service: string,
  problems: Problem[],
): Omit<EndpointInfo, 'port'>[] {
  const out: Omit<EndpointInfo, 'port'>[] = [];
  (slice.endpoints ?? []).forEach((ep, i) => {
    const text = ep.addresses?.[0];
    if (text === undefined) return;
    const ip = parseIp(text);
    if (!ip || ip.family !== family) {
      problems.push({
        namespace,
        name: service,
        field: `EndpointSlice ${slice.metadata?.name ?? ''} endpoints[${i}].addresses[0]`,
        reason: `"${text}" is not an ${slice.addressType} address; endpoint skipped`,
      });
      return;
    }
    const c = ep.conditions ?? {};
    const info: Omit<EndpointInfo, 'port'> = {
      ip: ip.ip,
      local: nodeName !== '' && ep.nodeName === nodeName,
      ready: c.ready ?? true,
      serving: c.serving ?? true,
      terminating: c.terminating ?? false,
    };
    const zoneHints = hintNames(ep.hints?.forZones);
    const nodeHints = hintNames(ep.hints?.forNodes);
    if (zoneHints.length > 0) info.zoneHints = zoneHints;
    if (nodeHints.length > 0) info.nodeHints = nodeHints;
    out.push(info);
  });
  return out;
}

function hintNames(hints: { name?: string }[] | undefined): string[] {
  return (hints ?? []).map((h) => h.name).filter((n): n is string => typeof n === 'string' && n !== '');
}

/** Lower is preferred when one endpoint appears in several slices. */
function rank(ep: EndpointInfo): number {
  return (ep.terminating ? 2 : 0) + (ep.ready ? 0 : 1);
}

function sliceId(s: V1EndpointSlice): string {
  return `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface EndpointSelection {
  /**
   * Endpoints for Cluster-policy traffic: the ready ones available to this node under the topology hints (all
   * ready ones when the hints do not apply), or every serving+terminating one when none is ready anywhere.
   */
  cluster: EndpointInfo[];
  /** Usable endpoints on this node, with the same fallback applied to local endpoints alone. */
  local: EndpointInfo[];
  /** Whether any endpoint in the cluster is usable (kube-proxy's hasAnyEndpoints). */
  hasAny: boolean;
  /** The topology hints the cluster list follows (undefined: none apply). */
  topology: TopologyMode;
}

/**
 * kube-proxy's CategorizeEndpoints. Topology narrows only the ready endpoints of the cluster list: a mode is
 * chosen only when some ready endpoint is available under it, so the list is never emptied by hints; the
 * serving+terminating fallback (nothing ready anywhere) ignores hints, as kube-proxy's does. Without `here`
 * (or with neither a node name nor a zone) no hint can apply.
 */
export function selectEndpoints(endpoints: EndpointInfo[], here: NodeTopology = { nodeName: '', zone: '' }): EndpointSelection {
  const usable = (eps: EndpointInfo[]): EndpointInfo[] => {
    const ready = eps.filter((e) => e.ready);
    return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
  };
  const topology = topologyMode(endpoints, here);
  const readyHere = endpoints.filter((e) => e.ready && availableForTopology(e, topology, here));
  const cluster = readyHere.length > 0 ? readyHere : endpoints.filter((e) => e.serving && e.terminating);
  return { cluster, local: usable(endpoints.filter((e) => e.local)), hasAny: cluster.length > 0, topology };
}
