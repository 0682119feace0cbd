// Service -> validated ServiceInfo (per-port, per-family), or the reasons it cannot be programmed.
// Mirrors kube-proxy's ServiceChangeTracker.serviceToServiceMap + newBaseServiceInfo (pkg/proxy/
// servicechangetracker.go, serviceport.go): headless and ExternalName Services are not proxied; addresses are
// split by family; only VIP-mode LoadBalancer ingress IPs are used. Unlike kube-proxy, which logs and carries
// on with half-parsed values, any invalid field skips the whole Service with a Problem.
import type { V1Service } from '@kubernetes/client-node';
import type { Family, Protocol } from '../state/types.js';
import { parseCidr, parseIp, specialAddress, type ParsedIp } from './addresses.js';
import { chooseScheduling } from './scheduling.js';
import type { FamilyAddresses, NodeConfig, Problem, ServiceInfo, ServicePortInfo } from './types.js';
import { isObject, listOf, lookup, quote } from './untrusted-json.js';

/** kube-apiserver's default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT = 10800;
/** Upper bound the API server enforces for timeoutSeconds (1 day). */
const MAX_AFFINITY_TIMEOUT = 86400;

export type NormalizedService =
  | { kind: 'ok'; service: ServiceInfo }
  | { kind: 'ignored'; reason: string }
  | { kind: 'problem'; problems: Problem[] };

const PROTOCOLS: Record<string, Protocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const PROXIED_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;

/** `scheduler` is the node's effective scheduler (already defaulted and validated by the caller). */
export function normalizeService(svc: V1Service, node: NodeConfig, scheduler: string): NormalizedService {
  // Strings or nothing: a Service's identity is what every problem and log line carries.
  const namespace = typeof svc.metadata?.namespace === 'string' ? svc.metadata.namespace : '';
  const name = typeof svc.metadata?.name === 'string' ? svc.metadata.name : '';
  const problems: Problem[] = [];
  const problem = (field: string, reason: string): void => {
    problems.push({ namespace, name, field, reason: `${reason}; Service skipped` });
  };
  if (!namespace || !name) {
    problem('metadata', 'Service without namespace or name');
    return { kind: 'problem', problems };
  }
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (type === 'ExternalName') return { kind: 'ignored', reason: 'ExternalName' };

  const clusterIPList = listOf(spec.clusterIPs, 'spec.clusterIPs', problem);
  const clusterIPTexts = clusterIPList.length ? clusterIPList : spec.clusterIP ? [spec.clusterIP] : [];
  if (problems.length > 0) return { kind: 'problem', problems };
  if (clusterIPTexts.length === 0) return { kind: 'ignored', reason: 'no cluster IP' };
  if (clusterIPTexts[0] === 'None') return { kind: 'ignored', reason: 'headless' };
  if (!(PROXIED_TYPES as readonly unknown[]).includes(type)) {
    problem('spec.type', `unknown Service type ${quote(type)}`);
    return { kind: 'problem', problems };
  }
  const serviceType = type as ServiceInfo['type'];

  const clusterIPs = new Map<Family, string>();
  clusterIPTexts.forEach((text, i) => {
    const ip = parseVip(text);
    if (!ip) return problem(`spec.clusterIPs[${i}]`, `invalid cluster IP ${quote(text)}${whySpecial(text)}`);
    if (clusterIPs.has(ip.family)) return problem(`spec.clusterIPs[${i}]`, `second cluster IP of family ${ip.family}`);
    clusterIPs.set(ip.family, ip.ip);
  });

  const scheduling = chooseScheduling(svc.metadata?.annotations, scheduler, node.unavailableSchedulers);
  if (!scheduling.ok) problem(scheduling.field, scheduling.reason);

  let affinityTimeout: number | undefined;
  if (spec.sessionAffinity === 'ClientIP') {
    affinityTimeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT;
    if (!isIntegerIn(affinityTimeout, 1, MAX_AFFINITY_TIMEOUT)) {
      problem('spec.sessionAffinityConfig.clientIP.timeoutSeconds', `timeout ${affinityTimeout} is not an integer in 1-${MAX_AFFINITY_TIMEOUT}`);
    }
  }

  const ports = normalizePorts(listOf(spec.ports, 'spec.ports', problem), serviceType, problem);

  const externalIPs = parseList(spec.externalIPs, 'spec.externalIPs', 'external IP', parseVip, problem);
  const sourceRanges = parseList(spec.loadBalancerSourceRanges, 'spec.loadBalancerSourceRanges', 'source range', parseCidr, problem);
  const ingressIPs = serviceType === 'LoadBalancer' ? loadBalancerVIPs(svc, problem) : [];

  const externallyAccessible = serviceType !== 'ClusterIP' || externalIPs.length > 0;
  const externalPolicyLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
  let healthCheckNodePort = 0;
  if (serviceType === 'LoadBalancer' && externalPolicyLocal && spec.healthCheckNodePort !== undefined) {
    healthCheckNodePort = spec.healthCheckNodePort;
    if (!isIntegerIn(healthCheckNodePort, 0, 65535)) {
      problem('spec.healthCheckNodePort', `health check node port ${healthCheckNodePort} is out of range 0-65535`);
    }
  }

  const families: Partial<Record<Family, FamilyAddresses>> = {};
  for (const family of node.ipFamilies) {
    const clusterIP = clusterIPs.get(family);
    if (clusterIP === undefined) continue;
    families[family] = {
      clusterIP,
      externalIPs: unique(externalIPs.filter((a) => a.family === family).map((a) => a.ip)),
      loadBalancerIPs: unique(ingressIPs.filter((a) => a.family === family).map((a) => a.ip)),
      sourceRanges: unique(sourceRanges.filter((c) => c.family === family).map((c) => c.text)),
    };
  }
  if (problems.length === 0 && Object.keys(families).length === 0) {
    problem('spec.clusterIPs', `no cluster IP of a family this node serves (${node.ipFamilies.join(', ') || 'none'})`);
  }
  if (problems.length > 0 || !scheduling.ok) return { kind: 'problem', problems };

  return {
    kind: 'ok',
    service: {
      namespace,
      name,
      type: serviceType,
      scheduler: scheduling.scheduler,
      flags: scheduling.flags,
      affinityTimeout,
      externalPolicyLocal,
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      healthCheckNodePort,
      ports,
      families,
    },
  };
}

