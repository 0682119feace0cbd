// Kubernetes Services + EndpointSlices + node facts -> the state the engine should program: what kube-proxy's
// IPVS mode computes in syncProxyRules (pkg/proxy/ipvs/proxier.go), as one pure function. No I/O, no clock;
// a bad Service is reported and left out, never thrown, and never disturbs the others.
import type { V1Service } from '@kubernetes/client-node';
import { canonicalState, hostPort } from '../state/canonical.js';
import type { Family, IpsetState, IptablesState, State, VirtualServer } from '../state/types.js';
import { hostPrefix } from './addresses.js';
import { indexEndpointSlices, selectEndpoints, servicePortKey, type EndpointIndex } from './endpoints.js';
import { buildIptables, type LoadBalancerFrontend } from './iptables-rules.js';
import {
  emptyIpsetMembers, frontendMembers, IPSET_IDS, ipsetStates, loopbackMembers, member, sourceRangesAllowNode,
  type IpsetMembers,
} from './ipsets.js';
import { resolveNode, type ResolvedNode } from './node-config.js';
import { normalizeService } from './service-ports.js';
import type { NodeTopology } from './topology.js';
import type { DesiredStateInput, DesiredStateResult, DesiredStateStats, Problem, ServiceInfo } from './types.js';
import { serviceFrontends, virtualServer } from './virtual-servers.js';

export const DUMMY_INTERFACE = 'kube-ipvs0';

const IPTABLES_TABLES: Record<Family, { nat: 'nat' | 'ip6-nat'; filter: 'filter' | 'ip6-filter' }> = {
  inet: { nat: 'nat', filter: 'filter' },
  inet6: { nat: 'ip6-nat', filter: 'ip6-filter' },
};

/** Everything the walk over Services accumulates. */
interface Accumulator {
  node: ResolvedNode;
  /** This node's name and zone, for the endpoints' topology hints. */
  here: NodeTopology;
  endpoints: EndpointIndex;
  /** Virtual servers by kernel identity, with the Service that claimed each first. */
  virtualServers: Map<string, { vs: VirtualServer; owner: string }>;
  bound: Map<Family, Set<string>>;
  members: Map<Family, IpsetMembers>;
  lbNoNodeAccess: Map<Family, LoadBalancerFrontend[]>;
  noLocal: { internal: Map<Family, Set<string>>; external: Map<Family, Set<string>> };
  problems: Problem[];
  stats: DesiredStateStats;
}

export function buildDesiredState(input: DesiredStateInput): DesiredStateResult {
  const { node: config } = input;
  const problems: Problem[] = [];
  const node = resolveNode(config, problems);
  const families = [...new Set(config.ipFamilies)];
  const endpoints = indexEndpointSlices(input.endpointSlices, config.nodeName);
  const perFamily = <T>(make: () => T): Map<Family, T> => new Map(families.map((f) => [f, make()]));
  const acc: Accumulator = {
    node,
    here: { nodeName: config.nodeName, zone: config.zone ?? '' },
    endpoints,
    virtualServers: new Map(),
    bound: perFamily(() => new Set<string>()),
    members: perFamily(emptyIpsetMembers),
    lbNoNodeAccess: perFamily((): LoadBalancerFrontend[] => []),
    noLocal: { internal: perFamily(() => new Set<string>()), external: perFamily(() => new Set<string>()) },
    problems,
    stats: {
      services: input.services.length, servicesIgnored: 0, servicesSkipped: 0, servicePorts: 0, virtualServers: 0,
      realServers: 0, noLocalEndpoints: { internal: { inet: 0, inet6: 0 }, external: { inet: 0, inet6: 0 } },
    },
  };

  for (const svc of orderServices(input.services)) {
    const n = normalizeService(svc, config, node.scheduler);
    if (n.kind === 'ignored') acc.stats.servicesIgnored++;
    else if (n.kind === 'problem') {
      acc.stats.servicesSkipped++;
      problems.push(...n.problems);
    } else programService(n.service, families, acc);
  }
  problems.push(...endpoints.problems);

  const ipsets: IpsetState[] = [];
  const iptables: IptablesState = {};
  const addresses: string[] = [];
  for (const family of families) {
    const members = acc.members.get(family)!;
    for (const ip of acc.bound.get(family)!) {
      members.ipvsIPs.add(member.ip(ip));
      addresses.push(`${ip}/${hostPrefix(family)}`);
    }
    ipsets.push(...ipsetStates(family, members));
    const tables = buildIptables({
      family,
      nonEmpty: new Set(IPSET_IDS.filter((id) => members[id].size > 0)),
      masqueradeAll: config.masqueradeAll,
      clusterCIDR: node.clusterCIDR[family],
      lbNoNodeAccess: acc.lbNoNodeAccess.get(family)!,
    });
    iptables[IPTABLES_TABLES[family].nat] = tables.nat;
    iptables[IPTABLES_TABLES[family].filter] = tables.filter;
    acc.stats.noLocalEndpoints.internal[family] = acc.noLocal.internal.get(family)!.size;
    acc.stats.noLocalEndpoints.external[family] = acc.noLocal.external.get(family)!.size;
  }

  const virtualServers = [...acc.virtualServers.values()].map((v) => v.vs);
  acc.stats.virtualServers = virtualServers.length;
  acc.stats.realServers = virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  const state: State = { interface: { name: DUMMY_INTERFACE, addresses }, virtualServers, ipsets, iptables };
  return { state: canonicalState(state), problems, stats: acc.stats };
}

