// Small builders for Services, EndpointSlices and node configs used by the proxier tests.
import type { V1EndpointSlice, V1Service, V1ServiceSpec } from '@kubernetes/client-node';
import type { NodeConfig } from '../../../lib/proxier/types.js';

export function node(over: Partial<NodeConfig> = {}): NodeConfig {
  return {
    nodeName: 'node-1',
    nodeIPs: ['192.168.122.10'],
    clusterCIDRs: ['10.244.0.0/16'],
    masqueradeAll: false,
    scheduler: 'rr',
    ipFamilies: ['inet'],
    ...over,
  };
}

export function service(
  name: string,
  spec: V1ServiceSpec,
  extra: { namespace?: string; annotations?: Record<string, string>; lbIngress?: { ip?: string; ipMode?: string }[]; created?: string } = {},
): V1Service {
  const svc: V1Service = {
    metadata: { name, namespace: extra.namespace ?? 'default' },
    spec,
  };
  if (extra.annotations) svc.metadata!.annotations = extra.annotations;
  if (extra.created) svc.metadata!.creationTimestamp = new Date(extra.created);
  if (extra.lbIngress) svc.status = { loadBalancer: { ingress: extra.lbIngress } };
  return svc;
}

export interface Ep {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function slice(
  sliceName: string,
  serviceName: string,
  ports: { name?: string; port?: number; protocol?: string }[],
  endpoints: Ep[],
  opts: { namespace?: string; addressType?: string } = {},
): V1EndpointSlice {
  return {
    addressType: opts.addressType ?? 'IPv4',
    metadata: {
      name: sliceName,
      namespace: opts.namespace ?? 'default',
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    ports,
    endpoints: endpoints.map((e) => {
      const conditions: { ready?: boolean; serving?: boolean; terminating?: boolean } = {};
      if (e.ready !== undefined) conditions.ready = e.ready;
      if (e.serving !== undefined) conditions.serving = e.serving;
      if (e.terminating !== undefined) conditions.terminating = e.terminating;
      return { addresses: [e.ip], conditions, ...(e.node ? { nodeName: e.node } : {}) };
    }),
  };
}

/** Real servers as the state lists them: weight 1, masq. */
export function rs(...addrPorts: string[]) {
  return addrPorts.map((ap) => {
    const i = ap.lastIndexOf(':');
    const address = ap.slice(0, i).replace(/^\[|\]$/g, '');
    return { address, port: Number(ap.slice(i + 1)), weight: 1, forward: 'masq' as const };
  });
}
