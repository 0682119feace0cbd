// Services: defaulting and validation as in pkg/apis/core (v1 defaults and
// ValidateService, the parts a proxy cares about), plus cluster IP and node
// port allocation.

import { fieldError, InvalidFields, type StatusCause } from './api-error.js';
import { isRecord, type KubeObject } from './kube-object.js';
import type { Reservation } from './reservation.js';
import { SERVICES } from './resource-types.js';
import type { ServiceAllocator } from './service-allocator.js';
import {
  isHeadless,
  needsHealthCheckNodePort,
  needsNodePorts,
  PROTOCOLS,
  SERVICE_TYPES,
  type ServiceObject,
  type ServiceSpec,
} from './service-types.js';
import type { ResourceStrategy } from './strategy.js';
import { isIanaServiceName, isPortNumber, validateName } from './validation.js';
import { parseIp } from './ip-address.js';

const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;

export function applyServiceDefaults(spec: ServiceSpec): void {
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= DEFAULT_CLIENT_IP_TIMEOUT_SECONDS;
  }
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

export function validateServiceSpec(spec: ServiceSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (!(SERVICE_TYPES as readonly string[]).includes(type)) causes.push(fieldError.notSupported('spec.type', type, SERVICE_TYPES));

  const ports = spec.ports ?? [];
  if (!Array.isArray(ports)) return [...causes, fieldError.invalid('spec.ports', ports, 'must be a list')];
  if (ports.length === 0 && !isHeadless(spec) && type !== 'ExternalName') causes.push(fieldError.required('spec.ports'));
  const names = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    if (ports.length > 1 && !port.name) causes.push(fieldError.required(`${at}.name`));
    if (port.name) {
      if (names.has(port.name)) causes.push(fieldError.duplicate(`${at}.name`, port.name));
      names.add(port.name);
      causes.push(...validateName(port.name, 'dns1123-label', `${at}.name`));
    }
    if (!isPortNumber(port.port)) causes.push(fieldError.invalid(`${at}.port`, port.port, 'must be between 1 and 65535, inclusive'));
    const protocol = port.protocol ?? 'TCP';
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) causes.push(fieldError.notSupported(`${at}.protocol`, protocol, PROTOCOLS));
    const key = `${port.port}/${protocol}`;
    if (portKeys.has(key)) causes.push(fieldError.duplicate(at, { port: port.port, protocol }));
    portKeys.add(key);
    const target = port.targetPort;
    if (typeof target === 'number' ? !isPortNumber(target) : typeof target !== 'string' || !isIanaServiceName(target)) {
      causes.push(fieldError.invalid(`${at}.targetPort`, target, 'must be a port number between 1 and 65535 or an IANA service name'));
    }
  });

  const affinity = spec.sessionAffinity ?? 'None';
  if (affinity !== 'None' && affinity !== 'ClientIP') causes.push(fieldError.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (affinity === 'ClientIP' && (timeout === undefined || !Number.isInteger(timeout) || timeout < 1 || timeout > 86400)) {
    causes.push(fieldError.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  for (const [field, value] of [
    ['spec.externalTrafficPolicy', spec.externalTrafficPolicy],
    ['spec.internalTrafficPolicy', spec.internalTrafficPolicy],
  ] as const) {
    if (value !== undefined && value !== 'Cluster' && value !== 'Local') causes.push(fieldError.notSupported(field, value, ['Cluster', 'Local']));
  }
  if (spec.externalTrafficPolicy !== undefined && !needsNodePorts(spec) && type !== 'LoadBalancer' && (spec.externalIPs ?? []).length === 0) {
    causes.push(fieldError.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  }
  if (type === 'ExternalName') {
    if (!spec.externalName) causes.push(fieldError.required('spec.externalName'));
    else causes.push(...validateName(spec.externalName.replace(/\.$/, ''), 'dns1123-subdomain', 'spec.externalName'));
  }
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (parseIp(ip) === undefined) causes.push(fieldError.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  });
  if (spec.selector !== undefined && (typeof spec.selector !== 'object' || spec.selector === null || Array.isArray(spec.selector))) {
    causes.push(fieldError.invalid('spec.selector', spec.selector, 'must be a map of strings'));
  }
  return causes;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function externallyAccessible(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.externalIPs ?? []).length > 0;
}

/**
 * When an update changes spec.type, fields that only made sense for the old
 * type are cleared if the client left them as they were
 * (pkg/registry/core/service strategy dropTypeDependentFields), so that
 * switching NodePort -> ClusterIP with a read-modify-write works.
 */
export function dropTypeDependentFields(spec: ServiceSpec, old: ServiceSpec): void {
  const type = spec.type ?? 'ClusterIP';
  if (type === (old.type ?? 'ClusterIP')) return;
  const typed = { ...spec, type };
  if (needsNodePorts(old) && !needsNodePorts(typed)) {
    const same = sameJson((spec.ports ?? []).map((p) => p.nodePort ?? 0), (old.ports ?? []).map((p) => p.nodePort ?? 0));
    if (same) for (const port of spec.ports ?? []) delete port.nodePort;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(typed) && spec.healthCheckNodePort === old.healthCheckNodePort) {
    delete spec.healthCheckNodePort;
  }
  if (old.type === 'LoadBalancer' && type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) {
    delete spec.allocateLoadBalancerNodePorts;
  }
  if (externallyAccessible(old) && !externallyAccessible(typed) && spec.externalTrafficPolicy === old.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
  if (type === 'ExternalName') {
    if (spec.clusterIP === old.clusterIP) delete spec.clusterIP;
    if (sameJson(spec.clusterIPs, old.clusterIPs)) delete spec.clusterIPs;
    if (sameJson(spec.ipFamilies, old.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === old.ipFamilyPolicy) delete spec.ipFamilyPolicy;
    if (spec.internalTrafficPolicy === old.internalTrafficPolicy) delete spec.internalTrafficPolicy;
  }
}

/**
 * On update, values the API server allocated are carried over when the new
 * object omits them (pkg/registry/core/service/storage patchAllocatedValues),
 * so that `kubectl replace -f` of the original manifest keeps the cluster IP
 * and node ports.
 */
export function patchAllocatedValues(spec: ServiceSpec, old: ServiceSpec): void {
  const newType = spec.type ?? 'ClusterIP';
  if (newType !== 'ExternalName' && old.type !== 'ExternalName') {
    if (!spec.clusterIP && (spec.clusterIPs ?? []).length === 0) {
      if (old.clusterIP !== undefined) spec.clusterIP = old.clusterIP;
      if (old.clusterIPs !== undefined) spec.clusterIPs = [...old.clusterIPs];
    }
    if ((spec.ipFamilies ?? []).length === 0 && old.ipFamilies !== undefined) spec.ipFamilies = [...old.ipFamilies];
    spec.ipFamilyPolicy ??= old.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && needsNodePorts({ ...spec, type: newType })) {
    const stillUsed = new Set((spec.ports ?? []).map((p) => p.nodePort).filter((p) => p));
    const oldByName = new Map((old.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
    for (const port of spec.ports ?? []) {
      if (port.nodePort) continue;
      const previous = oldByName.get(port.name ?? '');
      if (previous && !stillUsed.has(previous)) port.nodePort = previous;
    }
  }
  if (!spec.healthCheckNodePort && needsHealthCheckNodePort(old) && needsHealthCheckNodePort({ ...spec, type: newType })) {
    spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/**
 * Switching a dual-stack Service to SingleStack drops the secondary cluster
 * IP and family without the client having to remove them
 * (trimFieldsForDualStackDowngrade).
 */
export function trimForDualStackDowngrade(spec: ServiceSpec, old: ServiceSpec): void {
  const wasDualStack = old.ipFamilyPolicy === 'PreferDualStack' || old.ipFamilyPolicy === 'RequireDualStack';
  if (!wasDualStack || spec.ipFamilyPolicy !== 'SingleStack') return;
  if ((spec.clusterIPs ?? []).length > 1) spec.clusterIPs = spec.clusterIPs?.slice(0, 1);
  if ((spec.ipFamilies ?? []).length > 1) spec.ipFamilies = spec.ipFamilies?.slice(0, 1);
}

export class ServiceStrategy implements ResourceStrategy {
  readonly type = SERVICES;
  readonly nameRule = 'dns1035-label' as const;

  constructor(private readonly allocator: ServiceAllocator) {}

  prepareCreate(object: KubeObject): Reservation {
    const service = object as ServiceObject;
    const spec = this.specOf(service);
    applyServiceDefaults(spec);
    this.validate(spec);
    // Status is not settable on create (it belongs to controllers); the
    // /status subresource is the way to set a load balancer's ingress.
    service.status = { loadBalancer: {} };
    return this.allocator.assign(spec, undefined);
  }

  prepareUpdate(object: KubeObject, old: KubeObject): Reservation {
    const service = object as ServiceObject;
    const oldService = old as ServiceObject;
    const spec = this.specOf(service);
    const oldSpec = oldService.spec ?? {};
    dropTypeDependentFields(spec, oldSpec);
    patchAllocatedValues(spec, oldSpec);
    trimForDualStackDowngrade(spec, oldSpec);
    applyServiceDefaults(spec);
    this.validate(spec);
    service.status = oldService.status ?? { loadBalancer: {} };
    return this.allocator.assign(spec, oldSpec);
  }

  released(object: KubeObject): void {
    this.allocator.release((object as ServiceObject).spec ?? {});
  }

  /** The spec, after checking the shapes the rest of the code relies on (the real server's decoder would reject these with 400). */
  private specOf(service: ServiceObject): ServiceSpec {
    if (service.spec === undefined || service.spec === null) service.spec = {};
    const spec: unknown = service.spec;
    if (!isRecord(spec)) throw new InvalidFields([fieldError.invalid('spec', spec, 'must be an object')]);
    const causes: StatusCause[] = [];
    for (const field of ['clusterIPs', 'ipFamilies', 'externalIPs'] as const) {
      const value = spec[field];
      if (value !== undefined && value !== null && (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))) {
        causes.push(fieldError.invalid(`spec.${field}`, value, 'must be a list of strings'));
      }
    }
    if (spec.ports !== undefined && spec.ports !== null && (!Array.isArray(spec.ports) || !spec.ports.every(isRecord))) {
      causes.push(fieldError.invalid('spec.ports', spec.ports, 'must be a list of objects'));
    }
    if (causes.length > 0) throw new InvalidFields(causes);
    return service.spec;
  }

  private validate(spec: ServiceSpec): void {
    const causes = validateServiceSpec(spec);
    if (causes.length > 0) throw new InvalidFields(causes);
  }
}