function programService(svc: ServiceInfo, families: Family[], acc: Accumulator): void {
  const owner = `${svc.namespace}/${svc.name}`;
  for (const family of families) {
    const addrs = svc.families[family];
    if (!addrs) continue;
    const members = acc.members.get(family)!;
    const nodeIPs = acc.node.nodeIPs[family];
    if (svc.healthCheckNodePort !== 0) members.healthCheckNodePort.add(member.port(svc.healthCheckNodePort));
    for (const port of svc.ports) {
      acc.stats.servicePorts++;
      const eps = acc.endpoints.byServicePort.get(servicePortKey(svc.namespace, svc.name, family, port.protocol, port.name)) ?? [];
      const selection = selectEndpoints(eps, acc.here);
      for (const m of loopbackMembers(eps, port.protocol)) members.loopBack.add(m);
      if (selection.hasAny && selection.local.length === 0) {
        if (svc.internalPolicyLocal) acc.noLocal.internal.get(family)!.add(owner);
        if (svc.externalPolicyLocal) acc.noLocal.external.get(family)!.add(owner);
      }
      for (const frontend of serviceFrontends(svc, port, addrs, nodeIPs, acc.node.localAddresses)) {
        const key = `${frontend.protocol} ${hostPort(frontend.address, frontend.port)}`;
        const claimed = acc.virtualServers.get(key);
        if (claimed) {
          if (claimed.owner !== owner) {
            acc.problems.push({
              namespace: svc.namespace, name: svc.name, field: frontend.field,
              reason: `virtual server ${key} already belongs to ${claimed.owner}; this address skipped`,
            });
          }
          continue;
        }
        acc.virtualServers.set(key, { vs: virtualServer(svc, frontend, selection), owner });
        if (frontend.bind) acc.bound.get(family)!.add(frontend.address);
        for (const [id, m] of frontendMembers(frontend, addrs, svc.externalPolicyLocal, nodeIPs)) members[id].add(m);
        if (frontend.kind === 'load-balancer' && addrs.sourceRanges.length > 0 && !sourceRangesAllowNode(addrs.sourceRanges, nodeIPs)) {
          acc.lbNoNodeAccess.get(family)!.push({ address: frontend.address, protocol: frontend.protocol, port: frontend.port });
        }
      }
    }
  }
}

/** Oldest first (the older Service keeps a contested address, as the API server's allocators would), then by name. */
export function orderServices(services: V1Service[]): V1Service[] {
  const created = (s: V1Service): number => {
    const t = s.metadata?.creationTimestamp;
    const ms = t === undefined ? NaN : new Date(t as unknown as string).getTime();
    return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
  };
  const id = (s: V1Service): string => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
  return [...services].sort((a, b) => created(a) - created(b) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
}
