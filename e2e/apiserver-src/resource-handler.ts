// REST verbs on resources: list, get, watch, create, update (PUT), patch,
// delete and deletecollection, with the API server's status codes and list
// envelopes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-error.js';
import type { Clock } from './clock.js';
import { parseBoolParam, parseNonNegativeIntParam, readBody, sendJson } from './http-io.js';
import { isRecord, type KubeObject } from './kube-object.js';
import { stripUnknownFields } from './known-fields.js';
import { decodeBody, negotiateResponse, patchTypeOf, type ResponseFormat } from './negotiation.js';
import type { ListPaging, ObjectList, ObjectRegistry } from './object-registry.js';
import type { WritePreconditions } from './object-store.js';
import { applyPatch } from './patch.js';
import type { ResourceTarget } from './request-target.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';
import { both, MATCH_EVERYTHING, parseFieldSelector, parseLabelSelector, type ObjectPredicate } from './selectors.js';
import { toTable, type IncludeObject } from './table.js';
import type { WatchParameters } from './watch-stream.js';

export interface ResourceHandlerContext {
  registry: ObjectRegistry;
  clock: Clock;
  /** Server-side watch timeout applied when the client gives no timeoutSeconds; undefined = none. */
  defaultWatchTimeoutMs: number | undefined;
  startWatch(response: ServerResponse, params: WatchParameters): void;
}

function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All') throw new ApiError(400, 'BadRequest', `Unsupported value: "${value}": supported values: "All"`);
  }
  return values.length > 0;
}

type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const value = query.get('fieldValidation') ?? 'Warn';
  if (value !== 'Ignore' && value !== 'Warn' && value !== 'Strict') {
    throw ApiError.badRequest(`fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`);
  }
  return value;
}

/**
 * Drops fields the kind does not have, as decoding into the API types does;
 * with fieldValidation=Strict (kubectl's default) they are an error instead,
 * and with Warn (the server default) each one becomes a Warning header.
 */
