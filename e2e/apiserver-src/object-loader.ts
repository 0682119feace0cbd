// --objects FILE.yaml: multi-document YAML (and `kind: List`) of Services,
// EndpointSlices, Nodes and Namespaces, created at start-up through the same
// path as POST, so Services get their cluster IPs and node ports allocated.

import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { ApiError } from './api-error.js';
import { isRecord, type KubeObject } from './kube-object.js';
import type { ObjectRegistry } from './object-registry.js';
import { findByKind } from './resource-types.js';

/** Flattens documents and List kinds into the objects they hold, skipping empty documents. */
export function parseObjects(text: string, source = 'input'): KubeObject[] {
  const objects: KubeObject[] = [];
  const collect = (value: unknown, where: string) => {
    if (value === null || value === undefined) return;
    if (!isRecord(value)) throw new Error(`${where}: expected an object, got ${typeof value}`);
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
      value.items.forEach((item, i) => collect(item, `${where} items[${i}]`));
      return;
    }
    objects.push(value as KubeObject);
  };
  parseAllDocuments(text).forEach((document, i) => {
    if (document.errors.length > 0) throw new Error(`${source} document ${i + 1}: ${document.errors[0]?.message ?? 'invalid YAML'}`);
    collect(document.toJS(), `${source} document ${i + 1}`);
  });
  return objects;
}

export function loadObjects(registry: ObjectRegistry, objects: readonly KubeObject[], source = 'input'): KubeObject[] {
  return objects.map((object) => {
    const label = `${source}: ${String(object.kind)} ${String(object.metadata?.namespace ?? '')}/${String(object.metadata?.name ?? '')}`;
    const type = findByKind(String(object.apiVersion), String(object.kind));
    if (type === undefined) throw new Error(`${label}: unsupported apiVersion/kind ${String(object.apiVersion)}/${String(object.kind)}`);
    try {
      const created = registry.create(type, object);
      // Status in a fixture (a LoadBalancer's ingress IPs, a Node's addresses)
      // is kept, as if a controller had written it through /status.
      if (type.hasStatus && object.status !== undefined) {
        return registry.update(type, { ...created, status: object.status }, { name: created.metadata.name ?? '', subresource: 'status' });
      }
      return created;
    } catch (error) {
      if (error instanceof ApiError) throw new Error(`${label}: ${error.message}`);
      throw error;
    }
  });
}

export async function loadObjectsFile(registry: ObjectRegistry, path: string): Promise<KubeObject[]> {
  return loadObjects(registry, parseObjects(await readFile(path, 'utf8'), path), path);
}
