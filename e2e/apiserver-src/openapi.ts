// A minimal OpenAPI v3 description, enough for kubectl: before create or
// replace, kubectl looks up the PATCH operation of the kind in /openapi/v3
// to see whether the server validates fields itself (the fieldValidation
// query parameter). Finding it, kubectl leaves validation to the server
// instead of downloading full schemas (which this server does not have, so
// `kubectl explain` does not work).

import { createHash } from 'node:crypto';
import { ALL_RESOURCE_TYPES, apiVersionOf, type ResourceType } from './resource-types.js';

const WRITE_PARAMETERS = [
  { name: 'dryRun', in: 'query', description: 'When present, modifications are not persisted. Valid value: All', schema: { type: 'string', uniqueItems: true } },
  { name: 'fieldManager', in: 'query', description: 'Name of the actor making the change (ignored here).', schema: { type: 'string', uniqueItems: true } },
  {
    name: 'fieldValidation',
    in: 'query',
    description: 'How to treat unknown fields: Ignore, Warn (default) or Strict.',
    schema: { type: 'string', uniqueItems: true },
  },
];

function operation(type: ResourceType, action: string, writes: boolean): Record<string, unknown> {
  return {
    operationId: `${action}${type.kind}`,
    parameters: writes ? WRITE_PARAMETERS : [],
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
  };
}

function basePath(type: ResourceType): string {
  return type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

function pathsFor(type: ResourceType): Record<string, unknown> {
  const collection = type.namespaced ? `${basePath(type)}/namespaces/{namespace}/${type.plural}` : `${basePath(type)}/${type.plural}`;
  const item = `${collection}/{name}`;
  return {
    [collection]: { get: operation(type, 'list', false), post: operation(type, 'post', true), delete: operation(type, 'deletecollection', false) },
    [item]: {
      get: operation(type, 'get', false),
      put: operation(type, 'put', true),
      patch: operation(type, 'patch', true),
      delete: operation(type, 'delete', false),
    },
  };
}

/** "api/v1" or "apis/discovery.k8s.io/v1" -> the OpenAPI v3 document of that group version. */
function documents(): Map<string, unknown> {
  const byGroupVersion = new Map<string, ResourceType[]>();
  for (const type of ALL_RESOURCE_TYPES) {
    const key = type.group === '' ? `api/${type.version}` : `apis/${apiVersionOf(type)}`;
    byGroupVersion.set(key, [...(byGroupVersion.get(key) ?? []), type]);
  }
  const result = new Map<string, unknown>();
  for (const [key, types] of byGroupVersion) {
    result.set(key, {
      openapi: '3.0.0',
      info: { title: 'Kubernetes (e2e stand-in)', version: 'unversioned' },
      paths: Object.assign({}, ...types.map(pathsFor)),
      components: { schemas: {} },
    });
  }
  return result;
}

export class OpenApiV3 {
  private readonly byGroupVersion = documents();
  private readonly hashes = new Map<string, string>();

  constructor() {
    for (const [key, document] of this.byGroupVersion) {
      this.hashes.set(key, createHash('sha512').update(JSON.stringify(document)).digest('hex').slice(0, 64).toUpperCase());
    }
  }

  /** The document at /openapi/v3 or /openapi/v3/{groupVersion}; undefined for other paths. */
  document(pathname: string): unknown {
    if (pathname === '/openapi/v3' || pathname === '/openapi/v3/') {
      const paths: Record<string, unknown> = {};
      for (const key of this.byGroupVersion.keys()) {
        paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${this.hashes.get(key) ?? ''}` };
      }
      return { paths };
    }
    const prefix = '/openapi/v3/';
    return pathname.startsWith(prefix) ? this.byGroupVersion.get(pathname.slice(prefix.length)) : undefined;
  }
}
