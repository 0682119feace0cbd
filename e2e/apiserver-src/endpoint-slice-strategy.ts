// EndpointSlices: v1 defaulting (port protocol TCP, port name "") and the
// validation that catches malformed test fixtures: addressType is required
// and immutable, addresses must match it.

import { fieldError, InvalidFields, type StatusCause } from './api-error.js';
import { isRecord, type KubeObject } from './kube-object.js';
import { parseIp } from './ip-address.js';
import { ENDPOINT_SLICES } from './resource-types.js';
import type { ResourceStrategy } from './strategy.js';
import { PROTOCOLS } from './service-types.js';
import { validateName } from './validation.js';

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 100;
const MAX_ADDRESSES = 100;

interface EndpointPort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

interface EndpointSliceObject extends KubeObject {
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; [field: string]: unknown }>;
  ports?: EndpointPort[];
}

function validateAddress(address: unknown, addressType: string, field: string): StatusCause[] {
  if (typeof address !== 'string') return [fieldError.invalid(field, address, 'must be a string')];
  if (addressType === 'FQDN') return validateName(address, 'dns1123-subdomain', field);
  const ip = parseIp(address);
  if (ip === undefined || ip.family !== addressType) return [fieldError.invalid(field, address, `must be a valid ${addressType} address`)];
  return [];
}

export function validateEndpointSlice(slice: EndpointSliceObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const addressType = slice.addressType;
  if (addressType === undefined || addressType === '') {
    causes.push(fieldError.required('addressType'));
  } else if (!(ADDRESS_TYPES as readonly string[]).includes(addressType)) {
    causes.push(fieldError.notSupported('addressType', addressType, ADDRESS_TYPES));
  }
  const endpoints = slice.endpoints ?? [];
  if (!Array.isArray(endpoints)) return [...causes, fieldError.invalid('endpoints', endpoints, 'must be a list')];
  if (endpoints.length > MAX_ENDPOINTS) causes.push(fieldError.invalid('endpoints', endpoints.length, `must have at most ${MAX_ENDPOINTS} items`));
  endpoints.forEach((endpoint, i) => {
    const addresses = isRecord(endpoint) ? endpoint.addresses : undefined;
    if (!Array.isArray(addresses) || addresses.length === 0) {
      causes.push(fieldError.required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
      return;
    }
    if (addresses.length > MAX_ADDRESSES) causes.push(fieldError.invalid(`endpoints[${i}].addresses`, addresses.length, `must have at most ${MAX_ADDRESSES} items`));
    if (addressType !== undefined && (ADDRESS_TYPES as readonly string[]).includes(addressType)) {
      addresses.forEach((address, j) => causes.push(...validateAddress(address, addressType, `endpoints[${i}].addresses[${j}]`)));
    }
  });
  const ports = slice.ports ?? [];
  if (!Array.isArray(ports)) return [...causes, fieldError.invalid('ports', ports, 'must be a list')];
  if (ports.length > MAX_PORTS) causes.push(fieldError.invalid('ports', ports.length, `must have at most ${MAX_PORTS} items`));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const name = port.name ?? '';
    if (names.has(name)) causes.push(fieldError.duplicate(`ports[${i}].name`, name));
    names.add(name);
    if (name !== '') causes.push(...validateName(name, 'dns1123-label', `ports[${i}].name`));
    if (port.port !== undefined && port.port !== null && (!Number.isInteger(port.port) || port.port < 0 || port.port > 65535)) {
      causes.push(fieldError.invalid(`ports[${i}].port`, port.port, 'must be between 0 and 65535, inclusive'));
    }
    if (!(PROTOCOLS as readonly string[]).includes(port.protocol ?? 'TCP')) causes.push(fieldError.notSupported(`ports[${i}].protocol`, port.protocol, PROTOCOLS));
  });
  return causes;
}

function applyDefaults(slice: EndpointSliceObject): void {
  if (!Array.isArray(slice.ports)) return;
  for (const port of slice.ports) {
    if (!isRecord(port)) continue;
    port.name ??= '';
    port.protocol ??= 'TCP';
  }
}

export class EndpointSliceStrategy implements ResourceStrategy {
  readonly type = ENDPOINT_SLICES;
  readonly nameRule = 'dns1123-subdomain' as const;

  prepareCreate(object: KubeObject): undefined {
    const slice = object as EndpointSliceObject;
    applyDefaults(slice);
    const causes = validateEndpointSlice(slice);
    if (causes.length > 0) throw new InvalidFields(causes);
    return undefined;
  }

  prepareUpdate(object: KubeObject, old: KubeObject): undefined {
    const slice = object as EndpointSliceObject;
    applyDefaults(slice);
    const causes = validateEndpointSlice(slice);
    const oldType = (old as EndpointSliceObject).addressType;
    if (slice.addressType !== oldType) causes.push(fieldError.invalid('addressType', slice.addressType, 'field is immutable'));
    if (causes.length > 0) throw new InvalidFields(causes);
    return undefined;
  }

  released(): void {}
}
