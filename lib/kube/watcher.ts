// Wraps a client-node ListWatch: it relists by itself on 410 Gone, but stops for good on any other error,
// so we restart it with backoff (1 s doubling to 30 s, like client-node's own reconnect). `ready` settles
// once the first complete list has been delivered: the proxier never syncs from a partial initial list.
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';

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
}

export class ResourceWatcher<T extends KubernetesObject> {
  private readonly lw: ListWatch<T>;
  private stopped = false;
  private backoffMs = 0;
  private listed = false;
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly o: WatcherOptions<T>,
    handlers: WatcherHandlers<T>,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
    const delay = o.delay ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    this.lw = new ListWatch<T>(o.path, new Watch(o.kubeConfig), o.list, false, undefined, o.fieldSelector, { delayFn: delay });
    this.lw.on('add', (obj) => handlers.onChange(o.key(obj), obj));
    this.lw.on('update', (obj) => handlers.onChange(o.key(obj), obj));
    this.lw.on('delete', (obj) => handlers.onChange(o.key(obj), undefined));
    this.lw.on('error', (err) => {
      if (this.stopped) return;
      this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : 1000, 30_000);
      o.log.warn('watch failed; restarting', { resource: o.what, retryInMs: this.backoffMs, error: errorText(err) });
      void delay(this.backoffMs).then(() => this.startOnce());
    });
    this.lw.on('connect', () => {
      this.backoffMs = 0;
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

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
