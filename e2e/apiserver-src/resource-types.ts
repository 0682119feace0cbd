// The kinds this server serves, described once. Routing, discovery, the YAML
// loader and error messages all read from here.

export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Whether a /status subresource exists (its writes change only .status). */
  hasStatus: boolean;
  /** Whether the API server sets and bumps metadata.generation for this kind. */
  tracksGeneration: boolean;
  categories: string[];
}

export const SERVICES: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Service',
  listKind: 'ServiceList',
  plural: 'services',
  singular: 'service',
  shortNames: ['svc'],
  namespaced: true,
  hasStatus: true,
  tracksGeneration: true,
  categories: ['all'],
};

export const NODES: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Node',
  listKind: 'NodeList',
  plural: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  namespaced: false,
  hasStatus: true,
  tracksGeneration: false,
  categories: [],
};

export const NAMESPACES: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  hasStatus: true,
  tracksGeneration: false,
  categories: [],
};

export const ENDPOINT_SLICES: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  listKind: 'EndpointSliceList',
  plural: 'endpointslices',
  singular: 'endpointslice',
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  tracksGeneration: true,
  categories: [],
};

export const ALL_RESOURCE_TYPES: readonly ResourceType[] = [NAMESPACES, NODES, SERVICES, ENDPOINT_SLICES];

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

export function findByPath(group: string, version: string, plural: string): ResourceType | undefined {
  return ALL_RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return ALL_RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}
