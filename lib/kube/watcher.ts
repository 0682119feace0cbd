// Wraps a client-node ListWatch: it relists by itself on 410 Gone, but stops for good on any other error,
// so we restart it with backoff: 1 s doubling to 30 s, back to 1 s once no error has come for 2 minutes
// (client-go's reflector backoff manager). Not reset on the ListWatch's 'connect' event: it fires before
// every attempt, also those that fail, so an unreachable API server was retried every second by every
// watcher of every node. `ready` settles once the first complete list has been delivered: the proxier
// never syncs from a partial initial list.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import { errorText } from '../log/error-text.js';

export interface WatcherHandlers<T> {
  /** Called for add/update with the object, for delete with `undefined`. */
  onChange(key: string, obj: T | undefined): void;
}

export interface WatcherOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** e.g. /api/v1/services */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  fieldSelector?: string;
  what: string;
  log: Logger;
  key: (obj: T) => string;
  /** Injected for tests; defaults to real timers. */
  delay?: (ms: number) => Promise<void>;
  /** Injected for tests; defaults to Date.now. */
  now?: () => number;
}

/** Backoff after consecutive errors: 1 s doubling to 30 s. */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** An error after this long without one starts the backoff again from 1 s. */
const BACKOFF_RESET_MS = 120_000;

export class ResourceWatcher<T extends KubernetesObject> {
  private readonly lw: ListWatch<T>;
  private stopped = false;
  private backoffMs = 0;
  private lastErrorAt = Number.NEGATIVE_INFINITY;
  private listed = false;
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly o: WatcherOptions<T>,
    handlers: WatcherHandlers<T>,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
    const delay = o.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const now = o.now ?? Date.now;
    this.lw = new ListWatch<T>(withBookmarks(o.path), new Watch(o.kubeConfig), o.list, false, undefined, o.fieldSelector, { delayFn: delay });
    this.lw.on('add', (obj) => handlers.onChange(o.key(obj), obj));
    this.lw.on('update', (obj) => handlers.onChange(o.key(obj), obj));
    this.lw.on('delete', (obj) => handlers.onChange(o.key(obj), undefined));
    this.lw.on('error', (err) => {
      if (this.stopped) return;
      if (now() - this.lastErrorAt > BACKOFF_RESET_MS) this.backoffMs = 0;
      this.lastErrorAt = now();
      this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : BACKOFF_FIRST_MS, BACKOFF_MAX_MS);
      o.log.warn('watch failed; restarting', { resource: o.what, retryInMs: this.backoffMs, error: errorText(err) });
      void delay(this.backoffMs).then(() => this.startOnce());
    });
  }

  start(): void {
    void this.startOnce();
  }

  private async startOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.lw.start();
      // start() returns once the list was delivered and the watch opened.
      if (!this.listed && this.lw.latestResourceVersion() !== '') {
        this.listed = true;
        this.o.log.verbose('initial list complete', { resource: this.o.what, count: this.lw.list().length });
        this.markReady();
      }
    } catch (err) {
      this.o.log.warn('list failed', { resource: this.o.what, error: errorText(err) });
    }
  }

  stop(): void {
    this.stopped = true;
    void this.lw.stop();
  }

  objects(): readonly T[] {
    return this.lw.list();
  }
}


/**
 * The watch asks for BOOKMARKs, as client-go's reflector does. ListWatch sends no query of its own for it,
 * but keeps the resourceVersion each one carries; without them a quiet watch (Services, while only
 * EndpointSlices change) keeps the resourceVersion of its last change, and when it is re-established (the
 * client's 30 s inactivity timeout, a server-side timeout) the API server's history has moved past it:
 * 410 Gone, and a relist of every Service (10,000 objects decoded and compared, every 30 s, in the churn
 * benchmark).
 */
export function withBookmarks(path: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}allowWatchBookmarks=true`;
}
