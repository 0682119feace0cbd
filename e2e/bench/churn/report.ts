// One churn run's figures (what the guest measures, what the host adds), the summary line each run ends
// with, and the markdown tables the READMEs carry. Pure.
import type { ChurnConfig } from './args.js';
import type { Distribution } from './stats.js';

export interface ChurnResult {
  config: ChurnConfig;
  /** The proxier's command line and the V8 flags the launcher gives it. */
  proxierArgs: string[];
  nodeFlags: string;
  startup: {
    /** Stand-in API server start to "listening" with every object created. */
    apiServerLoadS: number;
    /** Proxier process start (empty kernel) to /healthz 200, and that first sync's own duration. */
    firstSyncS: number;
    firstSyncDurationMs: number;
    /** After the churn: SIGTERM, a new process on the programmed kernel, start to /healthz 200. */
    restartFirstSyncS?: number;
    restartFirstSyncDurationMs?: number;
    /** Kernel changes that restart's first sync made (0: it adopted everything). */
    restartOperations?: number;
    /** IPVS virtual servers in the kernel when the first process had ended (it leaves them, as kube-proxy). */
    virtualServersAfterStop?: number;
  };
  /** Writer start to its last write's answer (s). */
  churnS: number;
  /**
   * API write answered -> kernel shows it, as the observer saw it (ms), over every change answered: one not
   * seen within lostAfterMs counts as lostAfterMs, so the figures it reaches are lower bounds.
   */
  latencyMs: Distribution;
  /** Changes written but not seen in the kernel within lostAfterMs. */
  lost: number;
  /** (Absent in the first results, which left lost changes out of the latency figures.) */
  lostAfterMs?: number;
  /** The proxier's kubeproxy_network_programming_duration_seconds over the churn, histogram quantiles (ms). */
  programmingMs: { count: number; p50: number; p90: number; p99: number; mean: number };
  writer: { written: number; skipped: number; failed: number; retried: number; firstError?: string; lateMs: Distribution; writeMs: Distribution };
  observer: { rounds: number; roundMs: Distribution; /** (absent in the first results) */ resolutionMs?: Distribution; readErrors: number; firstError?: string; pollMs: number; dumpsPerRound: number };
  syncs: {
    count: number; perSecond: number; changesPerSync: number; byReason: Record<string, number>; syncMs: Distribution;
    /** Absent in figures from before they were recorded. */
    byPlan?: Record<string, number>;
    timeline?: { atS: number; reason: string; plan: string; durationMs: number; operations: number; desiredMs: number; connectionsMs: number; applyMs: number }[];
  };
  cpu: { seconds: number; msPerChange: number };
  rssMiB: { start: number; minutes: number[]; end: number; endVsFirstMinutePct: number };
  /** The proxier's V8 heap at the end of the churn (its own metrics): how much of the RSS is live objects. Absent in older figures. */
  heapMiB?: { used: number; total: number; external: number };
  netlink: { changeMessages: number; perChange: number; kernelOperations: number; kernelOperationsPerChange: number };
  guestLoad: { before: string; after: string };
  /** Added on the host. */
  host?: { loadBefore: string; loadAfter: string; vmSeconds: number; commit: string; kernel?: string };
}

function ms(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? String(Math.round(x)) : x.toFixed(1);
}

function mib(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '-';
}

/** A latency figure; one a lost change reached is a lower bound (">="). */
function latency(r: ChurnResult, x: number): string {
  return r.lost > 0 && r.lostAfterMs !== undefined && x >= r.lostAfterMs ? `>=${ms(x)}` : ms(x);
}

/** Writes the API server answered per second of the writer's duration (below the rate asked when it could not keep up). */
export function writtenPerSecond(r: ChurnResult): number {
  return r.writer.written / r.config.durationS;
}

