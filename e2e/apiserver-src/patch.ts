// JSON merge patch (RFC 7386) and JSON patch (RFC 6902), for
// `kubectl patch --type=merge|json`, `kubectl label` and `kubectl annotate`.

import { ApiError } from './api-error.js';
import { cloneObject, isRecord, jsonEqual } from './kube-object.js';
import type { PatchType } from './negotiation.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return cloneObject(patch);
  const result: Record<string, unknown> = isRecord(target) ? cloneObject(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw ApiError.badRequest(`JSON pointer must start with "/": ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function resolveParent(document: unknown, path: string[]): { parent: Container; key: string } {
  if (path.length === 0) throw ApiError.badRequest('a JSON patch operation on the whole document is not supported');
  let current: unknown = document;
  for (const token of path.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isRecord(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw new ApiError(422, 'Invalid', `doc is missing path: /${path.join('/')}`);
  }
  if (!Array.isArray(current) && !isRecord(current)) throw new ApiError(422, 'Invalid', `doc is missing path: /${path.join('/')}`);
  return { parent: current, key: path[path.length - 1] ?? '' };
}

function read(document: unknown, path: string[]): unknown {
  const { parent, key } = resolveParent(document, path);
  const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (value === undefined) throw new ApiError(422, 'Invalid', `doc is missing path: /${path.join('/')}`);
  return value;
}

function remove(document: unknown, path: string[]): unknown {
  const value = read(document, path);
  const { parent, key } = resolveParent(document, path);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete parent[key];
  return value;
}

function add(document: unknown, path: string[], value: unknown): void {
  const { parent, key } = resolveParent(document, path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new ApiError(422, 'Invalid', `index out of range: ${key}`);
    parent.splice(index, 0, value);
  } else {
    parent[key] = value;
  }
}

function replace(document: unknown, path: string[], value: unknown): void {
  read(document, path);
  const { parent, key } = resolveParent(document, path);
  if (Array.isArray(parent)) parent[Number(key)] = value;
  else parent[key] = value;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw ApiError.badRequest('a JSON patch must be a list of operations');
  const document = cloneObject(target);
  for (const operation of operations) {
    if (!isRecord(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw ApiError.badRequest('each JSON patch operation needs "op" and "path"');
    }
    const path = decodePointer(operation.path);
    const from = typeof operation.from === 'string' ? decodePointer(operation.from) : [];
    switch (operation.op) {
      case 'add':
        add(document, path, cloneObject(operation.value));
        break;
      case 'remove':
        remove(document, path);
        break;
      case 'replace':
        replace(document, path, cloneObject(operation.value));
        break;
      case 'move':
        add(document, path, remove(document, from));
        break;
      case 'copy':
        add(document, path, cloneObject(read(document, from)));
        break;
      case 'test':
        if (!jsonEqual(read(document, path), operation.value)) throw new ApiError(422, 'Invalid', `testing value /${path.join('/')} failed`);
        break;
      default:
        throw ApiError.badRequest(`unknown JSON patch operation "${operation.op}"`);
    }
  }
  return document;
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): unknown {
  return type === 'merge' ? applyMergePatch(target, patch) : applyJsonPatch(target, patch);
}
