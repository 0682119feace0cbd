// Inputs and outputs of the desired-state builder, and the normalised values its modules pass around.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Family, Protocol, ServiceFlag, State } from '../state/types.js';

/** What the proxier knows about the node it runs on (from flags and a look at the host, never from here). */
export interface NodeConfig {
  nodeName: string;
  /** Addresses NodePort virtual servers listen on, already filtered by the caller per --nodeport-addresses. */
  nodeIPs: string[];
  /**
   * Every local address of the node except kube-ipvs0's. An externalIP or LoadBalancer IP that is one of them
   * is not bound to kube-ipvs0 (kube-proxy: GetAllLocalAddressesExcept). Defaults to nodeIPs.
   */
  localAddresses?: string[];
  /** --cluster-cidr: the first CIDR of each family tells pod traffic from the rest. */
  clusterCIDRs: string[];
  masqueradeAll: boolean;
  /** --ipvs-scheduler; empty means rr. */
  scheduler: string;
  /**
   * Schedulers the kernel refused (ENOENT: no ip_vs_<name> module): a Service asking for one by annotation
   * is skipped, with a problem naming it, instead of failing every sync.
   */
  unavailableSchedulers?: readonly string[];
  /** --ipvs-exclude-cidrs: limits what the planner may delete; not used to compute the desired state. */
  excludeCIDRs?: string[];
  /** --ipvs-strict-arp: sysctls, not part of this state. */
  strictARP?: boolean;
  /** Families the node serves; one set of ipsets and iptables tables per family. */
  ipFamilies: Family[];
  /**
   * The Node's topology.kubernetes.io/zone label ("" or absent: none): endpoints hinted for this zone take the
   * node's Cluster-policy traffic (topology.ts).
   */
  zone?: string;
}

/**
 * Something in the input that could not be programmed. `namespace`/`name` name the Service (empty for node
 * configuration problems); `reason` says what was skipped: the whole Service, one endpoint or one frontend.
 */
export interface Problem {
  namespace: string;
  name: string;
  field: string;
  reason: string;
}

export interface DesiredStateInput {
  services: V1Service[];
  endpointSlices: V1EndpointSlice[];
  node: NodeConfig;
}

export interface DesiredStateStats {
  /** Service objects given. */
  services: number;
  /** Services left out on purpose: headless, ExternalName, no cluster IP. */
  servicesIgnored: number;
  /** Services skipped because of a problem. */
  servicesSkipped: number;
  /** (service, port, family) triples programmed. */
  servicePorts: number;
  virtualServers: number;
  realServers: number;
  /**
   * Services whose Local traffic policy finds endpoints in the cluster but none on this node, per family:
   * kube-proxy's sync_proxy_rules_no_local_endpoints_total{traffic_policy="internal"|"external"}.
   */
  noLocalEndpoints: { internal: Record<Family, number>; external: Record<Family, number> };
}

export interface DesiredStateResult {
  state: State;
  problems: Problem[];
  stats: DesiredStateStats;
}

// ---- Normalised values (validated, canonical address text) ----

export interface ServicePortInfo {
  /** "" for an unnamed port. Matched against EndpointSlice port names. */
  name: string;
  protocol: Protocol;
  port: number;
  /** 0 when the port has no node port (or the Service type does not use it). */
  nodePort: number;
}

/** A Service's addresses in one family; present only when the Service has a cluster IP in that family. */
export interface FamilyAddresses {
  clusterIP: string;
  externalIPs: string[];
  /** status.loadBalancer.ingress IPs in VIP mode (LoadBalancer Services only). */
  loadBalancerIPs: string[];
  /** loadBalancerSourceRanges of this family, canonical "network/prefix". */
  sourceRanges: string[];
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  scheduler: string;
  /** Flags from the scheduler and annotations; `persistent` is added from session affinity. */
  flags: ServiceFlag[];
  /** Session affinity ClientIP timeout in seconds, or undefined for none. */
  affinityTimeout?: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** 0 when none. */
  healthCheckNodePort: number;
  ports: ServicePortInfo[];
  families: Partial<Record<Family, FamilyAddresses>>;
}

export interface EndpointInfo {
  ip: string;
  port: number;
  /** endpoint.nodeName === node.nodeName */
  local: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** hints.forZones names; absent when the endpoint has none. */
  zoneHints?: string[];
  /** hints.forNodes names; absent when the endpoint has none. */
  nodeHints?: string[];
}