function checkFields(type: ResourceType, body: unknown, query: URLSearchParams, response: ServerResponse): void {
  const directive = fieldValidationOf(query);
  const unknown = stripUnknownFields(type, body);
  if (unknown.length === 0 || directive === 'Ignore') return;
  if (directive === 'Strict') {
    const list = unknown.map((path) => `unknown field "${path}"`).join(', ');
    throw ApiError.badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${list}`);
  }
  response.setHeader('Warning', unknown.map((path) => `299 - "unknown field \\"${path}\\""`));
}

function includeObjectOf(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject') ?? 'Metadata';
  if (value !== 'None' && value !== 'Metadata' && value !== 'Object') throw ApiError.badRequest(`invalid includeObject "${value}"`);
  return value;
}

/** List items carry no kind/apiVersion; the list's own type says what they are (as with the real server). */
function asListItem(object: KubeObject): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest as KubeObject;
}

function selection(target: ResourceTarget, query: URLSearchParams): ObjectPredicate {
  let matches = both(parseLabelSelector(query.get('labelSelector')), parseFieldSelector(query.get('fieldSelector')));
  const { namespace, name } = target;
  if (namespace !== undefined) matches = both((o) => o.metadata.namespace === namespace, matches);
  if (name !== undefined) matches = both((o) => o.metadata.name === name, matches);
  return matches;
}

/** limit and continue of a list request, checked as the real server checks them. */
function pagingOf(query: URLSearchParams): ListPaging {
  const limit = parseNonNegativeIntParam('limit', query.get('limit'));
  const token = query.get('continue') ?? '';
  const resourceVersion = query.get('resourceVersion') ?? '';
  if (token !== '' && resourceVersion !== '') throw ApiError.badRequest('specifying resource version is not allowed when using continue');
  // The real server can count what remains only when no selector filters the items.
  const countRemaining = (query.get('labelSelector') ?? '') === '' && (query.get('fieldSelector') ?? '') === '';
  return { limit, continue: token === '' ? undefined : token, countRemaining };
}

/** A list's ListMeta: continue and remainingItemCount only when more items follow. */
function listMeta(list: ObjectList): Record<string, unknown> {
  const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
  if (list.continue !== undefined) metadata['continue'] = list.continue;
  if (list.remainingItemCount !== undefined) metadata['remainingItemCount'] = list.remainingItemCount;
  return metadata;
}

export class ResourceHandler {
  constructor(private readonly context: ResourceHandlerContext) {}

  async handle(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const { type, name, subresource } = target;
    const query = url.searchParams;
    const method = request.method ?? 'GET';
    if (subresource !== undefined && (subresource !== 'status' || !type.hasStatus)) throw ApiError.pathNotFound();
    const isWatch = target.legacyWatch || parseBoolParam('watch', query.get('watch'));

    if (name === undefined) {
      if (subresource !== undefined) throw ApiError.pathNotFound();
      switch (method) {
        case 'GET':
          return isWatch ? this.watch(target, request, response, query) : this.list(target, request, response, query);
        case 'POST':
          return this.create(target, request, response, query);
        case 'DELETE':
          return this.deleteCollection(target, request, response, query);
        default:
          throw ApiError.methodNotAllowed(method);
      }
    }
    switch (method) {
      case 'GET':
        return isWatch ? this.watch(target, request, response, query) : this.get(target, request, response, query);
      case 'PUT':
        return this.update(target, request, response, query);
      case 'PATCH':
        return this.patch(target, request, response, query);
      case 'DELETE':
        if (subresource !== undefined) throw ApiError.methodNotAllowed(method);
        return this.delete(target, request, response, query);
      default:
        throw ApiError.methodNotAllowed(method);
    }
  }

  private format(request: IncomingMessage, tableAllowed = true): ResponseFormat {
    return negotiateResponse(request.headers.accept, tableAllowed);
  }

  private respondWithObject(response: ServerResponse, code: number, type: ResourceType, object: KubeObject, format: ResponseFormat, query: URLSearchParams): void {
    if (format.kind === 'table') {
      const table = toTable(type, [object], this.context.clock.now(), { apiVersion: format.apiVersion, includeObject: includeObjectOf(query) }, object.metadata.resourceVersion);
      sendJson(response, code, table);
      return;
    }
    sendJson(response, code, object);
  }

  private list(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): void {
    const format = this.format(request);
    const matches = selection(target, query);
    const list = this.context.registry.list(target.type, target.namespace, matches, pagingOf(query));
    const metadata = listMeta(list);
    if (format.kind === 'table') {
      const table = toTable(target.type, list.items, this.context.clock.now(), { apiVersion: format.apiVersion, includeObject: includeObjectOf(query) }, list.resourceVersion);
      sendJson(response, 200, { ...table, metadata });
      return;
    }
    sendJson(response, 200, {
      kind: target.type.listKind,
      apiVersion: apiVersionOf(target.type),
      metadata,
      items: list.items.map(asListItem),
    });
  }

  private get(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): void {
    const format = this.format(request);
    const object = this.context.registry.get(target.type, target.namespace, target.name ?? '');
    this.respondWithObject(response, 200, target.type, object, format, query);
  }

  private watch(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): void {
    const format = this.format(request);
    const rawVersion = query.get('resourceVersion');
    let resourceVersion: number | undefined;
    if (rawVersion !== null && rawVersion !== '') {
      if (!/^\d+$/.test(rawVersion)) throw ApiError.badRequest(`invalid resource version "${rawVersion}"`);
      resourceVersion = Number(rawVersion);
    }
    const timeoutSeconds = parseNonNegativeIntParam('timeoutSeconds', query.get('timeoutSeconds'));
    const params: WatchParameters = {
      type: target.type,
      matches: selection(target, query),
      resourceVersion,
      allowBookmarks: parseBoolParam('allowWatchBookmarks', query.get('allowWatchBookmarks')),
      sendInitialEvents: parseBoolParam('sendInitialEvents', query.get('sendInitialEvents')),
      timeoutMs: timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds * 1000 : this.context.defaultWatchTimeoutMs,
      table: format.kind === 'table' ? { apiVersion: format.apiVersion, includeObject: includeObjectOf(query) } : undefined,
    };
    this.context.startWatch(response, params);
  }

  private async create(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): Promise<void> {
    const format = this.format(request);
    const body = decodeBody(request.headers['content-type'], await readBody(request));
    checkFields(target.type, body, query, response);
    const created = this.context.registry.create(target.type, body, { namespace: target.namespace, dryRun: dryRunOf(query) });
    this.respondWithObject(response, 201, target.type, created, format, query);
  }

  private async update(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): Promise<void> {
    const format = this.format(request);
    const body = decodeBody(request.headers['content-type'], await readBody(request));
    checkFields(target.type, body, query, response);
    const updated = this.context.registry.update(target.type, body, {
      namespace: target.namespace,
      name: target.name ?? '',
      dryRun: dryRunOf(query),
      subresource: target.subresource === 'status' ? 'status' : undefined,
    });
    this.respondWithObject(response, 200, target.type, updated, format, query);
  }

  private async patch(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): Promise<void> {
    const format = this.format(request);
    const patchType = patchTypeOf(request.headers['content-type']);
    const raw = await readBody(request);
    let patch: unknown;
    try {
      patch = JSON.parse(raw);
    } catch (error) {
      throw ApiError.badRequest(`the patch could not be decoded: ${(error as Error).message}`);
    }
    const current = this.context.registry.get(target.type, target.namespace, target.name ?? '');
    const patched = applyPatch(patchType, current, patch);
    checkFields(target.type, patched, query, response);
    const updated = this.context.registry.update(target.type, patched, {
      namespace: target.namespace,
      name: target.name ?? '',
      dryRun: dryRunOf(query),
      subresource: target.subresource === 'status' ? 'status' : undefined,
    });
    this.respondWithObject(response, 200, target.type, updated, format, query);
  }

  private async deleteOptions(request: IncomingMessage, query: URLSearchParams): Promise<{ dryRun: boolean; preconditions: WritePreconditions }> {
    const raw = await readBody(request);
    const body = raw.trim() === '' ? {} : decodeBody(request.headers['content-type'], raw);
    let dryRun = dryRunOf(query);
    const preconditions: WritePreconditions = {};
    if (isRecord(body)) {
      if (Array.isArray(body.dryRun) && body.dryRun.includes('All')) dryRun = true;
      if (isRecord(body.preconditions)) {
        if (typeof body.preconditions.resourceVersion === 'string') preconditions.resourceVersion = body.preconditions.resourceVersion;
        if (typeof body.preconditions.uid === 'string') preconditions.uid = body.preconditions.uid;
      }
    }
    return { dryRun, preconditions };
  }

  private async delete(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): Promise<void> {
    const format = this.format(request, false);
    const options = await this.deleteOptions(request, query);
    const deleted = this.context.registry.delete(target.type, target.namespace, target.name ?? '', options);
    this.respondWithObject(response, 200, target.type, deleted, format, query);
  }

  private async deleteCollection(target: ResourceTarget, request: IncomingMessage, response: ServerResponse, query: URLSearchParams): Promise<void> {
    const options = await this.deleteOptions(request, query);
    const matches = selection(target, query);
    const { items } = this.context.registry.list(target.type, target.namespace, matches === MATCH_EVERYTHING ? undefined : matches);
    const deleted = items.map((item) => this.context.registry.delete(target.type, item.metadata.namespace, item.metadata.name ?? '', { dryRun: options.dryRun }));
    sendJson(response, 200, {
      kind: target.type.listKind,
      apiVersion: apiVersionOf(target.type),
      metadata: { resourceVersion: this.context.registry.currentResourceVersion() },
      items: deleted.map(asListItem),
    });
  }
}