export function summaryLine(r: ChurnResult): string {
  const { services, rate } = r.config;
  const l = r.latencyMs;
  const lost = r.lost > 0 ? `; ${r.lost} of ${l.count} changes not seen${r.lostAfterMs ? ` within ${r.lostAfterMs / 1000} s` : ''}` : '';
  const achieved = writtenPerSecond(r);
  const short = achieved < 0.9 * rate ? `; only ${achieved.toFixed(1)} changes/s written (the API server or the guest could not keep up)` : '';
  return `churn ${services} services ${rate}/s: p50 ${latency(r, l.p50)} ms, p99 ${latency(r, l.p99)} ms, max ${latency(r, l.max)} ms, rss start ${mib(r.rssMiB.start)} MiB, end ${mib(r.rssMiB.end)} MiB${lost}${short}`;
}

/** End RSS against RSS after the first minute, in percent (the goal: within 5 %). */
export function rssGrowthPct(minutes: readonly number[], end: number): number {
  const first = minutes[0];
  return first === undefined || !(first > 0) ? NaN : ((end - first) / first) * 100;
}

/** Changes written but never seen, and writes the API server did not take. */
function notSeen(r: ChurnResult): string {
  const parts = [r.lost ? `${r.lost} lost` : '', r.writer.failed ? `${r.writer.failed} writes failed` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function markdownReport(results: readonly ChurnResult[]): string {
  const lines: string[] = [];
  lines.push('| services | changes/s asked / written | changes seen | API -> kernel p50 / p90 / p99 / max (ms) | proxier programming p50 / p90 / p99 (ms) | syncs/s | changes/sync | CPU ms/change | netlink msgs/change | RSS start / 1 min / end (MiB) | end vs 1 min |');
  lines.push('|---:|---:|---:|---|---|---:|---:|---:|---:|---|---:|');
  for (const r of results) {
    const l = r.latencyMs;
    const p = r.programmingMs;
    lines.push(
      `| ${r.config.services} | ${r.config.rate} / ${writtenPerSecond(r).toFixed(1)} | ${r.lostAfterMs === undefined ? l.count : l.count - r.lost}${notSeen(r)} | ${latency(r, l.p50)} / ${latency(r, l.p90)} / ${latency(r, l.p99)} / ${latency(r, l.max)} | ${ms(p.p50)} / ${ms(p.p90)} / ${ms(p.p99)} | ` +
        `${r.syncs.perSecond.toFixed(2)} | ${r.syncs.changesPerSync.toFixed(1)} | ${ms(r.cpu.msPerChange)} | ${r.netlink.perChange.toFixed(1)} | ` +
        `${mib(r.rssMiB.start)} / ${mib(r.rssMiB.minutes[0] ?? NaN)} / ${mib(r.rssMiB.end)} | ${Number.isFinite(r.rssMiB.endVsFirstMinutePct) ? `${r.rssMiB.endVsFirstMinutePct.toFixed(1)} %` : '-'} |`,
    );
  }
  lines.push('');
  lines.push('| services | changes/s | API server load (s) | proxier start to first healthy sync, empty kernel (s) | its first sync (ms) | restart on the programmed kernel to healthy (s) | its first sync (ms), operations | writer late p99 (ms) | observer round p50 / p99, resolution p99 (ms) | V8 heap used / total at the end (MiB) | host load before / after |');
  lines.push('|---:|---:|---:|---:|---:|---:|---|---:|---|---|---|');
  for (const r of results) {
    const s = r.startup;
    lines.push(
      `| ${r.config.services} | ${r.config.rate} | ${s.apiServerLoadS.toFixed(1)} | ${s.firstSyncS.toFixed(1)} | ${ms(s.firstSyncDurationMs)} | ${s.restartFirstSyncS?.toFixed(1) ?? '-'} | ${ms(s.restartFirstSyncDurationMs ?? NaN)}, ${s.restartOperations ?? '-'} | ` +
        `${ms(r.writer.lateMs.p99)} | ${ms(r.observer.roundMs.p50)} / ${ms(r.observer.roundMs.p99)}, ${ms(r.observer.resolutionMs?.p99 ?? NaN)} | ${r.heapMiB ? `${mib(r.heapMiB.used)} / ${mib(r.heapMiB.total)}` : '-'} | ${r.host?.loadBefore ?? '-'} / ${r.host?.loadAfter ?? '-'} |`,
    );
  }
  return lines.join('\n') + '\n';
}
