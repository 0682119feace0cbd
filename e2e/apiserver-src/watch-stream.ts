// One watch connection: newline-delimited JSON events as the API server
// sends them. Starts with the current state (no resourceVersion, or "0"), or
// replays the change log after the given resourceVersion (410 Gone as an
// ERROR event when that part of the log is gone), then follows live changes.
// BOOKMARKs are sent on the clock when the client allows them.

import type { ServerResponse } from 'node:http';
import { ApiError } from './api-error.js';
import type { Clock, ScheduledTimer } from './clock.js';
import type { StoredChange } from './event-history.js';
import type { KubeObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';
import type { ObjectPredicate } from './selectors.js';
import { toTable, type TableOptions } from './table.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: unknown;
}

export interface WatchParameters {
  type: ResourceType;
  /** Namespace, label and field selectors combined. */
  matches: ObjectPredicate;
  /** undefined/"" = current state then changes; "0" likewise; "N" = changes after N. */
  resourceVersion: number | undefined;
  allowBookmarks: boolean;
  /** WatchList: current state, then a BOOKMARK annotated k8s.io/initial-events-end. */
  sendInitialEvents: boolean;
  timeoutMs: number | undefined;
  /** Set when the client asked for Table (kubectl get --watch). */
  table: TableOptions | undefined;
}

export interface WatchSettings {
  bookmarkIntervalMs: number;
}

/** What a change looks like to a watcher with a selector (the cacher's rules). */
export function eventForWatcher(change: StoredChange, matches: ObjectPredicate): WatchEvent | undefined {
  const nowMatches = matches(change.object);
  const matchedBefore = change.previous !== undefined && matches(change.previous);
  switch (change.type) {
    case 'ADDED':
      return nowMatches ? { type: 'ADDED', object: change.object } : undefined;
    case 'DELETED':
      return matchedBefore ? { type: 'DELETED', object: change.object } : undefined;
    case 'MODIFIED':
      if (nowMatches && matchedBefore) return { type: 'MODIFIED', object: change.object };
      if (nowMatches) return { type: 'ADDED', object: change.object };
      if (matchedBefore && change.previous !== undefined) {
        // The object left the selection: a DELETED of its previous state at this resourceVersion.
        const left = structuredClone(change.previous);
        left.metadata.resourceVersion = String(change.resourceVersion);
        return { type: 'DELETED', object: left };
      }
      return undefined;
  }
}

export class WatchStream {
  private unsubscribe: (() => void) | undefined;
  private readonly timers: ScheduledTimer[] = [];
  private closed = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly params: WatchParameters,
    private readonly settings: WatchSettings,
    private readonly onClosed: (stream: WatchStream) => void,
  ) {}

  start(): void {
    this.response.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Clients (client-node, client-go) wait for the headers before they
    // start reading; an idle watch must still answer at once.
    this.response.flushHeaders();
    this.response.on('close', () => this.close());

    const { type, matches, resourceVersion } = this.params;
    if (resourceVersion === undefined || resourceVersion === 0 || this.params.sendInitialEvents) {
      for (const object of this.store.list(type)) {
        if (matches(object)) this.send({ type: 'ADDED', object });
      }
      if (this.params.sendInitialEvents && this.params.allowBookmarks) this.sendBookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      const replay = this.store.changesSince(resourceVersion);
      if (replay.expired) {
        this.send({ type: 'ERROR', object: ApiError.expired(resourceVersion, replay.oldestAvailable).toStatus() });
        this.close();
        return;
      }
      for (const change of replay.changes) this.deliver(change);
    }
    if (this.closed) return;
    this.unsubscribe = this.store.subscribe((change) => this.deliver(change));
    if (this.params.allowBookmarks && this.settings.bookmarkIntervalMs > 0) {
      this.timers.push(this.clock.every(this.settings.bookmarkIntervalMs, () => this.sendBookmark()));
    }
    if (this.params.timeoutMs !== undefined) {
      this.timers.push(this.clock.after(this.params.timeoutMs, () => this.close()));
    }
  }

  /** Stops sending (changes, bookmarks, the timeout's end) without ending the response: a hung watch. */
  stall(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.timers) timer.cancel();
    this.timers.length = 0;
  }

  /** Ends the stream the way a server-side timeout does: the response simply finishes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const timer of this.timers) timer.cancel();
    if (!this.response.writableEnded) this.response.end();
    this.onClosed(this);
  }

  private deliver(change: StoredChange): void {
    if (change.resourceType !== this.params.type) return;
    const event = eventForWatcher(change, this.params.matches);
    if (event !== undefined) this.send(event);
  }

  private sendBookmark(annotations?: Record<string, string>): void {
    const metadata: KubeObject['metadata'] = { resourceVersion: String(this.store.currentResourceVersion()) };
    if (annotations !== undefined) metadata.annotations = annotations;
    this.send({ type: 'BOOKMARK', object: { kind: this.params.type.kind, apiVersion: apiVersionOf(this.params.type), metadata } });
  }

  private send(event: WatchEvent): void {
    if (this.closed || this.response.writableEnded) return;
    let object = event.object;
    if (this.params.table !== undefined && (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')) {
      const item = object as KubeObject;
      object = toTable(this.params.type, [item], this.clock.now(), this.params.table, item.metadata.resourceVersion);
    }
    this.response.write(`${JSON.stringify({ type: event.type, object })}\n`);
  }
}
