// Cluster IPs and node ports for Services, with the API server's rules:
// omitted values are allocated, requested values must be in range and free,
// the primary cluster IP never changes, and on update whatever the old
// version held stays valid for the new one.

import { ApiError, fieldError, InvalidFields, type StatusCause } from './api-error.js';
import { IpAllocator, type ReserveResult } from './ip-allocator.js';
import { formatIp, parseCidr, parseIp, type IpFamily } from './ip-address.js';
import { PortAllocator, formatPortRange, parsePortRange } from './port-allocator.js';
import { Reservation } from './reservation.js';
import {
  IP_FAMILY_POLICIES,
  needsHealthCheckNodePort,
  needsNodePorts,
  type ServiceSpec,
} from './service-types.js';

const IP_FAMILIES: readonly IpFamily[] = ['IPv4', 'IPv6'];

function fail(cause: StatusCause): never {
  throw new InvalidFields([cause]);
}

/** Parses "10.96.0.0/16" or a dual-stack pair "10.96.0.0/16,fd00:10:96::/112" (primary family first). */
export function parseServiceCidrs(text: string): IpAllocator[] {
  const cidrs = text.split(',').map((part) => parseCidr(part.trim()));
  if (cidrs.length < 1 || cidrs.length > 2) throw new Error(`--service-cluster-ip-range takes one CIDR or an IPv4,IPv6 pair, got "${text}"`);
  if (cidrs.length === 2 && cidrs[0]?.family === cidrs[1]?.family) {
    throw new Error(`--service-cluster-ip-range: a dual-stack pair needs one IPv4 and one IPv6 CIDR, got "${text}"`);
  }
  return cidrs.map((cidr) => new IpAllocator(cidr));
}

function clusterIPsOf(spec: ServiceSpec | undefined): string[] {
  if (spec === undefined || spec.type === 'ExternalName') return [];
  if (spec.clusterIPs !== undefined && spec.clusterIPs.length > 0) return spec.clusterIPs;
  return spec.clusterIP ? [spec.clusterIP] : [];
}

function nodePortsOf(spec: ServiceSpec | undefined): number[] {
  if (spec === undefined) return [];
  const ports = (spec.ports ?? []).map((p) => p.nodePort ?? 0);
  if (spec.healthCheckNodePort) ports.push(spec.healthCheckNodePort);
  return ports.filter((p) => p > 0);
}

export class ServiceAllocator {
  private readonly ipAllocators: IpAllocator[];
  private readonly nodePorts: PortAllocator;

  constructor(serviceClusterIpRange: string, serviceNodePortRange: string) {
    this.ipAllocators = parseServiceCidrs(serviceClusterIpRange);
    this.nodePorts = new PortAllocator(parsePortRange(serviceNodePortRange));
  }

  get primaryFamily(): IpFamily {
    return this.ipAllocators[0]?.family ?? 'IPv4';
  }

  /**
   * Fills in spec.clusterIP(s), ipFamilies, ipFamilyPolicy and node ports.
   * `old` is the stored spec on update. Throws InvalidFields or ApiError;
   * on success the caller must commit() or rollback() the reservation.
   */
  assign(spec: ServiceSpec, old: ServiceSpec | undefined): Reservation {
    const reservation = new Reservation();
    try {
      this.assignClusterIPs(spec, old, reservation);
      this.assignNodePorts(spec, old, reservation);
    } catch (error) {
      reservation.rollback();
      throw error;
    }
    return reservation;
  }

  /** Frees everything a deleted Service held. */
  release(spec: ServiceSpec): void {
    for (const ip of clusterIPsOf(spec)) this.allocatorForIp(ip)?.release(ip);
    for (const port of nodePortsOf(spec)) this.nodePorts.release(port);
  }

  private allocatorFor(family: IpFamily): IpAllocator | undefined {
    return this.ipAllocators.find((a) => a.family === family);
  }

  private allocatorForIp(ip: string): IpAllocator | undefined {
    const parsed = parseIp(ip);
    return parsed === undefined ? undefined : this.allocatorFor(parsed.family);
  }

