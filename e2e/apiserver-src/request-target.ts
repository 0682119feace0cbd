// Maps a REST path to the resource it names, following the API server's
// URL layout:
//   /api/v1/{plural}[/{name}[/{subresource}]]                  cluster-scoped, or all namespaces
//   /api/v1/namespaces/{ns}/{plural}[/{name}[/{subresource}]]  namespaced
//   /apis/{group}/{version}/...                                same for named groups
//   .../watch/...                                              the legacy watch prefix

import { findByPath, type ResourceType } from './resource-types.js';

export interface ResourceTarget {
  type: ResourceType;
  /** Set for paths under /namespaces/{ns}/; undefined means all namespaces (or cluster-scoped). */
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** The path used the deprecated /watch/ prefix. */
  legacyWatch: boolean;
}

export function parseResourcePath(pathname: string): ResourceTarget | undefined {
  const segments = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }

  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const namespacedType = findByPath(group, version, rest[2] ?? '');
    if (namespacedType !== undefined && namespacedType.namespaced) {
      if (rest.length > 5) return undefined;
      return { type: namespacedType, namespace: rest[1], name: rest[3], subresource: rest[4], legacyWatch };
    }
  }
  const type = findByPath(group, version, rest[0] ?? '');
  if (type === undefined || rest.length > 3) return undefined;
  // A namespaced kind without /namespaces/{ns}/ can only be listed or watched across namespaces.
  if (type.namespaced && rest.length > 1) return undefined;
  return { type, namespace: undefined, name: rest[1], subresource: rest[2], legacyWatch };
}
