// A service port's frontends (the addresses clients reach it on) and the IPVS virtual server of each.
// Mirrors the per-service loop of kube-proxy's syncProxyRules (pkg/proxy/ipvs/proxier.go): cluster IP,
// each external IP, each VIP-mode LoadBalancer IP, each node IP on the node port; session affinity ->
// persistent + timeout; MASQ real servers of weight 1.
import type { Protocol, RealServer, VirtualServer } from '../state/types.js';
import type { EndpointSelection } from './endpoints.js';
import type { FamilyAddresses, ServiceInfo, ServicePortInfo } from './types.js';

export type FrontendKind = 'cluster-ip' | 'external-ip' | 'load-balancer' | 'node-port';

export interface Frontend {
  kind: FrontendKind;
  protocol: Protocol;
  address: string;
  port: number;
  /** The Service field the address comes from, for problems. */
  field: string;
  /** Bound to kube-ipvs0: every VIP except node addresses (kube-proxy must not steal a node's own IP). */
  bind: boolean;
  /** Uses only endpoints on this node (ITP Local for the cluster IP, ETP Local for the rest). */
  localOnly: boolean;
}

export function serviceFrontends(
  svc: ServiceInfo,
  port: ServicePortInfo,
  addrs: FamilyAddresses,
  nodeIPs: string[],
  localAddresses: ReadonlySet<string>,
): Frontend[] {
  const { protocol } = port;
  const out: Frontend[] = [{
    kind: 'cluster-ip', protocol, address: addrs.clusterIP, port: port.port,
    field: 'spec.clusterIPs', bind: true, localOnly: svc.internalPolicyLocal,
  }];
  for (const ip of addrs.externalIPs) {
    out.push({
      kind: 'external-ip', protocol, address: ip, port: port.port,
      field: 'spec.externalIPs', bind: !localAddresses.has(ip), localOnly: svc.externalPolicyLocal,
    });
  }
  for (const ip of addrs.loadBalancerIPs) {
    out.push({
      kind: 'load-balancer', protocol, address: ip, port: port.port,
      field: 'status.loadBalancer.ingress', bind: !localAddresses.has(ip), localOnly: svc.externalPolicyLocal,
    });
  }
  if (port.nodePort !== 0) {
    for (const ip of nodeIPs) {
      out.push({
        kind: 'node-port', protocol, address: ip, port: port.nodePort,
        field: 'spec.ports.nodePort', bind: false, localOnly: svc.externalPolicyLocal,
      });
    }
  }
  return out;
}

/**
 * With a Local policy and no usable endpoint on this node the virtual server has no real servers, so the
 * traffic is refused here, as the Service spec and kube-proxy's iptables/nftables modes do (kube-proxy's
 * IPVS mode falls back to cluster endpoints instead).
 */
export function virtualServer(svc: ServiceInfo, frontend: Frontend, endpoints: EndpointSelection): VirtualServer {
  const chosen = frontend.localOnly ? endpoints.local : endpoints.cluster;
  const realServers: RealServer[] = chosen.map((e) => ({ address: e.ip, port: e.port, weight: 1, forward: 'masq' }));
  const vs: VirtualServer = {
    protocol: frontend.protocol,
    address: frontend.address,
    port: frontend.port,
    scheduler: svc.scheduler,
    flags: [...svc.flags],
    realServers,
  };
  if (svc.affinityTimeout !== undefined) {
    vs.flags.unshift('persistent');
    vs.timeout = svc.affinityTimeout;
  }
  return vs;
}
