// Topology-aware routing: which ready endpoints this node's Cluster-policy traffic may use, decided from the
// EndpointSlice hints alone, as kube-proxy 1.33-1.35 decides it (pkg/proxy/topology.go: topologyModeFromHints,
// availableForTopology).
//
// Why hints alone: spec.trafficDistribution (PreferClose, PreferSameZone, PreferSameNode) and the annotations
// service.kubernetes.io/topology-mode / topology-aware-hints are read by the EndpointSlice controller in
// kube-controller-manager, which turns them into hints.forZones / hints.forNodes, or removes every hint when it
// cannot balance the zones. Since 1.33 kube-proxy reads neither the field nor the annotations (KEP-3015: "kube-proxy
// does not look at the actual TrafficDistribution value, it only looks at the hints"); kube-proxy 1.27-1.32 also
// wanted the annotation (any value but ""/disabled/Disabled) or PreferClose. Following the current rule, a Service
// whose hints the controller removed gets every endpoint, whatever its spec says.
//
// Feature gates: TopologyAwareHints is GA since 1.33 (zone hints always honoured). PreferSameTrafficDistribution
// (forNodes) was alpha in 1.33, beta and on by default in 1.34, GA and locked on in 1.35: forNodes hints are always
// honoured here. An API server with the gate off drops forNodes on write, so such hints never reach us.
//
// The safeguards are kube-proxy's: hints count only when every READY endpoint carries one (of the kind in question)
// and at least one ready endpoint names this node (or its zone); otherwise the next rule, finally every endpoint.
// A partial rollout of hints (one endpoint unhinted) therefore falls back to all endpoints, never to none.
// Local traffic policies are not touched here: their endpoints are this node's, hints or not.
import type { V1Node } from '@kubernetes/client-node';
import type { EndpointInfo } from './types.js';

/** The well-known Node label kube-proxy reads its zone from (v1.LabelTopologyZone). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** Where this node is: its Node name (forNodes hints) and zone label (forZones hints); "" when unknown. */
export interface NodeTopology {
  nodeName: string;
  zone: string;
}

/** kube-proxy's topology modes; undefined = no topology, every endpoint is available. */
export type TopologyMode = 'PreferSameNode' | 'PreferSameZone' | undefined;

/** The Node's zone label, "" when the Node (or the label) is missing. */
export function nodeZone(node: V1Node | undefined): string {
  return node?.metadata?.labels?.[ZONE_LABEL] ?? '';
}

/** Which hints apply to this node for this service port's endpoints, with kube-proxy's safeguards. */
export function topologyMode(endpoints: readonly EndpointInfo[], here: NodeTopology): TopologyMode {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length === 0) return undefined;
  if (hintsApply(ready, (e) => e.nodeHints, here.nodeName)) return 'PreferSameNode';
  if (hintsApply(ready, (e) => e.zoneHints, here.zone)) return 'PreferSameZone';
  return undefined;
}

/** Whether an endpoint may take this node's Cluster-policy traffic under the chosen mode (no fallback here). */
export function availableForTopology(endpoint: EndpointInfo, mode: TopologyMode, here: NodeTopology): boolean {
  switch (mode) {
    case undefined: return true;
    case 'PreferSameNode': return (endpoint.nodeHints ?? []).includes(here.nodeName);
    case 'PreferSameZone': return (endpoint.zoneHints ?? []).includes(here.zone);
  }
}

/** Every endpoint has at least one hint of this kind, and one of them names `target` (never ""). */
function hintsApply(ready: readonly EndpointInfo[], hints: (e: EndpointInfo) => readonly string[] | undefined, target: string): boolean {
  if (target === '') return false;
  let forTarget = false;
  for (const e of ready) {
    const h = hints(e) ?? [];
    if (h.length === 0) return false;
    if (h.includes(target)) forTarget = true;
  }
  return forTarget;
}
