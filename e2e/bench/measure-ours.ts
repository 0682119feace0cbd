// Our engine in one freshly booted guest: (a) apply from empty, (c) re-apply with nothing changed (three
// times: the median is reported with all three, as one re-apply in the emulated guest differs from the
// next by up to a third), (d) one endpoint replaced, first through the partial-sync path (observed = the last apply's `after`,
// no kernel reads), then through the full re-read path. Timing is in-process around apply() only, after
// the engine is open. Peak RSS is the process's peak so far (ru_maxrss), so it only grows step by step.
import type { TransportCounters } from '../../lib/netlink/connection.js';
import { openKernelEngine } from '../../lib/engine/engine.js';
import type { ApplyOptions, ApplyReport } from '../../lib/engine/engine-api.js';
import { canonicalState } from '../../lib/state/canonical.js';
import type { State } from '../../lib/state/types.js';
import { benchState, clusterIp, podIp, spareIp } from './bench-state.js';
import { currentRssMiB, delta, loadAverage, nowMs, peakRssMiB, round, snapshot } from './measure.js';

export interface StepResult {
  ms: number;
  operations: number;
  /** Operation kinds with counts, e.g. { "rs-add": 1, "rs-del": 1, "ipset-del": 1, "ipset-add": 1 }. */
  kinds: Record<string, number>;
  /** Netlink requests sent for the changes (ApplyReport.messagesSent). */
  changeMessages: number;
  /** Everything that went over the sockets during the step, reads included. */
  transport: TransportCounters;
  readKernel: boolean;
  peakRssMiB: number;
  rssAfterMiB: number;
  /** V8 heap in use and external (ArrayBuffer) memory right after the step, MiB. */
  heapUsedMiB: number;
  externalMiB: number;
  guestLoad: string;
  /** For a repeated step: the time of each run (the step's `ms` is their median). */
  runsMs?: number[];
}

export interface OursResult {
  services: number;
  rssBeforeMiB: number;
  applyFromEmpty: StepResult;
  reapplyUnchanged: StepResult;
  oneEndpointPartial: StepResult;
  oneEndpointFull: StepResult;
}

/** Re-applies measured for (c). */
const REAPPLY_RUNS = 3;

export async function measureOurs(services: number, log: (s: string) => void): Promise<OursResult> {
  // Canonical, as the proxier's desired-state builder and `apply -f`'s validation hand it to the engine.
  let desired = canonicalState(benchState(services));
  // The changed endpoint: in the middle service, endpoint 3 moves to a pod IP nobody uses; the full-path
  // step then moves it once more, so both (d) steps make the same kind of change. Each step's state is
  // built when needed and only what a proxier keeps between syncs is kept (its desired state and the last
  // apply's `after`), so peak RSS is not inflated by the bench's own copies.
  const mid = Math.floor(services / 2);
  log(`ours ${services}: state built (${desired.virtualServers.length} services, middle ${clusterIp(mid)})`);
  const rssBeforeMiB = currentRssMiB();

  const engine = await openKernelEngine();
  try {
    let lastAfter: ApplyReport['after'] | undefined;
    const step = async (name: string, desired: State, options?: ApplyOptions): Promise<StepResult> => {
      // A sync that reads the kernel does not keep the previous record through the read: the proxier sets
      // its record aside before such an apply (proxier.ts: `this.record = undefined`; a first, periodic or
      // retry sync plans against the read), so the bench does not hold it either.
      if (options?.observed === undefined) lastAfter = undefined;
      const before = snapshot(engine.counters);
      const t0 = nowMs();
      const report = await engine.apply(desired, options);
      const ms = nowMs() - t0;
      if (report.failures.length > 0) {
        throw new Error(`${name}: ${report.failures.length} failures, first: ${report.failures[0]!.error.message}`);
      }
      const kinds: Record<string, number> = {};
      for (const op of report.operations) kinds[op.kind] = (kinds[op.kind] ?? 0) + 1;
      const r: StepResult = {
        ms: round(ms, 1),
        operations: report.operations.length,
        kinds,
        changeMessages: report.messagesSent,
        transport: delta(engine.counters, before),
        readKernel: report.readKernel,
        peakRssMiB: peakRssMiB(),
        rssAfterMiB: currentRssMiB(),
        heapUsedMiB: round(process.memoryUsage().heapUsed / 1048576, 1),
        externalMiB: round(process.memoryUsage().external / 1048576, 1),
        guestLoad: loadAverage(),
      };
      log(`ours ${services}: ${name}: ${r.ms} ms, ${r.operations} ops, ${JSON.stringify(r.transport)}, peak ${r.peakRssMiB} MiB, now rss ${r.rssAfterMiB} heap ${r.heapUsedMiB} external ${r.externalMiB} MiB`);
      lastAfter = report.after;
      return r;
    };

    const a = await step('apply from empty', desired);
    const runs: StepResult[] = [];
    for (let i = 1; i <= REAPPLY_RUNS; i++) {
      const run = await step(`re-apply unchanged (${i} of ${REAPPLY_RUNS})`, desired);
      if (run.operations !== 0) throw new Error(`re-apply planned ${run.operations} operations, expected 0`);
      runs.push(run);
    }
    // The median run's figures; peak RSS is the process's peak after all of them (the largest).
    const median = [...runs].sort((x, y) => x.ms - y.ms)[Math.floor(runs.length / 2)]!;
    const c: StepResult = { ...median, peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)), runsMs: runs.map((r) => r.ms) };
    desired = canonicalState(benchState(services, { service: mid, endpoint: 3, newIp: spareIp(services) }));
    // The partial-sync step plans against the last apply's record, as the proxier's next sync would (the
    // proxier keeps one record: each apply's replaces the one before).
    const dp = await step('one endpoint, partial sync', desired, { observed: lastAfter! });
    desired = canonicalState(benchState(services, { service: mid, endpoint: 3, newIp: podIp(services, 1) }));
    const df = await step('one endpoint, full re-read', desired);
    for (const [name, d] of [['partial', dp], ['full', df]] as const) {
      const k = d.kinds;
      if (k['rs-add'] !== 1 || k['rs-del'] !== 1 || k['ipset-add'] !== 1 || k['ipset-del'] !== 1 || d.operations !== 4) {
        throw new Error(`one endpoint (${name}): unexpected plan ${JSON.stringify(k)}`);
      }
    }
    return { services, rssBeforeMiB, applyFromEmpty: a, reapplyUnchanged: c, oneEndpointPartial: dp, oneEndpointFull: df };
  } finally {
    engine.close();
  }
}
