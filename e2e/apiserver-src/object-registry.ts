// The write path shared by the REST handlers, the --objects loader and
// in-process callers (tests): type and namespace checks, object metadata
// (uid, creationTimestamp, generation), the per-kind strategy, no-op update
// detection, then the store.

import { randomInt, randomUUID } from 'node:crypto';
import { ApiError, fieldError, InvalidFields, type StatusCause } from './api-error.js';
import type { Clock } from './clock.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { cloneObject, formatTimestamp, isRecord, jsonEqual, type KubeObject } from './kube-object.js';
import type { ObjectStore, WritePreconditions } from './object-store.js';
import { ALL_RESOURCE_TYPES, apiVersionOf, NAMESPACES, type ResourceType } from './resource-types.js';
import type { Reservation } from './reservation.js';
import type { ResourceStrategy } from './strategy.js';
import type { ObjectPredicate } from './selectors.js';
import { validateLabels, validateName } from './validation.js';

export interface CreateOptions {
  /** The namespace from the request path; defaults to the object's own, then "default". */
  namespace?: string;
  dryRun?: boolean;
}

export interface UpdateOptions {
  namespace?: string;
  name: string;
  dryRun?: boolean;
  /** 'status' writes only .status, as PUT .../status does. */
  subresource?: 'status';
}

export interface DeleteOptions {
  dryRun?: boolean;
  preconditions?: WritePreconditions;
}

export interface ObjectList {
  resourceVersion: string;
  items: KubeObject[];
  /** Set when more items follow: the token for the next page. */
  continue?: string;
  /** How many items follow this page; only for lists without a label or field selector, as the real server. */
  remainingItemCount?: number;
}

export interface ListPaging {
  /** At most this many items per response; 0 or undefined: all. */
  limit?: number;
  /** The previous page's metadata.continue. */
  continue?: string;
  /** False when a label or field selector narrows the list: the real server then cannot count what remains. */
  countRemaining?: boolean;
}

/** Namespaces the API server refuses to delete. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** The alphabet of names.SimpleNameGenerator: no vowels, no confusable digits. */
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomNameSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_SUFFIX_ALPHABET[randomInt(NAME_SUFFIX_ALPHABET.length)];
  return suffix;
}

/** Everything but metadata and status: what metadata.generation tracks. */
function specPart(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest;
}

function withoutResourceVersion(object: KubeObject): KubeObject {
  const copy = cloneObject(object);
  delete copy.metadata.resourceVersion;
  return copy;
}

export class ObjectRegistry {
  private readonly strategies = new Map<ResourceType, ResourceStrategy>();

  constructor(
    private readonly store: ObjectStore,
    strategies: readonly ResourceStrategy[],
    private readonly clock: Clock,
  ) {
    for (const strategy of strategies) this.strategies.set(strategy.type, strategy);
    for (const type of ALL_RESOURCE_TYPES) {
      if (!this.strategies.has(type)) throw new Error(`no strategy for ${type.plural}`);
    }
  }

  currentResourceVersion(): string {
    return String(this.store.currentResourceVersion());
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(type, type.namespaced ? namespace : undefined, name);
    if (object === undefined) throw ApiError.notFound(type, name);
    return object;
  }

  /**
   * A list, whole or one page of it (limit/continue, as the real server): every page of one list is read at
   * the first page's resourceVersion, so the pages together are one consistent snapshot; a continue token
   * older than the change log reaches is 410 Expired.
   */
  list(type: ResourceType, namespace: string | undefined, matches: ObjectPredicate = () => true, paging: ListPaging = {}): ObjectList {
    const point = paging.continue ? decodeContinue(paging.continue) : undefined;
    const resourceVersion = point?.resourceVersion ?? this.store.currentResourceVersion();
    const page = this.store.listPage(type, {
      namespace: type.namespaced ? namespace : undefined,
      resourceVersion,
      after: point?.after,
      matches,
      limit: paging.limit ?? 0,
    });
    if (page.expired) throw ApiError.continueExpired();
    const list: ObjectList = { resourceVersion: String(resourceVersion), items: page.items };
    const last = page.items.at(-1);
    if (page.remaining > 0 && last !== undefined) {
      list.continue = encodeContinue({ resourceVersion, after: { namespace: type.namespaced ? last.metadata.namespace : undefined, name: last.metadata.name ?? '' } });
      if (paging.countRemaining !== false) list.remainingItemCount = page.remaining;
    }
    return list;
  }

