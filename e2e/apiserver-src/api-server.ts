// The stand-in Kubernetes API server: wires the store, the allocators, the
// registry and the HTTP front end together. One instance = one independent
// "cluster"; nothing is shared between instances.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './api-error.js';
import { SystemClock, type Clock } from './clock.js';
import { discoveryDocument, versionInfo, type VersionInfo } from './discovery.js';
import { EndpointSliceStrategy } from './endpoint-slice-strategy.js';
import { sendError, sendJson, sendText } from './http-io.js';
import { silentLogger, type Logger } from './logger.js';
import { NamespaceStrategy } from './namespace-strategy.js';
import { NodeStrategy } from './node-strategy.js';
import { ObjectRegistry } from './object-registry.js';
import { ObjectStore } from './object-store.js';
import { OpenApiV3 } from './openapi.js';
import { openApiV2Document, OPENAPI_V2_PROTOBUF_MEDIA_TYPE } from './openapi-v2.js';
import { parseResourcePath } from './request-target.js';
import { ResourceHandler } from './resource-handler.js';
import { ServiceAllocator } from './service-allocator.js';
import { ServiceStrategy } from './service-strategy.js';
import { WatchStream, type WatchParameters } from './watch-stream.js';

export interface ApiServerOptions {
  /** Listen address; default 127.0.0.1. */
  address?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  /** One CIDR or an IPv4,IPv6 pair; default 10.96.0.0/16. */
  serviceClusterIpRange?: string;
  /** Default 30000-32767. */
  serviceNodePortRange?: string;
  /** How many changes watches can replay; default 1000. */
  historySize?: number;
  /** BOOKMARK interval for watches with allowWatchBookmarks; default 5000 ms. */
  bookmarkIntervalMs?: number;
  /** Server-side timeout for watches that do not set timeoutSeconds; default none. */
  watchTimeoutMs?: number;
  /** What /version reports (kubectl's dispatcher picks its kubectl.1.N from it); default v1.33.0. */
  serverVersion?: string;
  clock?: Clock;
  logger?: Logger;
}

export const DEFAULTS = {
  address: '127.0.0.1',
  serviceClusterIpRange: '10.96.0.0/16',
  serviceNodePortRange: '30000-32767',
  historySize: 1000,
  bookmarkIntervalMs: 5000,
  serverVersion: 'v1.33.0',
} as const;

/** Namespaces a fresh cluster has. */
const INITIAL_NAMESPACES = ['default'];

export class ApiServer {
  readonly store: ObjectStore;
  /** In-process access to the same write path the REST API uses. */
  readonly registry: ObjectRegistry;
  readonly clock: Clock;
  private readonly logger: Logger;
  private readonly version: VersionInfo;
  private readonly http: Server;
  private readonly handler: ResourceHandler;
  private readonly watches = new Set<WatchStream>();
  private readonly openApi = new OpenApiV3();
  private readonly options: ApiServerOptions;
  private listeningUrl: string | undefined;
  /** The port bound by the first listen(): a listen() after close() comes back on it, as a restarted API server does. */
  private boundPort: number | undefined;

  constructor(options: ApiServerOptions = {}) {
    this.options = options;
    this.clock = options.clock ?? new SystemClock();
    this.logger = options.logger ?? silentLogger();
    this.version = versionInfo(options.serverVersion ?? DEFAULTS.serverVersion);
    this.store = new ObjectStore(options.historySize ?? DEFAULTS.historySize);
    const allocator = new ServiceAllocator(
      options.serviceClusterIpRange ?? DEFAULTS.serviceClusterIpRange,
      options.serviceNodePortRange ?? DEFAULTS.serviceNodePortRange,
    );
    this.registry = new ObjectRegistry(
      this.store,
      [new ServiceStrategy(allocator), new EndpointSliceStrategy(), new NodeStrategy(), new NamespaceStrategy()],
      this.clock,
    );
    for (const namespace of INITIAL_NAMESPACES) this.registry.ensureNamespace(namespace);
    this.handler = new ResourceHandler({
      registry: this.registry,
      clock: this.clock,
      defaultWatchTimeoutMs: options.watchTimeoutMs,
      startWatch: (response, params) => this.startWatch(response, params),
    });
    this.http = createServer((request, response) => void this.dispatch(request, response));
  }

  /**
   * Starts listening; resolves to the base URL (http://127.0.0.1:PORT). After close() it listens again on
   * the same port with the same objects and change history: an API server restart (compactHistory() first
   * for one that comes back without its watch cache).
   */
  async listen(): Promise<string> {
    const address = this.options.address ?? DEFAULTS.address;
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.boundPort ?? this.options.port ?? 0, address, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const bound = this.http.address() as AddressInfo;
    this.boundPort = bound.port;
    const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
    this.listeningUrl = `http://${host}:${bound.port}`;
    this.logger.info('listening', { url: this.listeningUrl });
    return this.listeningUrl;
  }

  get url(): string {
    if (this.listeningUrl === undefined) throw new Error('the server is not listening yet');
    return this.listeningUrl;
  }

  /** Number of open watch streams. */
  get activeWatches(): number {
    return this.watches.size;
  }

  /** Ends every open watch, as an API server restart or watch timeout would; clients re-watch from their last resourceVersion. */
  closeWatches(): void {
    for (const watch of [...this.watches]) watch.close();
  }

  /**
   * Every open watch stops delivering anything (changes and bookmarks) but stays open: a watch behind a
   * half-open connection or a stuck proxy, which only the client's inactivity timeout can detect. Watches
   * opened afterwards work normally.
   */
  stallWatches(): void {
    for (const watch of this.watches) watch.stall();
  }

  /** Forgets the change log; re-watches from older resourceVersions get 410 Gone and must relist. */
  compactHistory(): void {
    this.store.compact();
  }

  async close(): Promise<void> {
    this.closeWatches();
    if (!this.http.listening) return;
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private startWatch(response: ServerResponse, params: WatchParameters): void {
    const stream = new WatchStream(
      response,
      this.store,
      this.clock,
      params,
      { bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? DEFAULTS.bookmarkIntervalMs },
      (closed) => this.watches.delete(closed),
    );
    this.watches.add(stream);
    stream.start();
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(request.url ?? '/', 'http://placeholder');
    try {
      await this.route(request, response, url);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : ApiError.internal((error as Error).message ?? String(error));
      if (!(error instanceof ApiError)) this.logger.error('request failed', { method: request.method, url: request.url, error: String((error as Error).stack ?? error) });
      if (!response.headersSent) sendError(response, apiError);
      else response.end();
    } finally {
      this.logger.debug('request', { method: request.method, url: request.url, status: response.statusCode, ms: Math.round(performance.now() - started), agent: request.headers['user-agent'] });
    }
  }

  private async route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      sendText(response, 200, 'ok');
      return;
    }
    const target = parseResourcePath(path);
    if (target !== undefined) {
      await this.handler.handle(target, request, response, url);
      return;
    }
    if (request.method === 'GET' && path === '/openapi/v2') {
      const body = openApiV2Document();
      response.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF_MEDIA_TYPE, 'Content-Length': body.length });
      response.end(body);
      return;
    }
    if (request.method === 'GET') {
      const document = discoveryDocument(path, this.serverAddress(), this.version) ?? this.openApi.document(path);
      if (document !== undefined) {
        sendJson(response, 200, document);
        return;
      }
    }
    throw ApiError.pathNotFound();
  }

  private serverAddress(): string {
    return this.listeningUrl === undefined ? '' : new URL(this.listeningUrl).host;
  }
}
