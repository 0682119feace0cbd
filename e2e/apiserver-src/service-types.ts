// JSON shape of the v1 Service fields the server defaults, validates or allocates.

import type { KubeObject } from './kube-object.js';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
  [field: string]: unknown;
}

export interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: ServicePort[];
  selector?: Record<string, string>;
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  allocateLoadBalancerNodePorts?: boolean;
  externalName?: string;
  externalIPs?: string[];
  loadBalancerIP?: string;
  [field: string]: unknown;
}

export interface ServiceObject extends KubeObject {
  spec?: ServiceSpec;
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> }; [field: string]: unknown };
}

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export const IP_FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const;
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

export function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None';
}

/** NodePort services always have node ports; LoadBalancers unless allocateLoadBalancerNodePorts is false. */
export function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

export function needsHealthCheckNodePort(spec: ServiceSpec): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}
