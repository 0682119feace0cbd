// Small measuring helpers shared by the bench's modes: wall time, the process's peak RSS, the guest's load.
import { readFileSync } from 'node:fs';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { TransportCounters } from '../../lib/netlink/connection.js';

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Peak resident set of this process so far (getrusage ru_maxrss), in MiB. */
export function peakRssMiB(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

/** Current resident set (VmRSS), in MiB. */
export function currentRssMiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? round(Number(m[1]) / 1024, 1) : NaN;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function snapshot(c: TransportCounters): TransportCounters {
  return { ...c };
}

export function delta(after: TransportCounters, before: TransportCounters): TransportCounters {
  return {
    messagesSent: after.messagesSent - before.messagesSent,
    datagramsSent: after.datagramsSent - before.datagramsSent,
    datagramsReceived: after.datagramsReceived - before.datagramsReceived,
  };
}

/**
 * Garbage collection pauses summed over a step (V8's `gc` performance entries). In the emulated guest one
 * major collection of the proxier's heap takes seconds, and which step it lands in is chance: a step's
 * own work is its time minus this.
 */
export class GcPauses {
  private readonly entries: { start: number; duration: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => this.keep(list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** A point in time to sum from. */
  mark(): number {
    return performance.now();
  }

  /** Milliseconds of collection since `mark` (Node delivers the entries after the current task: awaited). */
  async since(mark: number): Promise<number> {
    await new Promise((resolve) => setImmediate(resolve));
    this.keep(this.observer.takeRecords());
    return this.entries.filter((e) => e.start >= mark).reduce((n, e) => n + e.duration, 0);
  }

  close(): void {
    this.observer.disconnect();
  }

  private keep(entries: readonly { startTime: number; duration: number }[]): void {
    for (const e of entries) this.entries.push({ start: e.startTime, duration: e.duration });
  }
}
