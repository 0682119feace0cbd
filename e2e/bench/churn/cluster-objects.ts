// The churn bench's cluster: N ClusterIP Services (tcp 80 -> 8080) with one EndpointSlice of 10 ready
// endpoints each, and the proxier's Node. Pure functions, shared by the stand-in API server's loader (which
// creates them) and the writer (which replaces endpoints in them), so both hold the same objects.
// The cluster IPs are given, not allocated, so the observer knows each virtual server without asking.
// The endpoints run on another node (node-2): as on most nodes of a big cluster, none is local, so the
// proxier programs one virtual server with 10 real servers per Service and no KUBE-LOOP-BACK members.
import { clusterIp, ENDPOINTS_PER_SERVICE, podIp } from '../bench-state.js';
import type { KubeObject } from '../../apiserver-src/kube-object.js';

export const NAMESPACE = 'churn';
export const NODE_NAME = 'node-1';
export const ENDPOINT_NODE = 'node-2';
export const SERVICE_PORT = 80;
export const TARGET_PORT = 8080;
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

export function serviceName(i: number): string {
  return `svc-${i}`;
}

export function sliceName(i: number): string {
  return `svc-${i}-churn`;
}

/** Cluster IP of service i: 10.96.0.2, 10.96.0.3, ... (10.96.0.1 is the `kubernetes` Service's). */
export function serviceIp(i: number): string {
  return clusterIp(i + 1);
}

/** The pod IPs service i starts with (10.128.0.1 up: distinct across services). */
export function initialPodIps(i: number): string[] {
  return Array.from({ length: ENDPOINTS_PER_SERVICE }, (_, j) => podIp(i, j));
}

/** The k-th replacement pod IP of a run with `services` Services: after every initial one, never reused. */
export function replacementPodIp(services: number, k: number): string {
  return podIp(services + Math.floor(k / ENDPOINTS_PER_SERVICE), k % ENDPOINTS_PER_SERVICE);
}

export function service(i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(i), namespace: NAMESPACE, labels: { app: serviceName(i) } },
    spec: { type: 'ClusterIP', clusterIP: serviceIp(i), selector: { app: serviceName(i) }, ports: [{ name: 'http', protocol: 'TCP', port: SERVICE_PORT, targetPort: TARGET_PORT }] },
  };
}

/** Service i's EndpointSlice with these pod IPs; `triggerTime` (ms) sets the controller's annotation. */
export function endpointSlice(i: number, podIps: readonly string[], triggerTime?: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: sliceName(i),
      namespace: NAMESPACE,
      labels: { 'kubernetes.io/service-name': serviceName(i), 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ...(triggerTime === undefined ? {} : { annotations: { [TRIGGER_TIME_ANNOTATION]: new Date(triggerTime).toISOString() } }),
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port: TARGET_PORT }],
    endpoints: podIps.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: ENDPOINT_NODE })),
  };
}

/** The Node the proxier runs as (its address and pod CIDR; node-2 need not exist). */
export function node(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME } },
    spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] },
    status: { addresses: [{ type: 'InternalIP', address: '192.168.122.10' }, { type: 'Hostname', address: NODE_NAME }] },
  };
}

/** Everything the API server starts with: the Node, then each Service with its slice. */
export function* clusterObjects(services: number): Generator<KubeObject> {
  yield node();
  for (let i = 0; i < services; i++) {
    yield service(i);
    yield endpointSlice(i, initialPodIps(i));
  }
}
