// The ipsets kube-proxy's IPVS mode keeps (pkg/proxy/ipvs/ipset.go, proxier.go ipsetInfo), their names per
// family, and their members in ipset's own text syntax (what `ipset list` prints and our dump reads back).
import type { Family, IpsetState, IpsetType, Protocol } from '../state/types.js';
import { cidrContains, hostPrefix, parseCidr, parseIp } from './addresses.js';
import type { EndpointInfo, FamilyAddresses } from './types.js';
import type { Frontend } from './virtual-servers.js';

export interface IpsetDef {
  /** IPv4 name; the IPv6 twin is derived by ipsetName(). */
  name: string;
  type: IpsetType;
  /** kube-proxy's comment, used in the iptables rules that match the set. */
  comment: string;
}

/** In kube-proxy's ipsetInfo order. */
export const IPSETS = {
  loopBack: { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  clusterIP: { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  externalIP: { name: 'KUBE-EXTERNAL-IP', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  externalIPLocal: { name: 'KUBE-EXTERNAL-IP-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  loadBalancer: { name: 'KUBE-LOAD-BALANCER', type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  loadBalancerFW: { name: 'KUBE-LOAD-BALANCER-FW', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  loadBalancerLocal: { name: 'KUBE-LOAD-BALANCER-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  loadBalancerSourceIP: { name: 'KUBE-LOAD-BALANCER-SOURCE-IP', type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  loadBalancerSourceCIDR: { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  nodePortTCP: { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  nodePortLocalTCP: { name: 'KUBE-NODE-PORT-LOCAL-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  nodePortUDP: { name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  nodePortLocalUDP: { name: 'KUBE-NODE-PORT-LOCAL-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  nodePortSCTP: { name: 'KUBE-NODE-PORT-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  nodePortLocalSCTP: { name: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  healthCheckNodePort: { name: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  ipvsIPs: { name: 'KUBE-IPVS-IPS', type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
} as const satisfies Record<string, IpsetDef>;

export type IpsetId = keyof typeof IPSETS;
export const IPSET_IDS = Object.keys(IPSETS) as IpsetId[];

/** ipset names are at most 31 characters (IPSET_MAXNAMELEN 32 with the NUL, uapi ip_set.h). */
const IPSET_MAX_NAME = 31;

/**
 * IPv6 sets are "KUBE-6-..." so both families coexist; kube-proxy cuts names longer than 31 characters
 * (NewIPSet), e.g. KUBE-6-LOAD-BALANCER-SOURCE-CID.
 */
export function ipsetName(id: IpsetId, family: Family): string {
  const base = IPSETS[id].name;
  if (family === 'inet') return base;
  return base.replace(/^KUBE-/, 'KUBE-6-').slice(0, IPSET_MAX_NAME);
}

// ---- Member text, as ipset prints it ----

export const member = {
  ipPort: (ip: string, protocol: Protocol, port: number): string => `${ip},${protocol}:${port}`,
  ipPortIp: (ip: string, protocol: Protocol, port: number, ip2: string): string => `${ip},${protocol}:${port},${ip2}`,
  /** ipset prints a full-length net without its prefix ("...,198.51.100.7"), any other with it. */
  ipPortNet: (ip: string, protocol: Protocol, port: number, cidr: string): string => {
    const c = parseCidr(cidr)!;
    return `${ip},${protocol}:${port},${c.prefix === hostPrefix(c.family) ? c.network : c.text}`;
  },
  port: (port: number): string => String(port),
  ip: (ip: string): string => ip,
};

/** The members of every set of one family, filled while walking the services. */
export type IpsetMembers = Record<IpsetId, Set<string>>;

export function emptyIpsetMembers(): IpsetMembers {
  return Object.fromEntries(IPSET_IDS.map((id) => [id, new Set<string>()])) as IpsetMembers;
}

/** Every set kube-proxy creates for the family, empty or not, so the iptables rules naming them load. */
export function ipsetStates(family: Family, members: IpsetMembers): IpsetState[] {
  return IPSET_IDS.map((id) => ({
    name: ipsetName(id, family),
    type: IPSETS[id].type,
    // bitmap:port has no address family; ipset reports it as inet.
    family: IPSETS[id].type === 'bitmap:port' ? 'inet' : family,
    entries: [...members[id]],
  }));
}

/** Hairpin: a local endpoint reaching itself through a VIP must be masqueraded (KUBE-LOOP-BACK). */
export function loopbackMembers(endpoints: EndpointInfo[], protocol: Protocol): string[] {
  return endpoints.filter((e) => e.local).map((e) => member.ipPortIp(e.ip, protocol, e.port, e.ip));
}

/** Node-port set of a protocol, for masquerade or for externalTrafficPolicy=Local. */
export function nodePortSet(protocol: Protocol, local: boolean): IpsetId {
  switch (protocol) {
    case 'tcp': return local ? 'nodePortLocalTCP' : 'nodePortTCP';
    case 'udp': return local ? 'nodePortLocalUDP' : 'nodePortUDP';
    case 'sctp': return local ? 'nodePortLocalSCTP' : 'nodePortSCTP';
  }
}

/** bitmap:port sets hold the port; the SCTP sets are hash:ip,port and hold "nodeIP,sctp:port". */
export function nodePortMember(protocol: Protocol, nodeIP: string, nodePort: number): string {
  return protocol === 'sctp' ? member.ipPort(nodeIP, protocol, nodePort) : member.port(nodePort);
}

/**
 * Whether a node IP lies in one of the source ranges: then the node may reach the LB IP itself
 * (KUBE-LOAD-BALANCER-SOURCE-IP "lbIP,proto:port,lbIP", since IPVS traffic from the node has the VIP as
 * source); otherwise kube-proxy drops node-originated traffic to it (KUBE-IPVS-OUT-FILTER).
 */
export function sourceRangesAllowNode(sourceRanges: string[], nodeIPs: string[]): boolean {
  const ips = nodeIPs.map((t) => parseIp(t)).filter((x) => x !== undefined);
  return sourceRanges.some((r) => {
    const c = parseCidr(r);
    return c !== undefined && ips.some((ip) => cidrContains(c, ip));
  });
}

/** The set members a frontend contributes (kube-proxy syncProxyRules, per address kind). */
export function frontendMembers(
  frontend: Frontend,
  addrs: FamilyAddresses,
  externalPolicyLocal: boolean,
  nodeIPs: string[],
): [IpsetId, string][] {
  const { address, protocol, port } = frontend;
  const ipPort = member.ipPort(address, protocol, port);
  switch (frontend.kind) {
    case 'cluster-ip':
      return [['clusterIP', ipPort]];
    case 'external-ip':
      // Cluster policy: masquerade (traffic may leave the node); Local: keep the client address.
      return [[externalPolicyLocal ? 'externalIPLocal' : 'externalIP', ipPort]];
    case 'load-balancer': {
      const out: [IpsetId, string][] = [['loadBalancer', ipPort]];
      if (externalPolicyLocal) out.push(['loadBalancerLocal', ipPort]);
      if (addrs.sourceRanges.length > 0) {
        out.push(['loadBalancerFW', ipPort]);
        for (const cidr of addrs.sourceRanges) out.push(['loadBalancerSourceCIDR', member.ipPortNet(address, protocol, port, cidr)]);
        if (sourceRangesAllowNode(addrs.sourceRanges, nodeIPs)) {
          out.push(['loadBalancerSourceIP', member.ipPortIp(address, protocol, port, address)]);
        }
      }
      return out;
    }
    case 'node-port': {
      const m = nodePortMember(protocol, address, port);
      const out: [IpsetId, string][] = [[nodePortSet(protocol, false), m]];
      if (externalPolicyLocal) out.push([nodePortSet(protocol, true), m]);
      return out;
    }
  }
}
