// What one Service adds to the desired state, as a pure function of the Service, its endpoints and the node:
// the virtual servers it claims with what each brings along (a kube-ipvs0 address, set members, an iptables
// input), and what it adds whatever it wins (hairpin members, its health check port, Local-policy counts).
// buildDesiredState walks these oldest Service first; DesiredStateAggregate keeps them per Service and
// adds or removes one Service's at a time. Both must give the same state, so both start here.
import type { V1Service } from '@kubernetes/client-node';
import { canonicalVirtualServer, hostPort } from '../state/canonical.js';
import type { Family, VirtualServer } from '../state/types.js';
import { selectEndpoints, servicePortKey, type EndpointIndex } from './endpoints.js';
import type { LoadBalancerFrontend } from './iptables-rules.js';
import { frontendMembers, loopbackMembers, member, sourceRangesAllowNode, type IpsetId } from './ipsets.js';
import type { ResolvedNode } from './node-config.js';
import { normalizeService } from './service-ports.js';
import type { NodeTopology } from './topology.js';
import type { NodeConfig, Problem } from './types.js';
import { serviceFrontends, virtualServer as virtualServerOf } from './virtual-servers.js';

/** Everything a contribution depends on besides the Service and its endpoints. */
export interface NodeContext {
  config: NodeConfig;
  node: ResolvedNode;
  families: Family[];
  /** This node's name and zone, for the endpoints' topology hints. */
  here: NodeTopology;
}

/** One set member of one family. */
export interface FamilyMember {
  family: Family;
  id: IpsetId;
  member: string;
}

/** A frontend's claim on a virtual server (kernel identity `key`): only the oldest claimant's is programmed. */
export interface Claim {
  key: string;
  family: Family;
  /** The Service field the address comes from, for the problem a lost claim reports. */
  field: string;
  /**
   * The Service claimed this key already (two of its frontends share an IP:port): never programmed, but
   * reported once more when another Service owns the key, as the walk over frontends does.
   */
  repeat: boolean;
  /** Canonical. */
  vs: VirtualServer;
  /** The address bound to kube-ipvs0 for it, if any. */
  bind?: string;
  members: FamilyMember[];
  /** A load-balancer frontend the node itself may not reach (source ranges exclude it). */
  lbNoNodeAccess?: LoadBalancerFrontend;
}

export interface ServiceContribution {
  /** "namespace/name", as the Service's metadata has them. */
  owner: string;
  namespace: string;
  name: string;
  kind: 'ok' | 'ignored' | 'problem';
  /** Why the Service was skipped (kind 'problem'). */
  problems: Problem[];
  /** In frontend order. */
  claims: Claim[];
  /** Members added whether or not the Service wins its claims. */
  members: FamilyMember[];
  /** Families in which a Local policy finds endpoints in the cluster but none here. */
  noLocal: { internal: Family[]; external: Family[] };
  /** (service, port, family) triples. */
  servicePorts: number;
}

export function serviceContribution(svc: V1Service, endpoints: EndpointIndex['byServicePort'], ctx: NodeContext): ServiceContribution {
  const n = normalizeService(svc, ctx.config, ctx.node.scheduler);
  const out: ServiceContribution = {
    owner: '', namespace: '', name: '', kind: n.kind, problems: n.kind === 'problem' ? n.problems : [], claims: [], members: [],
    noLocal: { internal: [], external: [] }, servicePorts: 0,
  };
  if (n.kind !== 'ok') return out;
  const s = n.service;
  out.namespace = s.namespace;
  out.name = s.name;
  out.owner = `${s.namespace}/${s.name}`;
  const claimed = new Set<string>();
  for (const family of ctx.families) {
    const addrs = s.families[family];
    if (!addrs) continue;
    const nodeIPs = ctx.node.nodeIPs[family];
    if (s.healthCheckNodePort !== 0) out.members.push({ family, id: 'healthCheckNodePort', member: member.port(s.healthCheckNodePort) });
    let noLocalInternal = false;
    let noLocalExternal = false;
    for (const port of s.ports) {
      out.servicePorts++;
      const eps = endpoints.get(servicePortKey(s.namespace, s.name, family, port.protocol, port.name)) ?? [];
      const selection = selectEndpoints(eps, ctx.here);
      for (const m of loopbackMembers(eps, port.protocol)) out.members.push({ family, id: 'loopBack', member: m });
      if (selection.hasAny && selection.local.length === 0) {
        noLocalInternal ||= s.internalPolicyLocal;
        noLocalExternal ||= s.externalPolicyLocal;
      }
      for (const frontend of serviceFrontends(s, port, addrs, nodeIPs, ctx.node.localAddresses)) {
        const key = `${frontend.protocol} ${hostPort(frontend.address, frontend.port)}`;
        const repeat = claimed.has(key);
        claimed.add(key);
        const claim: Claim = {
          key, family, field: frontend.field, repeat, vs: canonicalVirtualServer(virtualServerOf(s, frontend, selection)), members: [],
        };
        if (frontend.bind) claim.bind = frontend.address;
        for (const [id, m] of frontendMembers(frontend, addrs, s.externalPolicyLocal, nodeIPs)) claim.members.push({ family, id, member: m });
        if (frontend.kind === 'load-balancer' && addrs.sourceRanges.length > 0 && !sourceRangesAllowNode(addrs.sourceRanges, nodeIPs)) {
          claim.lbNoNodeAccess = { address: frontend.address, protocol: frontend.protocol, port: frontend.port };
        }
        out.claims.push(claim);
      }
    }
    if (noLocalInternal) out.noLocal.internal.push(family);
    if (noLocalExternal) out.noLocal.external.push(family);
  }
  return out;
}

/** The problem a claim reports when `winner` holds its key. */
export function lostClaimProblem(c: ServiceContribution, claim: Claim, winner: string): Problem {
  return {
    namespace: c.namespace, name: c.name, field: claim.field,
    reason: `virtual server ${claim.key} already belongs to ${winner}; this address skipped`,
  };
}
