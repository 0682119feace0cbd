// The proxier's log lines for the alert test's output: every line but the per-sync summaries ("sync done",
// -v 2) as it comes, and those summed up, since sync durations are what the latency alerts judge.

/** The sync duration histogram's bucket bound below alert-test-values.yaml's syncLatency.p99Seconds (4.5). */
const SLOW_SYNC_MS = 4096;

interface Sync {
  at: string;
  reason: string;
  durationMs: number;
}

export class SyncLog {
  private readonly syncs: Sync[] = [];

  constructor(private readonly print: (line: string) => void) {}

  add(line: string): void {
    let entry: { message?: unknown; durationMs?: unknown; reason?: unknown; timestamp?: unknown } | undefined;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      // not a JSON log line (a crash trace): print it
    }
    if (entry?.message === 'sync done' && typeof entry.durationMs === 'number') {
      this.syncs.push({ at: String(entry.timestamp), reason: String(entry.reason), durationMs: entry.durationMs });
      return;
    }
    this.print(line);
  }

  /** Per reason: count, max and median; then every sync slower than 4.096 s, with its time. */
  summary(): string {
    if (this.syncs.length === 0) return 'no "sync done" lines (is verbosity below 2?)';
    const reasons = [...new Set(this.syncs.map((s) => s.reason))];
    const perReason = reasons.map((reason) => {
      const ms = this.syncs.filter((s) => s.reason === reason).map((s) => s.durationMs);
      return `${reason}: ${ms.length} successful syncs, max ${Math.max(...ms)} ms, median ${median(ms)} ms`;
    });
    const slow = this.syncs.filter((s) => s.durationMs > SLOW_SYNC_MS).map((s) => `${s.at} ${s.reason} ${s.durationMs} ms`);
    return `${perReason.join('; ')}; slower than ${SLOW_SYNC_MS} ms: ${slow.join(', ') || 'none'}`;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
