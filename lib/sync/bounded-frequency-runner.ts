// Runs the sync function (a) soon after something asks for it, but never more often than minIntervalMs,
// (b) at least every maxIntervalMs (the periodic re-read that repairs drift), and (c) again after
// retryIntervalMs when a run fails. Only one run at a time; requests that arrive during a run coalesce
// into one follow-up run. The same contract as kubernetes' BoundedFrequencyRunner, with the clock injected.
import type { Clock, TimerHandle } from './clock.js';

export interface RunnerOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  retryIntervalMs: number;
}

/** What the sync function is told about why it runs: a periodic run should re-read the kernel. */
export type RunReason = 'requested' | 'periodic' | 'retry';

export class BoundedFrequencyRunner {
  private lastRunStart = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private timerReason: RunReason = 'periodic';
  private running = false;
  private pendingRequest = false;
  private stopped = true;
  /** Resolves after the run in progress (if any) ends: for orderly shutdown and tests. */
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly fn: (reason: RunReason) => Promise<void>,
    private readonly clock: Clock,
    private readonly opts: RunnerOptions,
    /** Called with the error of a failed run (the runner itself never throws). */
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    if (opts.minIntervalMs > opts.maxIntervalMs) throw new Error(`min sync period ${opts.minIntervalMs} ms exceeds sync period ${opts.maxIntervalMs} ms`);
  }

  /** Starts the periodic schedule with an immediate first run. */
  start(): void {
    this.stopped = false;
    this.schedule(0, 'requested');
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    return this.current;
  }

  /** Asks for a run as soon as the minimum interval allows. */
  run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pendingRequest = true;
      return;
    }
    const earliest = this.lastRunStart + this.opts.minIntervalMs;
    this.schedule(Math.max(0, earliest - this.clock.now()), 'requested');
  }

  /** Settles once the current run (if any) has finished. */
  idle(): Promise<void> {
    return this.current;
  }

  private schedule(delayMs: number, reason: RunReason): void {
    const at = this.clock.now() + delayMs;
    // Keep an earlier timer: a later request never postpones a run already due sooner.
    if (this.timer && this.timerAt <= at) return;
    this.cancelTimer();
    this.timerAt = at;
    this.timerReason = reason;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.execute(this.timerReason);
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private execute(reason: RunReason): void {
    if (this.stopped) return;
    this.running = true;
    this.pendingRequest = false;
    this.lastRunStart = this.clock.now();
    this.current = this.fn(reason).then(
      () => this.finished(false),
      (err: unknown) => {
        this.onError(err);
        this.finished(true);
      },
    );
  }

  private finished(failed: boolean): void {
    this.running = false;
    if (this.stopped) return;
    // The periodic run is always scheduled; a retry or a coalesced request may come sooner.
    this.schedule(this.opts.maxIntervalMs, 'periodic');
    if (failed) this.schedule(this.opts.retryIntervalMs, 'retry');
    if (this.pendingRequest) this.run();
  }
}
