// The bench's state as the proxier gets it: N ClusterIP Services and one EndpointSlice of 10 endpoints each,
// for the desired-state aggregate (lib/proxier/desired-state-aggregate.ts) to turn into the state
// bench-state.ts writes out directly (same virtual servers, KUBE-CLUSTER-IP and KUBE-LOOP-BACK members and
// addresses; every endpoint is on this node, so each has its hairpin member). Pure functions.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { NodeConfig } from '../../lib/proxier/types.js';
import type { State } from '../../lib/state/types.js';
import { clusterIp, ENDPOINTS_PER_SERVICE, maxelemFor, podIp } from './bench-state.js';

export const BENCH_NODE: NodeConfig = {
  nodeName: 'bench-node',
  nodeIPs: [],
  clusterCIDRs: ['10.128.0.0/9'],
  masqueradeAll: false,
  scheduler: 'rr',
  ipFamilies: ['inet'],
};

const NAMESPACE = 'bench';
const CREATED = new Date('2026-01-01T00:00:00Z');

export function benchServiceKey(i: number): string {
  return `${NAMESPACE}/svc-${i}`;
}

export function benchService(i: number): V1Service {
  return {
    metadata: { namespace: NAMESPACE, name: `svc-${i}`, creationTimestamp: CREATED },
    spec: { type: 'ClusterIP', clusterIP: clusterIp(i), clusterIPs: [clusterIp(i)], ports: [{ port: 80, protocol: 'TCP' }] },
  };
}

export function benchSliceKey(i: number): string {
  return `${NAMESPACE}/svc-${i}-abcde`;
}

/** `change` puts `newIp` in place of one endpoint. */
export function benchSlice(i: number, change?: { endpoint: number; newIp: string }): V1EndpointSlice {
  const endpoints = [];
  for (let j = 0; j < ENDPOINTS_PER_SERVICE; j++) {
    const ip = change && change.endpoint === j ? change.newIp : podIp(i, j);
    endpoints.push({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: BENCH_NODE.nodeName });
  }
  return {
    addressType: 'IPv4',
    metadata: { namespace: NAMESPACE, name: `svc-${i}-abcde`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    ports: [{ port: 8080, protocol: 'TCP' }],
    endpoints,
  };
}

/**
 * The aggregate's state as the bench applies it: without the iptables section (the bench measures netlink;
 * the C tools it is compared with do no iptables either), and with maxelem raised on sets holding more than
 * kube-proxy's 65,536 members, as bench-state.ts does (KUBE-LOOP-BACK at 10,000 Services). Lists are shared.
 */
export function benchDesired(state: State): State {
  const ipsets = state.ipsets.map((s) => {
    const maxelem = maxelemFor(s.entries.length);
    return maxelem === undefined ? s : { ...s, maxelem };
  });
  const { iptables: _omit, ...rest } = state;
  return { ...rest, ipsets };
}
