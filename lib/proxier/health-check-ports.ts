// Which health-check node ports this node answers on, and what each answers: kube-proxy's
// ServicePortMap.HealthCheckNodePorts + EndpointsMap.LocalReadyEndpoints (pkg/proxy/serviceport.go,
// endpointsmap.go), as one pure function. Cloud load balancers and MetalLB probe the healthCheckNodePort of a
// LoadBalancer Service with externalTrafficPolicy: Local to learn which nodes have endpoints of it; the
// servers themselves are lib/health/service-health-servers.ts.
//
// A Service the desired state skips (normalizeService found a problem) gets no health check either: it has
// no virtual servers here, so a load balancer must not pick this node for it (connection refused = unhealthy).
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { orderServices } from './desired-state.js';
import { indexEndpointSlices, SERVICE_NAME_LABEL, servicePortKey } from './endpoints.js';
import { resolveNode } from './node-config.js';
import { normalizeService } from './service-ports.js';
import type { DesiredStateInput, Problem, ServiceInfo } from './types.js';

export interface HealthCheckService {
  namespace: string;
  name: string;
  /** Distinct IPs of this node's ready endpoints of the Service, over its ports and the node's families. */
  localEndpoints: number;
}

/** healthCheckNodePort -> the Service it answers for. */
export type HealthCheckPorts = Map<number, HealthCheckService>;

export interface HealthCheckPortsResult {
  ports: HealthCheckPorts;
  /** Only what is specific to health checks (two Services on one port); Service problems are the desired state's. */
  problems: Problem[];
}

export function healthCheckPorts(input: DesiredStateInput): HealthCheckPortsResult {
  const problems: Problem[] = [];
  // Cheap pre-filter: most Services never need a health check, and this runs on every sync next to the
  // desired state. normalizeService then applies exactly the desired state's rules to the few left.
  const candidates = input.services.filter(mayHaveHealthCheck);
  if (candidates.length === 0) return { ports: new Map(), problems };

  const scheduler = resolveNode(input.node, []).scheduler;
  const services: ServiceInfo[] = [];
  for (const svc of orderServices(candidates)) {
    const n = normalizeService(svc, input.node, scheduler);
    if (n.kind === 'ok' && n.service.healthCheckNodePort !== 0) services.push(n.service);
  }
  const wanted = new Set(services.map((s) => `${s.namespace}/${s.name}`));
  const endpoints = indexEndpointSlices(input.endpointSlices.filter((s) => wanted.has(sliceService(s))), input.node.nodeName);

  const ports: HealthCheckPorts = new Map();
  for (const svc of services) {
    const owner = ports.get(svc.healthCheckNodePort);
    if (owner) {
      // The API server never allocates one port twice; a restored backup or a racing edit can.
      problems.push({
        namespace: svc.namespace, name: svc.name, field: 'spec.healthCheckNodePort',
        reason: `health check node port ${svc.healthCheckNodePort} already belongs to ${owner.namespace}/${owner.name}; not served for this Service`,
      });
      continue;
    }
    ports.set(svc.healthCheckNodePort, { namespace: svc.namespace, name: svc.name, localEndpoints: localReadyIPs(svc, endpoints.byServicePort).size });
  }
  return { ports, problems };
}

/** Whether a Service may need a health check node port (normalizeService decides the rest). */
export function mayHaveHealthCheck(s: V1Service): boolean {
  return s.spec?.type === 'LoadBalancer' && s.spec.externalTrafficPolicy === 'Local' && (s.spec.healthCheckNodePort ?? 0) !== 0;
}

/**
 * kube-proxy counts IPs, not IP:port pairs (a pod behind ports 80 and 443 is one endpoint), and only ready
 * ones: a node whose local endpoints are all terminating must fail the check so the load balancer drains it,
 * even though those endpoints still get traffic (the serving+terminating fallback).
 */
function localReadyIPs(svc: ServiceInfo, byServicePort: ReturnType<typeof indexEndpointSlices>['byServicePort']): Set<string> {
  const ips = new Set<string>();
  for (const family of Object.keys(svc.families) as (keyof ServiceInfo['families'])[]) {
    for (const port of svc.ports) {
      for (const ep of byServicePort.get(servicePortKey(svc.namespace, svc.name, family, port.protocol, port.name)) ?? []) {
        if (ep.local && ep.ready) ips.add(ep.ip);
      }
    }
  }
  return ips;
}

function sliceService(slice: V1EndpointSlice): string {
  return `${slice.metadata?.namespace ?? ''}/${slice.metadata?.labels?.[SERVICE_NAME_LABEL] ?? ''}`;
}
