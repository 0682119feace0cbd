// Runs the sync function (a) soon after something asks for it, but never more often than minIntervalMs,
// (b) at least every maxIntervalMs (the periodic re-read that repairs drift), and (c) again after
// retryIntervalMs when a run fails. Only one run at a time; requests that arrive during a run coalesce
// into one follow-up run. The same contract as kubernetes' BoundedFrequencyRunner, with the clock injected,
// but for one thing: there the periodic timer restarts after every run, so under a steady stream of
// requests it never fires. Here the periodic run is the one that reads the kernel and repairs drift, so it
// is due maxIntervalMs after the last periodic (or first, or retry) run, however many requests ran since
// (the churn benchmark saw no periodic run at all under continuous endpoint changes).
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
  /** When the last run that was not a request (or the first run) started: the periodic run counts from it. */
  private periodBase = 0;
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
    this.periodBase = this.clock.now();
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
    if (reason !== 'requested') this.periodBase = this.lastRunStart;
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
    // The periodic run is always scheduled, maxInterval after the last one (requests do not postpone it);
    // a retry or a coalesced request may come sooner.
    this.schedule(Math.max(0, this.periodBase + this.opts.maxIntervalMs - this.clock.now()), 'periodic');
    if (failed) this.schedule(this.opts.retryIntervalMs, 'retry');
    if (this.pendingRequest) this.run();
  }
}