  create(type: ResourceType, body: unknown, options: CreateOptions = {}): KubeObject {
    const object = this.decode(type, body);
    const meta = object.metadata;
    this.placeInNamespace(type, object, options.namespace);
    if (meta.resourceVersion) {
      // What etcd3's store says; kubectl shows it when a `get -o yaml` dump is fed back to `create`.
      throw ApiError.internal('resourceVersion should not be set on objects to be created');
    }
    const strategy = this.strategyFor(type);
    if (!meta.name && meta.generateName) meta.name = this.generateName(type, meta.namespace, meta.generateName);
    this.validateMeta(type, object, strategy);
    const name = meta.name ?? '';
    if (this.store.get(type, meta.namespace, name) !== undefined) throw ApiError.alreadyExists(type, name);

    meta.uid = randomUUID();
    meta.creationTimestamp = formatTimestamp(this.clock.now());
    if (type.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;

    const reservation = this.withFieldErrors(type, name, () => strategy.prepareCreate(object));
    if (options.dryRun) {
      reservation?.rollback();
      return object;
    }
    try {
      if (type.namespaced && meta.namespace !== undefined) this.ensureNamespace(meta.namespace);
      const stored = this.store.create(type, object);
      reservation?.commit();
      return stored;
    } catch (error) {
      reservation?.rollback();
      throw error;
    }
  }

  update(type: ResourceType, body: unknown, options: UpdateOptions): KubeObject {
    const object = this.decode(type, body);
    const meta = object.metadata;
    this.placeInNamespace(type, object, options.namespace);
    if (meta.name && meta.name !== options.name) {
      throw ApiError.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${options.name})`);
    }
    meta.name = options.name;
    const old = this.get(type, meta.namespace, options.name);
    const preconditions: WritePreconditions = {};
    // An update without resourceVersion is unconditional, as all kinds served here allow.
    if (meta.resourceVersion) preconditions.resourceVersion = meta.resourceVersion;
    if (meta.uid) preconditions.uid = meta.uid;
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw ApiError.staleResourceVersion(type, options.name);
    }
    if (preconditions.uid !== undefined && preconditions.uid !== old.metadata.uid) {
      throw ApiError.conflict(type, options.name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
    }

    let next: KubeObject;
    let reservation: Reservation | undefined;
    if (options.subresource === 'status') {
      // Status writes change .status only; metadata and spec stay as stored.
      next = cloneObject(old);
      if (object.status === undefined) delete next.status;
      else next.status = object.status;
    } else {
      next = object;
      const strategy = this.strategyFor(type);
      this.validateMeta(type, next, strategy);
      next.metadata.uid = old.metadata.uid;
      next.metadata.creationTimestamp = old.metadata.creationTimestamp;
      if (type.tracksGeneration) next.metadata.generation = old.metadata.generation;
      else delete next.metadata.generation;
      reservation = this.withFieldErrors(type, options.name, () => strategy.prepareUpdate(next, old));
    }
    if (type.tracksGeneration && !jsonEqual(specPart(next), specPart(old))) {
      next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;

    // The API server does not write (nor bump resourceVersion, nor notify
    // watchers) when an update changes nothing.
    if (jsonEqual(withoutResourceVersion(next), withoutResourceVersion(old))) {
      reservation?.commit();
      return old;
    }
    if (options.dryRun) {
      reservation?.rollback();
      return next;
    }
    try {
      const stored = this.store.update(type, next, { resourceVersion: old.metadata.resourceVersion ?? '' });
      reservation?.commit();
      return stored;
    } catch (error) {
      reservation?.rollback();
      throw error;
    }
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): KubeObject {
    const ns = type.namespaced ? namespace : undefined;
    const existing = this.get(type, ns, name);
    if (type === NAMESPACES && PROTECTED_NAMESPACES.has(name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    const preconditions = options.preconditions ?? {};
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== existing.metadata.resourceVersion) {
      throw ApiError.conflict(type, name, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`);
    }
    if (options.dryRun) return existing;
    // Contents go first, as the namespace controller empties a namespace before it disappears.
    if (type === NAMESPACES) this.deleteNamespaceContents(name);
    const deleted = this.store.delete(type, ns, name, preconditions);
    this.strategyFor(type).released(deleted);
    return deleted;
  }

  /** Creates the namespace if it does not exist yet (objects may name any namespace). */
  ensureNamespace(name: string): void {
    if (this.store.get(NAMESPACES, undefined, name) === undefined) {
      this.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }

  /** A real namespace deletion empties it asynchronously; this does it at once. */
  private deleteNamespaceContents(namespace: string): void {
    for (const type of ALL_RESOURCE_TYPES) {
      if (!type.namespaced) continue;
      for (const object of this.store.list(type, namespace)) {
        this.delete(type, namespace, object.metadata.name ?? '');
      }
    }
  }

  private strategyFor(type: ResourceType): ResourceStrategy {
    const strategy = this.strategies.get(type);
    if (strategy === undefined) throw ApiError.internal(`no strategy for ${type.plural}`);
    return strategy;
  }

  private decode(type: ResourceType, body: unknown): KubeObject {
    if (!isRecord(body)) throw ApiError.badRequest(`the body of the request is not a ${type.kind} object`);
    const object = cloneObject(body) as KubeObject;
    const apiVersion = apiVersionOf(type);
    if ((object.kind !== undefined && object.kind !== type.kind) || (object.apiVersion !== undefined && object.apiVersion !== apiVersion)) {
      throw ApiError.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion}) or the kind (${String(object.kind)}) is not ${type.kind}`);
    }
    object.apiVersion = apiVersion;
    object.kind = type.kind;
    if (object.metadata === undefined || object.metadata === null) object.metadata = {};
    if (!isRecord(object.metadata)) throw ApiError.badRequest('metadata must be an object');
    return object;
  }

  private placeInNamespace(type: ResourceType, object: KubeObject, requested: string | undefined): void {
    const meta = object.metadata;
    if (!type.namespaced) {
      delete meta.namespace;
      return;
    }
    if (requested !== undefined && meta.namespace && meta.namespace !== requested) {
      throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = requested ?? (meta.namespace || 'default');
  }

  private validateMeta(type: ResourceType, object: KubeObject, strategy: ResourceStrategy): void {
    const meta = object.metadata;
    const causes: StatusCause[] = [];
    if (typeof meta.name !== 'string' || meta.name === '') {
      causes.push(fieldError.required('metadata.name', 'name or generateName is required'));
    } else {
      causes.push(...validateName(meta.name, strategy.nameRule));
    }
    if (type.namespaced) causes.push(...validateName(meta.namespace ?? '', 'dns1123-label', 'metadata.namespace'));
    causes.push(...validateLabels(meta.labels));
    if (meta.annotations !== undefined && !isRecord(meta.annotations)) {
      causes.push(fieldError.invalid('metadata.annotations', meta.annotations, 'must be a map of strings'));
    }
    if (causes.length > 0) throw ApiError.invalid(type, typeof meta.name === 'string' ? meta.name : '', causes);
  }

  private generateName(type: ResourceType, namespace: string | undefined, prefix: string): string {
    for (let attempt = 0; attempt < 10; attempt++) {
      const candidate = `${prefix}${randomNameSuffix()}`;
      if (this.store.get(type, namespace, candidate) === undefined) return candidate;
    }
    throw ApiError.alreadyExists(type, `${prefix}*`);
  }

  private withFieldErrors<T>(type: ResourceType, name: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof InvalidFields) throw ApiError.invalid(type, name, error.causes);
      throw error;
    }
  }
}
