// Our engine in one freshly booted guest: (a) apply from empty, (c) re-apply with nothing changed (three
// times: the median is reported with all three, as one re-apply in the emulated guest differs from the
// next by up to a third), (d) one endpoint replaced: first as the proxier's event-driven sync does it (the
// desired-state aggregate recomputes the one Service whose EndpointSlice changed, and the engine plans by
// the scope it reports against the last apply's `after`: timed together), then against the record without
// a scope (the whole state planned, as before scoped plans), then through the full re-read path. The
// state is the aggregate's, from N Services and their EndpointSlices (bench-objects.ts). Timing is
// in-process, after the engine is open. Peak RSS is the process's peak so far (ru_maxrss), so it only grows.
import type { TransportCounters } from '../../lib/netlink/connection.js';
import { openKernelEngine } from '../../lib/engine/engine.js';
import type { ApplyOptions, ApplyReport } from '../../lib/engine/engine-api.js';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { DesiredStateAggregate } from '../../lib/proxier/desired-state-aggregate.js';
import type { State } from '../../lib/state/types.js';
import { BENCH_NODE, benchDesired, benchService, benchServiceKey, benchSlice, benchSliceKey } from './bench-objects.js';
import { clusterIp, ENDPOINTS_PER_SERVICE, podIp, spareIp } from './bench-state.js';
import { currentRssMiB, delta, GcPauses, loadAverage, nowMs, peakRssMiB, round, snapshot } from './measure.js';

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
  /** CPU time of the process during the apply: in user space (ours and V8's GC threads) and in the kernel (system: the netlink requests' handling). Absent in older results. */
  userMs?: number;
  systemMs?: number;
  /** For a repeated step: the time of each run (the step's `ms` is their median). */
  runsMs?: number[];
  /** Of `ms`, the desired-state aggregate's update (the proxier's event-driven step only). */
  desiredMs?: number;
  /** Of `ms`, garbage collection pauses (GcPauses); absent in results from before it was measured. */
  gcMs?: number;
}

export interface OursResult {
  services: number;
  rssBeforeMiB: number;
  applyFromEmpty: StepResult;
  reapplyUnchanged: StepResult;
  /** The proxier's event-driven path: aggregate update + scoped plan against the record. */
  oneEndpointPartial: StepResult;
  /** Against the record, the whole state planned (no scope); absent in results from before scoped plans. */
  oneEndpointRecord?: StepResult;
  oneEndpointFull: StepResult;
}

/** Re-applies measured for (c). */
const REAPPLY_RUNS = 3;
/** Event-driven (d) syncs measured, each moving the endpoint once more. */
const EVENT_RUNS = 5;