function normalizePorts(
  specPorts: unknown[],
  type: ServiceInfo['type'],
  problem: (field: string, reason: string) => void,
): ServicePortInfo[] {
  const ports: ServicePortInfo[] = [];
  const seen = new Set<string>();
  const names = new Set<string>();
  specPorts.forEach((p, i) => {
    const field = `spec.ports[${i}]`;
    if (!isObject(p)) return problem(field, `${quote(p)} is not a port`);
    const protocol = lookup(PROTOCOLS, p['protocol'] ?? 'TCP');
    if (!protocol) return problem(`${field}.protocol`, `unsupported protocol ${quote(p['protocol'])}`);
    if (!isIntegerIn(p['port'], 1, 65535)) return problem(`${field}.port`, `port ${quote(p['port'])} is out of range 1-65535`);
    const nodePort = type === 'ClusterIP' ? 0 : (p['nodePort'] ?? 0);
    if (!isIntegerIn(nodePort, 0, 65535)) return problem(`${field}.nodePort`, `node port ${quote(p['nodePort'])} is out of range 1-65535`);
    if (p['name'] !== undefined && typeof p['name'] !== 'string') return problem(`${field}.name`, `port name ${quote(p['name'])} is not a string`);
    const name = p['name'] ?? '';
    const key = `${protocol}/${p.port}`;
    if (seen.has(key)) return problem(`${field}.port`, `duplicate port ${p['port']}/${protocol}`);
    if (names.has(`${protocol}/${name}`)) return problem(`${field}.name`, `duplicate port name ${quote(name)} for ${protocol}`);
    seen.add(key);
    names.add(`${protocol}/${name}`);
    ports.push({ name, protocol, port: p['port'], nodePort });
  });
  return ports;
}

function loadBalancerVIPs(svc: V1Service, problem: (field: string, reason: string) => void) {
  const out: { ip: string; family: Family }[] = [];
  listOf(svc.status?.loadBalancer?.ingress, 'status.loadBalancer.ingress', problem).forEach((ing, i) => {
    if (!isObject(ing)) return problem(`status.loadBalancer.ingress[${i}]`, `${quote(ing)} is not an ingress point`);
    if (!ing['ip']) return; // hostname-only ingress: nothing to bind
    const ip = parseVip(ing['ip']);
    if (!ip) return problem(`status.loadBalancer.ingress[${i}].ip`, `invalid load balancer IP ${quote(ing['ip'])}${whySpecial(ing['ip'])}`);
    // ipMode Proxy: the load balancer rewrites the destination, so the node must not capture the VIP.
    if (ing['ipMode'] === undefined || ing['ipMode'] === 'VIP') out.push(ip);
  });
  return out;
}

function parseList<T>(
  texts: string[] | undefined,
  field: string,
  what: string,
  parse: (text: string) => T | undefined,
  problem: (field: string, reason: string) => void,
): T[] {
  const out: T[] = [];
  listOf(texts, field, problem).forEach((text, i) => {
    const v = parse(text as string);
    if (v === undefined) problem(`${field}[${i}]`, `invalid ${what} ${quote(text)}${whySpecial(text)}`);
    else out.push(v);
  });
  return out;
}

/** An address a Service may own: an IP that is not special (unspecified, loopback, multicast...). */
function parseVip(text: unknown): ParsedIp | undefined {
  const ip = parseIp(text as string);
  return ip && !specialAddress(ip) ? ip : undefined;
}

/** ": a loopback address" and so on, for a parseable but special address; else nothing. */
function whySpecial(text: unknown): string {
  const ip = parseIp(text as string);
  const why = ip && specialAddress(ip);
  return why ? ` (${why} address)` : '';
}

function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