  private assignClusterIPs(spec: ServiceSpec, old: ServiceSpec | undefined, reservation: Reservation): void {
    const oldIPs = clusterIPsOf(old).filter((ip) => ip !== 'None');
    const releaseOld = (keep: readonly string[]) => {
      for (const ip of oldIPs) {
        if (!keep.includes(ip)) reservation.releaseOnCommit(() => this.allocatorForIp(ip)?.release(ip));
      }
    };

    if (spec.type === 'ExternalName') {
      if (spec.clusterIP || (spec.clusterIPs?.length ?? 0) > 0) {
        fail(fieldError.forbidden('spec.clusterIPs', 'may not be set when `type` is \'ExternalName\''));
      }
      delete spec.clusterIP;
      delete spec.clusterIPs;
      delete spec.ipFamilies;
      delete spec.ipFamilyPolicy;
      releaseOld([]);
      return;
    }

    let requested: string[] = [];
    if (spec.clusterIPs !== undefined && spec.clusterIPs.length > 0) {
      requested = spec.clusterIPs;
      if (spec.clusterIP && spec.clusterIP !== requested[0]) {
        fail(fieldError.invalid('spec.clusterIPs', requested, 'element [0] must match clusterIP'));
      }
    } else if (spec.clusterIP) {
      requested = [spec.clusterIP];
    }
    if (requested.length > 2) fail(fieldError.invalid('spec.clusterIPs', requested, 'may only hold up to 2 values'));
    const headless = requested[0] === 'None';
    if (headless && requested.length > 1) {
      fail(fieldError.invalid('spec.clusterIPs[1]', requested[1], 'must not be set when clusterIPs[0] is \'None\''));
    }

    const oldPrimary = clusterIPsOf(old)[0];
    if (oldPrimary !== undefined && requested[0] !== undefined && requested[0] !== oldPrimary) {
      fail(fieldError.invalid('spec.clusterIPs[0]', requested[0], 'may not change once set'));
    }

    const policy = spec.ipFamilyPolicy ?? 'SingleStack';
    if (!(IP_FAMILY_POLICIES as readonly string[]).includes(policy)) {
      fail(fieldError.notSupported('spec.ipFamilyPolicy', policy, IP_FAMILY_POLICIES));
    }

    const requestedIps = headless
      ? []
      : requested.map((text, i) => parseIp(text) ?? fail(fieldError.invalid(`spec.clusterIPs[${i}]`, text, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')));
    if (requestedIps.length === 2 && requestedIps[0]?.family === requestedIps[1]?.family) {
      fail(fieldError.invalid('spec.clusterIPs[1]', requested[1], 'must be a different IP family than clusterIPs[0]'));
    }

    const configured = this.ipAllocators.map((a) => a.family);
    let families: IpFamily[];
    if (spec.ipFamilies !== undefined && spec.ipFamilies.length > 0) {
      families = spec.ipFamilies.map((family, i) => {
        if (!(IP_FAMILIES as readonly string[]).includes(family)) fail(fieldError.notSupported(`spec.ipFamilies[${i}]`, family, IP_FAMILIES));
        return family as IpFamily;
      });
      if (families.length > 2) fail(fieldError.invalid('spec.ipFamilies', families, 'may only hold up to 2 values'));
      if (families.length === 2 && families[0] === families[1]) fail(fieldError.duplicate('spec.ipFamilies[1]', families[1]));
      requestedIps.forEach((ip, i) => {
        if (families[i] !== undefined && ip.family !== families[i]) {
          fail(fieldError.invalid(`spec.clusterIPs[${i}]`, requested[i], `expected an ${families[i]} value as indicated by \`ipFamilies[${i}]\``));
        }
      });
    } else {
      families = requestedIps.length > 0 ? requestedIps.map((ip) => ip.family) : [this.primaryFamily];
    }
    families.forEach((family, i) => {
      if (!configured.includes(family)) fail(fieldError.invalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster'));
    });

    if (policy === 'SingleStack' && families.length > 1) {
      fail(fieldError.invalid('spec.ipFamilyPolicy', policy, 'must be \'RequireDualStack\' or \'PreferDualStack\' when multiple IP families are specified'));
    }
    if (policy === 'RequireDualStack' && configured.length < 2) {
      fail(fieldError.invalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services'));
    }
    if (policy !== 'SingleStack' && families.length === 1 && configured.length === 2) {
      families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    }
    spec.ipFamilyPolicy = policy;
    spec.ipFamilies = families;

    if (headless) {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      releaseOld([]);
      return;
    }

    const assigned: string[] = [];
    families.forEach((family, i) => {
      const allocator = this.allocatorFor(family);
      if (allocator === undefined) return; // unreachable: families were checked against the configured ones
      const ip = requestedIps[i];
      if (ip === undefined) {
        const next = allocator.allocateNext();
        if (next === undefined) throw ApiError.internal(`failed to allocate a serviceIP: range is full (${allocator.cidr.text})`);
        reservation.claimed(() => allocator.release(next));
        assigned.push(next);
        return;
      }
      const canonical = formatIp(ip.family, ip.value);
      if (!oldIPs.includes(canonical)) {
        const result = allocator.reserve(canonical);
        if (!result.ok) fail(fieldError.invalid(`spec.clusterIPs[${i}]`, requested[i], `failed to allocate IP ${requested[i]}: ${ipReason(result, allocator.cidr.text)}`));
        reservation.claimed(() => allocator.release(canonical));
      }
      assigned.push(canonical);
    });
    spec.clusterIPs = assigned;
    spec.clusterIP = assigned[0];
    releaseOld(assigned);
  }

  private assignNodePorts(spec: ServiceSpec, old: ServiceSpec | undefined, reservation: Reservation): void {
    const oldPorts = new Set(nodePortsOf(old));
    const inUse = new Set<number>();
    const protocolsByNodePort = new Map<number, Set<string>>();
    const wantsNodePorts = needsNodePorts(spec);

    const claim = (port: number, field: string) => {
      if (inUse.has(port)) return;
      if (!oldPorts.has(port)) {
        const result = this.nodePorts.reserve(port);
        if (!result.ok) fail(fieldError.invalid(field, port, portReason(result, formatPortRange(this.nodePorts.range))));
        reservation.claimed(() => this.nodePorts.release(port));
      }
      inUse.add(port);
    };
    const allocate = (): number => {
      const port = this.nodePorts.allocateNext();
      if (port === undefined) throw ApiError.internal('failed to allocate a nodePort: range is full');
      reservation.claimed(() => this.nodePorts.release(port));
      inUse.add(port);
      return port;
    };

    (spec.ports ?? []).forEach((port, i) => {
      const field = `spec.ports[${i}].nodePort`;
      if (port.nodePort) {
        if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') {
          fail(fieldError.forbidden(field, `may not be used when \`type\` is '${spec.type ?? 'ClusterIP'}'`));
        }
        if (!Number.isInteger(port.nodePort)) fail(fieldError.invalid(field, port.nodePort, 'must be an integer'));
        const protocol = port.protocol ?? 'TCP';
        const protocols = protocolsByNodePort.get(port.nodePort) ?? new Set<string>();
        if (protocols.has(protocol)) fail(fieldError.duplicate(field, port.nodePort));
        protocols.add(protocol);
        protocolsByNodePort.set(port.nodePort, protocols);
        claim(port.nodePort, field);
      } else if (wantsNodePorts) {
        port.nodePort = allocate();
      } else {
        delete port.nodePort;
      }
    });

    if (needsHealthCheckNodePort(spec)) {
      if (spec.healthCheckNodePort) {
        if (inUse.has(spec.healthCheckNodePort)) fail(fieldError.duplicate('spec.healthCheckNodePort', spec.healthCheckNodePort));
        claim(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
      } else {
        spec.healthCheckNodePort = allocate();
      }
    } else if (spec.healthCheckNodePort) {
      fail(fieldError.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\''));
    } else {
      delete spec.healthCheckNodePort;
    }

    for (const port of oldPorts) {
      if (!inUse.has(port)) reservation.releaseOnCommit(() => this.nodePorts.release(port));
    }
  }
}

function ipReason(result: ReserveResult, range: string): string {
  if (result.ok) return '';
  if (result.reason === 'out-of-range') return `provided IP is not in the valid range. The range of valid IPs is ${range}`;
  if (result.reason === 'allocated') return 'provided IP is already allocated';
  return 'not a valid IP address';
}

function portReason(result: ReserveResult, range: string): string {
  if (result.ok) return '';
  if (result.reason === 'out-of-range') return `provided port is not in the valid range. The range of valid ports is ${range}`;
  if (result.reason === 'allocated') return 'provided port is already allocated';
  return 'must be an integer';
}
