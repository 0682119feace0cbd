// The periodic kernel read, running beside the event-driven syncs instead of in front of them.
//
// At 10,000 Services a whole read (10,000 destination dumps, 20,000 set members, 10,000 addresses,
// iptables-save) takes seconds, 15 in the test VM. Done inside the sync, as kube-proxy does, every endpoint
// change that arrives meanwhile waits for it: the churn benchmark saw p99 API-to-kernel latencies of 35 s at
// 50 changes/s. So the periodic run only starts the read; syncs for changes go on, planned against the
// record as always, and each one's applied operations are noted here. When the read is done, the next sync
// plans against it, with the record's version of everything applied since it began (overlay-record.ts):
// whatever else differs from the desired state is drift.
import type { ObservedState } from '../engine/observed.js';
import type { Operation } from '../engine/operations.js';
import { noteApplied, nothingChanged, overlayRecord, type ChangedSinceRead } from '../engine/overlay-record.js';

export type ReadOutcome =
  /** The read, made current: plan against it. */
  | { kind: 'ready'; observed: ObservedState }
  /** The read failed, or cannot be made current (a sync failed, or changed what cannot be placed by key). */
  | { kind: 'unusable'; why: string };

export class BackgroundKernelRead {
  private changed: ChangedSinceRead | undefined = nothingChanged();
  private spoiledBy = '';
  private result: ObservedState | undefined;
  private error: unknown;
  private isSettled = false;

  /** `onSettled` runs once the read has ended, either way (the proxier asks for the sync that uses it). */
  constructor(read: Promise<ObservedState>, onSettled: () => void) {
    void read.then(
      (r) => {
        this.result = r;
      },
      (err: unknown) => {
        this.error = err;
      },
    ).then(() => {
      this.isSettled = true;
      onSettled();
    });
  }

  get settled(): boolean {
    return this.isSettled;
  }

  /** A sync applied these operations (all of them) while the read ran. */
  applied(ops: readonly Operation[]): void {
    if (this.changed && !noteApplied(this.changed, ops)) this.spoil('a sync changed sets or the interface themselves');
  }

  /** A sync failed while the read ran: what it left in the kernel is unknown. */
  spoil(why: string): void {
    if (!this.changed) return;
    this.changed = undefined;
    this.spoiledBy = why;
  }

  /** Once settled: the read as the kernel is now, given the record of the last successful apply. */
  outcome(record: ObservedState | undefined): ReadOutcome {
    if (!this.isSettled) throw new Error('BackgroundKernelRead.outcome before the read settled');
    if (this.result === undefined) return { kind: 'unusable', why: `the read failed: ${this.error instanceof Error ? this.error.message : String(this.error)}` };
    if (!this.changed) return { kind: 'unusable', why: this.spoiledBy };
    if (!record) return { kind: 'unusable', why: 'no record of the last apply' };
    return { kind: 'ready', observed: overlayRecord(this.result, record, this.changed) };
  }
}
