// The "etcd" of the stand-in server: objects by kind/namespace/name, one
// global resourceVersion counter that every write bumps, and the change log
// that watches replay from. No validation or defaulting happens here.

import { ApiError } from './api-error.js';
import { EventHistory, type ChangeType, type ReplayResult, type StoredChange } from './event-history.js';
import { cloneObject, type KubeObject } from './kube-object.js';
import type { ResourceType } from './resource-types.js';

export type ChangeListener = (change: StoredChange) => void;

export interface WritePreconditions {
  /** When set, the write fails with 409 Conflict unless the stored object has exactly this resourceVersion. */
  resourceVersion?: string;
  uid?: string;
}

export interface PageRequest {
  /** Only this namespace's objects; all when undefined. */
  namespace: string | undefined;
  resourceVersion: number;
  /** Strictly after this object in key order; from the first when undefined. */
  after: { namespace?: string | undefined; name?: string | undefined } | undefined;
  matches: (object: KubeObject) => boolean;
  /** At most this many items; 0 for all. */
  limit: number;
}

export type PageResult = { expired: true } | { expired: false; items: KubeObject[]; remaining: number };

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private resourceVersion = 0;
  private readonly tables = new Map<ResourceType, Map<string, KubeObject>>();
  private readonly history: EventHistory;
  private readonly listeners = new Set<ChangeListener>();

  constructor(historyCapacity: number) {
    this.history = new EventHistory(historyCapacity);
  }

  currentResourceVersion(): number {
    return this.resourceVersion;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.table(type).get(keyOf(namespace, name));
    return found === undefined ? undefined : cloneObject(found);
  }

  /** Objects in etcd key order (namespace, then name); all namespaces when namespace is undefined. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    const items: KubeObject[] = [];
    for (const object of this.table(type).values()) {
      if (namespace === undefined || object.metadata.namespace === namespace) items.push(cloneObject(object));
    }
    return items.sort((a, b) => compareKeys(a.metadata, b.metadata));
  }

  /**
   * One page of a list, read at `resourceVersion` as etcd's MVCC range read does: the objects as they were
   * then (current ones with every later change undone from the change log), in key order, strictly after
   * `after`, that `matches`; at most `limit` of them (0: all). `expired` when the change log no longer
   * reaches back to that resourceVersion (compacted, or more changes since than it keeps).
   */
  listPage(type: ResourceType, request: PageRequest): PageResult {
    const replay = this.history.since(request.resourceVersion);
    if (replay.expired || request.resourceVersion > this.resourceVersion) return { expired: true };
    // References only; the page's items are cloned on the way out.
    const atVersion = new Map(this.table(type));
    for (let i = replay.changes.length - 1; i >= 0; i--) {
      const change = replay.changes[i]!;
      if (change.resourceType !== type) continue;
      const key = keyOf(change.object.metadata.namespace, change.object.metadata.name ?? '');
      if (change.type === 'ADDED' || change.previous === undefined) atVersion.delete(key);
      else atVersion.set(key, change.previous);
    }
    const after = request.after;
    const candidates = [...atVersion.values()]
      .filter((o) => request.namespace === undefined || o.metadata.namespace === request.namespace)
      .filter((o) => after === undefined || compareKeys(o.metadata, after) > 0)
      .filter(request.matches)
      .sort((a, b) => compareKeys(a.metadata, b.metadata));
    const limit = request.limit > 0 ? request.limit : candidates.length;
    return { expired: false, items: candidates.slice(0, limit).map(cloneObject), remaining: Math.max(0, candidates.length - limit) };
  }

  create(type: ResourceType, object: KubeObject): KubeObject {
    const name = object.metadata.name ?? '';
    const key = keyOf(object.metadata.namespace, name);
    const table = this.table(type);
    if (table.has(key)) throw ApiError.alreadyExists(type, name);
    const stored = this.stamp(object);
    table.set(key, stored);
    this.publish(type, 'ADDED', stored, undefined);
    return cloneObject(stored);
  }

  update(type: ResourceType, object: KubeObject, preconditions: WritePreconditions = {}): KubeObject {
    const name = object.metadata.name ?? '';
    const key = keyOf(object.metadata.namespace, name);
    const table = this.table(type);
    const previous = table.get(key);
    if (previous === undefined) throw ApiError.notFound(type, name);
    checkPreconditions(type, previous, preconditions, 'update');
    const stored = this.stamp(object);
    table.set(key, stored);
    this.publish(type, 'MODIFIED', stored, previous);
    return cloneObject(stored);
  }

  /** Removes the object and returns its last stored state (as the API server's DELETE response does). */
  delete(type: ResourceType, namespace: string | undefined, name: string, preconditions: WritePreconditions = {}): KubeObject {
    const key = keyOf(namespace, name);
    const table = this.table(type);
    const previous = table.get(key);
    if (previous === undefined) throw ApiError.notFound(type, name);
    checkPreconditions(type, previous, preconditions, 'delete');
    table.delete(key);
    // The DELETED event carries the deletion's resourceVersion, so watchers
    // that resume from it do not see the deletion twice.
    const tombstone = this.stamp(previous);
    this.publish(type, 'DELETED', tombstone, previous);
    return cloneObject(previous);
  }

  changesSince(resourceVersion: number): ReplayResult {
    return this.history.since(resourceVersion);
  }

  /** Drops the change log; watches from any earlier resourceVersion will get 410 Gone. */
  compact(): void {
    this.history.compact(this.resourceVersion);
  }

  /** Listeners run synchronously after each write, in write order. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private table(type: ResourceType): Map<string, KubeObject> {
    let table = this.tables.get(type);
    if (table === undefined) {
      table = new Map();
      this.tables.set(type, table);
    }
    return table;
  }

  private stamp(object: KubeObject): KubeObject {
    this.resourceVersion += 1;
    const stored = cloneObject(object);
    stored.metadata.resourceVersion = String(this.resourceVersion);
    return stored;
  }

  private publish(type: ResourceType, changeType: ChangeType, object: KubeObject, previous: KubeObject | undefined): void {
    const change: StoredChange = { resourceVersion: this.resourceVersion, resourceType: type, type: changeType, object };
    if (previous !== undefined) change.previous = previous;
    this.history.record(change);
    for (const listener of [...this.listeners]) listener(change);
  }
}

/** Byte order, like etcd keys (localeCompare would sort "B" before "a" differently per locale). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: { namespace?: string | undefined; name?: string | undefined }, b: { namespace?: string | undefined; name?: string | undefined }): number {
  const byNamespace = compareStrings(a.namespace ?? '', b.namespace ?? '');
  return byNamespace !== 0 ? byNamespace : compareStrings(a.name ?? '', b.name ?? '');
}

function checkPreconditions(type: ResourceType, stored: KubeObject, preconditions: WritePreconditions, operation: 'update' | 'delete'): void {
  const name = stored.metadata.name ?? '';
  if (preconditions.uid !== undefined && preconditions.uid !== stored.metadata.uid) {
    throw ApiError.conflict(type, name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${stored.metadata.uid ?? ''}`);
  }
  if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== stored.metadata.resourceVersion) {
    if (operation === 'update') throw ApiError.staleResourceVersion(type, name);
    throw ApiError.conflict(
      type,
      name,
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion ?? ''}`,
    );
  }
}
