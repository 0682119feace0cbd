// A bounded log of recent changes, standing in for the watch cache: a watch
// that starts from resourceVersion N is served from here, and if the events
// right after N have already been dropped the watch gets 410 Gone.

import type { KubeObject } from './kube-object.js';
import type { ResourceType } from './resource-types.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredChange {
  resourceVersion: number;
  resourceType: ResourceType;
  type: ChangeType;
  /** The object after the change (for DELETED: the last state, stamped with the deletion's resourceVersion). */
  object: KubeObject;
  /** The object before the change; absent for ADDED. Watches with selectors need it to turn updates into ADDED/DELETED. */
  previous?: KubeObject;
}

export type ReplayResult = { expired: false; changes: StoredChange[] } | { expired: true; oldestAvailable: number };

export class EventHistory {
  private readonly ring: StoredChange[] = [];
  /** resourceVersion of the newest change that has been dropped; 0 while nothing has been dropped. */
  private droppedThrough = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`history capacity must be a positive integer, got ${capacity}`);
  }

  record(change: StoredChange): void {
    this.ring.push(change);
    if (this.ring.length > this.capacity) {
      const dropped = this.ring.shift();
      if (dropped !== undefined) this.droppedThrough = dropped.resourceVersion;
    }
  }

  /** Changes with resourceVersion > from, oldest first; or expired when some of them are no longer kept. */
  since(from: number): ReplayResult {
    if (from < this.droppedThrough) {
      return { expired: true, oldestAvailable: this.droppedThrough + 1 };
    }
    return { expired: false, changes: this.ring.filter((c) => c.resourceVersion > from) };
  }

  /** Forgets everything up to now, like an etcd compaction; later watches from older versions get 410. */
  compact(currentResourceVersion: number): void {
    this.ring.length = 0;
    this.droppedThrough = currentResourceVersion;
  }
}
