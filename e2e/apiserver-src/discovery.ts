// Discovery documents (/api, /apis, group versions, /version). Aggregated
// discovery (apidiscovery.k8s.io/v2) is declined by answering the legacy
// documents with a plain application/json content type, which clients
// accept as "the server does not support aggregated discovery".

import { ALL_RESOURCE_TYPES, type ResourceType } from './resource-types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** "v1.33.0" -> /version document. kubectl's version dispatcher picks kubectl.1.33 from it. */
export function versionInfo(gitVersion: string): VersionInfo {
  const match = /^v(\d+)\.(\d+)\.(\d+)/.exec(gitVersion);
  if (match === null) throw new Error(`server version must look like v1.33.0, got "${gitVersion}"`);
  return {
    major: match[1] ?? '1',
    minor: match[2] ?? '0',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.24.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function resourceEntries(type: ResourceType): unknown[] {
  const main: Record<string, unknown> = {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: VERBS,
  };
  if (type.shortNames.length > 0) main.shortNames = type.shortNames;
  if (type.categories.length > 0) main.categories = type.categories;
  const entries: unknown[] = [main];
  if (type.hasStatus) {
    entries.push({ name: `${type.plural}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: STATUS_VERBS });
  }
  return entries;
}

function groups(): Map<string, ResourceType[]> {
  const byGroup = new Map<string, ResourceType[]>();
  for (const type of ALL_RESOURCE_TYPES) {
    if (type.group === '') continue;
    byGroup.set(type.group, [...(byGroup.get(type.group) ?? []), type]);
  }
  return byGroup;
}

function apiGroup(name: string, types: ResourceType[]): Record<string, unknown> {
  const versions = [...new Set(types.map((t) => t.version))].map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions, preferredVersion: versions[0] };
}

/** The discovery document served at `path`, or undefined when the path is not a discovery path. */
export function discoveryDocument(path: string, serverAddress: string, version: VersionInfo): unknown {
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 1 && segments[0] === 'version') return version;
  if (segments[0] === 'api') {
    if (segments.length === 1) {
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
    }
    if (segments.length === 2) {
      const types = ALL_RESOURCE_TYPES.filter((t) => t.group === '' && t.version === segments[1]);
      if (types.length === 0) return undefined;
      return { kind: 'APIResourceList', groupVersion: segments[1], resources: types.flatMap(resourceEntries) };
    }
    return undefined;
  }
  if (segments[0] === 'apis') {
    const byGroup = groups();
    if (segments.length === 1) {
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...byGroup].map(([name, types]) => apiGroup(name, types)) };
    }
    const types = byGroup.get(segments[1] ?? '');
    if (types === undefined) return undefined;
    if (segments.length === 2) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(segments[1] ?? '', types) };
    if (segments.length === 3) {
      const inVersion = types.filter((t) => t.version === segments[2]);
      if (inVersion.length === 0) return undefined;
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${segments[1]}/${segments[2]}`, resources: inVersion.flatMap(resourceEntries) };
    }
  }
  return undefined;
}
