// Kubernetes Services + EndpointSlices + node facts -> the state the engine should program: what kube-proxy's
// IPVS mode computes in syncProxyRules (pkg/proxy/ipvs/proxier.go), as one pure function. No I/O, no clock;
// a bad Service is reported and left out, never thrown, and never disturbs the others.
import type { V1Service } from '@kubernetes/client-node';
import { canonicalState } from '../state/canonical.js';
import type { Family, IpsetState, IptablesState, State, VirtualServer } from '../state/types.js';
import { hostPrefix } from './addresses.js';
import { indexEndpointSlices } from './endpoints.js';
import { buildIptables, type LoadBalancerFrontend } from './iptables-rules.js';
import { emptyIpsetMembers, IPSET_IDS, ipsetStates, member, type IpsetId } from './ipsets.js';
import { resolveNode } from './node-config.js';
import { lostClaimProblem, serviceContribution, type NodeContext } from './service-contribution.js';
import type { DesiredStateInput, DesiredStateResult, DesiredStateStats, NodeConfig, Problem } from './types.js';

export const DUMMY_INTERFACE = 'kube-ipvs0';

const IPTABLES_TABLES: Record<Family, { nat: 'nat' | 'ip6-nat'; filter: 'filter' | 'ip6-filter' }> = {
  inet: { nat: 'nat', filter: 'filter' },
  inet6: { nat: 'ip6-nat', filter: 'ip6-filter' },
};

/** The node-level inputs every Service's contribution shares; node configuration problems go to `problems`. */
export function nodeContext(config: NodeConfig, problems: Problem[]): NodeContext {
  return {
    config,
    node: resolveNode(config, problems),
    families: [...new Set(config.ipFamilies)],
    here: { nodeName: config.nodeName, zone: config.zone ?? '' },
  };
}

/** One family's iptables tables, into `iptables`. */
export function addFamilyIptables(iptables: IptablesState, family: Family, ctx: NodeContext, nonEmpty: ReadonlySet<IpsetId>, lbNoNodeAccess: LoadBalancerFrontend[]): void {
  const tables = buildIptables({
    family,
    nonEmpty,
    masqueradeAll: ctx.config.masqueradeAll,
    clusterCIDR: ctx.node.clusterCIDR[family],
    lbNoNodeAccess,
  });
  iptables[IPTABLES_TABLES[family].nat] = tables.nat;
  iptables[IPTABLES_TABLES[family].filter] = tables.filter;
}

export function emptyStats(services: number): DesiredStateStats {
  return {
    services, servicesIgnored: 0, servicesSkipped: 0, servicePorts: 0, virtualServers: 0,
    realServers: 0, noLocalEndpoints: { internal: { inet: 0, inet6: 0 }, external: { inet: 0, inet6: 0 } },
  };
}

/**
 * The walk kube-proxy's syncProxyRules does: Services oldest first, each frontend claiming its virtual server
 * unless an older Service (or an earlier frontend of the same one) has it.
 */
export function buildDesiredState(input: DesiredStateInput): DesiredStateResult {
  const problems: Problem[] = [];
  const ctx = nodeContext(input.node, problems);
  const { families } = ctx;
  const endpoints = indexEndpointSlices(input.endpointSlices, input.node.nodeName);
  const perFamily = <T>(make: () => T): Map<Family, T> => new Map(families.map((f) => [f, make()]));
  const virtualServerOwners = new Map<string, { vs: VirtualServer; owner: string }>();
  const bound = perFamily(() => new Set<string>());
  const members = perFamily(emptyIpsetMembers);
  const lbNoNodeAccess = perFamily((): LoadBalancerFrontend[] => []);
  const stats = emptyStats(input.services.length);

  for (const svc of orderServices(input.services)) {
    const c = serviceContribution(svc, endpoints.byServicePort, ctx);
    if (c.kind === 'ignored') {
      stats.servicesIgnored++;
      continue;
    }
    if (c.kind === 'problem') {
      stats.servicesSkipped++;
      problems.push(...c.problems);
      continue;
    }
    stats.servicePorts += c.servicePorts;
    for (const m of c.members) members.get(m.family)![m.id].add(m.member);
    for (const f of c.noLocal.internal) stats.noLocalEndpoints.internal[f]++;
    for (const f of c.noLocal.external) stats.noLocalEndpoints.external[f]++;
    for (const claim of c.claims) {
      const claimed = virtualServerOwners.get(claim.key);
      if (claimed) {
        if (claimed.owner !== c.owner) problems.push(lostClaimProblem(c, claim, claimed.owner));
        continue;
      }
      virtualServerOwners.set(claim.key, { vs: claim.vs, owner: c.owner });
      if (claim.bind !== undefined) bound.get(claim.family)!.add(claim.bind);
      for (const m of claim.members) members.get(m.family)![m.id].add(m.member);
      if (claim.lbNoNodeAccess) lbNoNodeAccess.get(claim.family)!.push(claim.lbNoNodeAccess);
    }
  }
  problems.push(...endpoints.problems);

  const ipsets: IpsetState[] = [];
  const iptables: IptablesState = {};
  const addresses: string[] = [];
  for (const family of families) {
    const familyMembers = members.get(family)!;
    for (const ip of bound.get(family)!) {
      familyMembers.ipvsIPs.add(member.ip(ip));
      addresses.push(`${ip}/${hostPrefix(family)}`);
    }
    ipsets.push(...ipsetStates(family, familyMembers));
    addFamilyIptables(iptables, family, ctx, new Set(IPSET_IDS.filter((id) => familyMembers[id].size > 0)), lbNoNodeAccess.get(family)!);
  }

  const virtualServers = [...virtualServerOwners.values()].map((v) => v.vs);
  stats.virtualServers = virtualServers.length;
  stats.realServers = virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  const state: State = { interface: { name: DUMMY_INTERFACE, addresses }, virtualServers, ipsets, iptables };
  return { state: canonicalState(state), problems, stats };
}

/** A Service's creation time in ms; a missing or bad one sorts last. */
export function serviceCreatedMs(s: V1Service): number {
  const t = s.metadata?.creationTimestamp;
  const ms = t === undefined ? NaN : new Date(t as unknown as string).getTime();
  return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
}

/** Oldest first (the older Service keeps a contested address, as the API server's allocators would), then by name. */
export function orderServices(services: V1Service[]): V1Service[] {
  const id = (s: V1Service): string => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
  return [...services].sort((a, b) => serviceCreatedMs(a) - serviceCreatedMs(b) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
}
