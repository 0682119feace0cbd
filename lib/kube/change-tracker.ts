// Keeps {previous, current} per object between syncs and drops changes that cancel out (an update that
// restores what was synced, an add followed by a delete), so the proxier asks for a sync only when a
// tracker holds a real change. Objects are compared through a projection of the fields that matter to
// the proxier (status, managedFields and resourceVersion churn must not cause syncs).

export interface PendingChange<T> {
  previous: T | undefined;
  current: T | undefined;
}

export class ChangeTracker<T> {
  /** What the last sync used. */
  private readonly synced = new Map<string, T>();
  /** Changes since then, keyed like `synced`. */
  private readonly pending = new Map<string, PendingChange<T>>();

  constructor(private readonly projection: (obj: T) => string) {}

  /** Records the object's new version (`undefined` = deleted); returns whether any real change is pending. */
  update(key: string, obj: T | undefined): boolean {
    const previous = this.pending.has(key) ? this.pending.get(key)!.previous : this.synced.get(key);
    if (this.same(previous, obj)) this.pending.delete(key);
    else this.pending.set(key, { previous, current: obj });
    return this.pending.size > 0;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Takes the pending changes and makes their current versions the synced ones. */
  drain(): Map<string, PendingChange<T>> {
    const out = new Map(this.pending);
    for (const [key, change] of this.pending) {
      if (change.current === undefined) this.synced.delete(key);
      else this.synced.set(key, change.current);
    }
    this.pending.clear();
    return out;
  }

  /** Every object as of the last drain plus pending changes: the input of the desired state. */
  currentObjects(): T[] {
    const out = new Map(this.synced);
    for (const [key, change] of this.pending) {
      if (change.current === undefined) out.delete(key);
      else out.set(key, change.current);
    }
    return [...out.values()];
  }

  private same(a: T | undefined, b: T | undefined): boolean {
    if (a === undefined || b === undefined) return a === b;
    return this.projection(a) === this.projection(b);
  }
}

interface Meta {
  metadata?: { namespace?: string; name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: unknown };
}

export function objectKey(o: Meta): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** A Service matters through its spec, its annotations (ours pick the scheduler) and its LB status. */
export function serviceProjection(s: Meta & { spec?: unknown; status?: { loadBalancer?: unknown } }): string {
  return JSON.stringify([s.spec, s.metadata?.annotations ?? {}, s.status?.loadBalancer ?? null]);
}

/** An EndpointSlice matters through its service label, address type, ports and endpoints. */
export function endpointSliceProjection(e: Meta & { addressType?: string; ports?: unknown; endpoints?: unknown }): string {
  return JSON.stringify([e.metadata?.labels?.['kubernetes.io/service-name'] ?? '', e.addressType, e.ports ?? [], e.endpoints ?? []]);
}
