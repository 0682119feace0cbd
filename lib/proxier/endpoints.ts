// EndpointSlices -> endpoints per service port, and the choice of which endpoints a virtual server uses.
// Mirrors kube-proxy's EndpointSliceCache.endpointInfoByServicePort/addEndpoints (pkg/proxy/
// endpointslicecache.go) and CategorizeEndpoints (pkg/proxy/topology.go), with its topology hints (topology.ts).
import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { Family, Protocol } from '../state/types.js';
import { parseIp, specialAddress } from './addresses.js';
import { availableForTopology, topologyMode, type NodeTopology, type TopologyMode } from './topology.js';
import type { EndpointInfo, Problem } from './types.js';
import { flag, isObject, listOf, lookup, quote } from './untrusted-json.js';

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
 * FQDN slices, slices without the service-name label and ports without a number are ignored; an unknown
 * address type, a port out of range or of an unknown protocol, and an address not of the slice's type are
 * skipped with a problem naming the Service and the slice (as is any field of the wrong JSON type).
 */
export function indexEndpointSlices(slices: V1EndpointSlice[], nodeName: string): EndpointIndex {
  const problems: Problem[] = [];
  const byServicePort = new Map<string, Map<string, EndpointInfo>>();
  const sorted = [...slices].sort((a, b) => cmp(sliceId(a), sliceId(b)));
  for (const slice of sorted) {
    const namespace = slice.metadata?.namespace;
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (typeof namespace !== 'string' || !namespace || typeof service !== 'string' || !service || slice.addressType === 'FQDN') continue;
    const problem = (field: string, reason: string): void => {
      problems.push({ namespace, name: service, field: `EndpointSlice ${String(slice.metadata?.name ?? '')} ${field}`, reason });
    };
    const family = lookup(ADDRESS_TYPES, slice.addressType);
    if (!family) {
      problem('addressType', `unsupported address type ${quote(slice.addressType)}; slice skipped`);
      continue;
    }
    const endpoints = sliceEndpoints(slice, family, nodeName, problem);
    listOf(slice.ports, 'ports', problem).forEach((port, i) => {
      const field = `ports[${i}]`;
      if (!isObject(port)) return problem(field, 'not an object; port skipped');
      const protocol = lookup(PROTOCOLS, port.protocol ?? 'TCP');
      if (!protocol) return problem(`${field}.protocol`, `unsupported protocol ${quote(port.protocol)}; port skipped`);
      // No port number (or 0, which the API server allows) is legal: nothing to match, quietly unused.
      const number = port.port;
      if (number === undefined || number === null || number === 0) return;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
        return problem(`${field}.port`, `port ${quote(number)} is out of range 1-65535; port skipped`);
      }
      const key = servicePortKey(namespace, service, family, protocol, typeof port.name === 'string' ? port.name : '');
      let merged = byServicePort.get(key);
      if (!merged) byServicePort.set(key, (merged = new Map()));
      for (const ep of endpoints) {
        const info: EndpointInfo = { ...ep, port: number };
        const id = `${info.ip}|${info.port}`;
        const existing = merged.get(id);
        if (!existing || rank(info) < rank(existing)) merged.set(id, info);
      }
    });
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, merged] of byServicePort) out.set(key, [...merged.values()]);
  return { byServicePort: out, problems };
}

function sliceEndpoints(
  slice: V1EndpointSlice,
  family: Family,
  nodeName: string,
  problem: (field: string, reason: string) => void,
): Omit<EndpointInfo, 'port'>[] {
  const out: Omit<EndpointInfo, 'port'>[] = [];
  listOf(slice.endpoints, 'endpoints', problem).forEach((ep, i) => {
    if (!isObject(ep)) return problem(`endpoints[${i}]`, 'not an object; endpoint skipped');
    if (ep.addresses === undefined || ep.addresses === null) return;
    if (!Array.isArray(ep.addresses)) return problem(`endpoints[${i}].addresses`, 'not a list; endpoint skipped');
    const text: unknown = ep.addresses[0];
    if (text === undefined) return;
    const ip = parseIp(text as string);
    if (!ip || ip.family !== family) {
      return problem(`endpoints[${i}].addresses[0]`, `${quote(text)} is not an ${slice.addressType} address; endpoint skipped`);
    }
    const special = specialAddress(ip);
    if (special) return problem(`endpoints[${i}].addresses[0]`, `${quote(text)} is ${/^[aeiou]/.test(special) ? 'an' : 'a'} ${special} address; endpoint skipped`);
    const c: Record<string, unknown> = isObject(ep.conditions) ? ep.conditions : {};
    const info: Omit<EndpointInfo, 'port'> = {
      ip: ip.ip,
      local: nodeName !== '' && ep.nodeName === nodeName,
      ready: flag(c['ready'], true),
      serving: flag(c['serving'], true),
      terminating: flag(c['terminating'], false),
    };
    const hints: Record<string, unknown> = isObject(ep.hints) ? ep.hints : {};
    const zoneHints = hintNames(hints['forZones']);
    const nodeHints = hintNames(hints['forNodes']);
    if (zoneHints.length > 0) info.zoneHints = zoneHints;
    if (nodeHints.length > 0) info.nodeHints = nodeHints;
    out.push(info);
  });
  return out;
}

function hintNames(hints: unknown): string[] {
  if (!Array.isArray(hints)) return [];
  return hints.map((h: unknown) => (isObject(h) ? h['name'] : undefined)).filter((n): n is string => typeof n === 'string' && n !== '');
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