export async function measureOurs(services: number, log: (s: string) => void): Promise<OursResult> {
  // The proxier's desired state from N Services and their slices, kept per Service for the (d) updates.
  const aggregate = new DesiredStateAggregate();
  const changes = { services: new Map<string, V1Service | undefined>(), endpointSlices: new Map<string, V1EndpointSlice | undefined>() };
  for (let i = 0; i < services; i++) {
    changes.services.set(benchServiceKey(i), benchService(i));
    changes.endpointSlices.set(benchSliceKey(i), benchSlice(i));
  }
  let desired = benchDesired(aggregate.update(changes, BENCH_NODE).state);
  checkShape(desired, services);
  // The changed endpoint: in the middle service, endpoint 3 moves to a pod IP nobody uses, then to two more,
  // so the three (d) steps make the same kind of change. Only what a proxier keeps between syncs is kept
  // (its desired state, the aggregate, and the last apply's `after`), so peak RSS is not inflated by copies.
  const mid = Math.floor(services / 2);
  const moveEndpoint = (newIp: string) => {
    const t0 = nowMs();
    const r = aggregate.update({ services: new Map(), endpointSlices: new Map([[benchSliceKey(mid), benchSlice(mid, { endpoint: 3, newIp })]]) }, BENCH_NODE);
    return { desired: benchDesired(r.state), scope: r.scope, ms: nowMs() - t0 };
  };
  log(`ours ${services}: state built (${desired.virtualServers.length} services, middle ${clusterIp(mid)})`);
  const rssBeforeMiB = currentRssMiB();

  const engine = await openKernelEngine();
  const gc = new GcPauses();
  try {
    let lastAfter: ApplyReport['after'] | undefined;
    const step = async (name: string, desired: State, options?: ApplyOptions, desiredMs = 0): Promise<StepResult> => {
      // A sync that reads the kernel does not keep the previous record through the read: the proxier sets
      // its record aside before such an apply (proxier.ts: `this.record = undefined`; a first, periodic or
      // retry sync plans against the read), so the bench does not hold it either.
      if (options?.observed === undefined) lastAfter = undefined;
      const before = snapshot(engine.counters);
      const gcMark = gc.mark() - desiredMs;
      const t0 = nowMs();
      const cpu0 = process.cpuUsage();
      const report = await engine.apply(desired, options);
      const cpu = process.cpuUsage(cpu0);
      const ms = nowMs() - t0 + desiredMs;
      const gcMs = await gc.since(gcMark);
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
        gcMs: round(gcMs, 1),
        userMs: round(cpu.user / 1000, 1),
        systemMs: round(cpu.system / 1000, 1),
        ...(desiredMs > 0 ? { desiredMs: round(desiredMs, 1) } : {}),
      };
      log(`ours ${services}: ${name}: ${r.ms} ms${desiredMs > 0 ? ` (desired state ${r.desiredMs} ms)` : ''}, cpu user ${r.userMs} ms system ${r.systemMs} ms, gc ${r.gcMs} ms, ${r.operations} ops, ${JSON.stringify(r.transport)}, peak ${r.peakRssMiB} MiB, now rss ${r.rssAfterMiB} heap ${r.heapUsedMiB} external ${r.externalMiB} MiB`);
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
    // The proxier's next event-driven syncs: the aggregate's update and a plan by its scope against the
    // last apply's record (the proxier keeps one record: each apply's replaces the one before). Several,
    // the median reported: whether a major collection lands in one is chance (gcMs says when it did).
    const events: StepResult[] = [];
    for (let i = 0; i < EVENT_RUNS; i++) {
      const moved = moveEndpoint(i === 0 ? spareIp(services) : podIp(services, i));
      if (!moved.scope) throw new Error('the aggregate reported no scope for one changed EndpointSlice');
      desired = moved.desired;
      events.push(await step(`one endpoint, event-driven sync ${i + 1} of ${EVENT_RUNS} (aggregate + scoped plan)`, desired, { observed: lastAfter!, scope: moved.scope }, moved.ms));
    }
    const middle = [...events].sort((x, y) => x.ms - y.ms)[Math.floor(events.length / 2)]!;
    const dp: StepResult = { ...middle, peakRssMiB: Math.max(...events.map((r) => r.peakRssMiB)), runsMs: events.map((r) => r.ms) };
    let moved = moveEndpoint(podIp(services, EVENT_RUNS));
    desired = moved.desired;
    const dr = await step('one endpoint, whole state planned against the record', desired, { observed: lastAfter! });
    moved = moveEndpoint(podIp(services, EVENT_RUNS + 1));
    desired = moved.desired;
    const df = await step('one endpoint, full re-read', desired);
    for (const [name, d] of [...events.map((e) => ['event-driven', e] as const), ['record', dr], ['full', df]] as const) {
      const k = d.kinds;
      if (k['rs-add'] !== 1 || k['rs-del'] !== 1 || k['ipset-add'] !== 1 || k['ipset-del'] !== 1 || d.operations !== 4) {
        throw new Error(`one endpoint (${name}): unexpected plan ${JSON.stringify(k)}`);
      }
    }
    return { services, rssBeforeMiB, applyFromEmpty: a, reapplyUnchanged: c, oneEndpointPartial: dp, oneEndpointRecord: dr, oneEndpointFull: df };
  } finally {
    gc.close();
    engine.close();
  }
}

/** The aggregate's state has the shape bench-state.ts describes (counts only: cheap, and enough to notice). */
function checkShape(s: State, services: number): void {
  const entries = (name: string) => s.ipsets.find((x) => x.name === name)?.entries.length;
  const rs = s.virtualServers.reduce((n, vs) => n + vs.realServers.length, 0);
  const got = [s.virtualServers.length, rs, entries('KUBE-CLUSTER-IP'), entries('KUBE-LOOP-BACK'), s.interface?.addresses.length];
  const want = [services, services * ENDPOINTS_PER_SERVICE, services, services * ENDPOINTS_PER_SERVICE, services];
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`bench state: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)} (services, real servers, cluster IPs, hairpin members, addresses)`);
}
