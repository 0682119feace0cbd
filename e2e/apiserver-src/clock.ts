// Time source for the stand-in API server. Everything that depends on time
// (creationTimestamp, BOOKMARK intervals, watch timeouts, the Age column)
// goes through a Clock so that tests can drive it by hand.

/** A scheduled callback that can be cancelled. */
export interface ScheduledTimer {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Runs fn once after ms milliseconds. */
  after(ms: number, fn: () => void): ScheduledTimer;
  /** Runs fn every ms milliseconds until cancelled. */
  every(ms: number, fn: () => void): ScheduledTimer;
}

/** Wall-clock time and Node timers. Timers are unref'd: an idle watch must not keep the process alive. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }

  after(ms: number, fn: () => void): ScheduledTimer {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }

  every(ms: number, fn: () => void): ScheduledTimer {
    const handle = setInterval(fn, ms);
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  }
}

interface PendingTimer {
  dueAt: number;
  intervalMs: number | undefined;
  fn: () => void;
}

/** A clock that only moves when advance() is called; timers fire synchronously inside advance(). */
export class ManualClock implements Clock {
  private currentMs: number;
  private readonly timers = new Set<PendingTimer>();

  constructor(start: Date = new Date('2025-01-01T00:00:00Z')) {
    this.currentMs = start.getTime();
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  after(ms: number, fn: () => void): ScheduledTimer {
    return this.schedule(ms, undefined, fn);
  }

  every(ms: number, fn: () => void): ScheduledTimer {
    return this.schedule(ms, ms, fn);
  }

  /** Moves time forward, firing due timers in order of their due time. */
  advance(ms: number): void {
    const target = this.currentMs + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.currentMs = next.dueAt;
      if (next.intervalMs !== undefined && next.intervalMs > 0) {
        next.dueAt += next.intervalMs;
      } else {
        this.timers.delete(next);
      }
      next.fn();
    }
    this.currentMs = target;
  }

  /** Number of live timers; lets tests check that watches clean up after themselves. */
  pendingTimers(): number {
    return this.timers.size;
  }

  private nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const timer of this.timers) {
      if (timer.dueAt <= limit && (best === undefined || timer.dueAt < best.dueAt)) best = timer;
    }
    return best;
  }

  private schedule(ms: number, intervalMs: number | undefined, fn: () => void): ScheduledTimer {
    const timer: PendingTimer = { dueAt: this.currentMs + ms, intervalMs, fn };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }
}
