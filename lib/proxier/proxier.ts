// The sync loop: watch events -> change trackers -> (bounded-frequency runner) -> desired state -> engine.
//
// How each sync plans (the point of the design: kube-proxy re-reads the whole kernel on every sync):
// - a sync asked for by a change plans against the engine's record of its last apply (ApplyReport.after):
//   no kernel reads. The desired-state aggregate recomputes only the Services whose object or slices
//   changed and names what differs (a scope), and the engine plans those objects only: the work is
//   proportional to the change, not to the 10,000 Services (the virtual servers still draining real servers
//   are added to the scope, so graceful termination finishes without a periodic sync);
// - the first sync and a retry after a failure read the kernel, in the sync. The first one adopts what is
//   already there (the planner claims desired objects, never re-creates them);
// - the periodic sync (--ipvs-sync-period) repairs drift (someone ran ipvsadm -d) and counts it by operation
//   kind. Its kernel read runs beside the event-driven syncs (background-kernel-read.ts: seconds at 10,000
//   Services, which changes would otherwise wait for); the sync after it plans against the read, made
//   current with the record for what those syncs applied meanwhile;
// - a sync that takes a real server away from a TCP virtual server reads the kernel too: graceful
//   termination needs live connection counts.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { ApplyReport, Engine, OperationFailure } from '../engine/engine-api.js';
import type { ObservedState } from '../engine/observed.js';
import { mergeScopes, type StateScope } from '../engine/scope.js';
import { driftScope } from '../engine/drift-scope.js';
import { describe as describeOperation } from '../engine/operations.js';
import type { ProxierHealth } from '../health/proxier-health.js';
import { ChangeTracker, endpointSliceProjection, serviceProjection } from '../kube/change-tracker.js';
import type { Logger } from '../log/logger.js';
import type { ProxierMetrics } from '../metrics/proxier-metrics.js';
import type { Family, State, VirtualServer } from '../state/types.js';
import { BoundedFrequencyRunner, type RunReason } from '../sync/bounded-frequency-runner.js';
import { BackgroundKernelRead } from './background-kernel-read.js';
import type { Clock } from '../sync/clock.js';
import { DesiredStateAggregate } from './desired-state-aggregate.js';
import { DUMMY_INTERFACE } from './desired-state.js';
import { drainableVirtualServers, drainingVirtualServers, driftByKind, withDraining } from './drift.js';
import { neverDeleteIn } from './exclude-cidrs.js';
import { healthCheckPorts, type HealthCheckPorts } from './health-check-ports.js';
import { nodeEligible, nodeInternalIPs } from './node-addresses.js';
import { nodeZone } from './topology.js';
import type { NodeConfig, Problem } from './types.js';
import { errorText } from '../log/error-text.js';

/** The EndpointSlice controller's record of when the change that produced this slice version happened. */
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

const ENOENT = 2;

/** What the node looks like right now: asked at every sync (addresses may come and go). */
export type NodeFacts = Pick<NodeConfig, 'nodeIPs' | 'localAddresses' | 'ipFamilies'>;

export interface ProxierOptions {
  engine: Engine;
  clock: Clock;
  log: Logger;
  metrics: ProxierMetrics;
  health: ProxierHealth;
  /** The node's static settings (from flags). */
  config: Omit<NodeConfig, 'nodeIPs' | 'localAddresses' | 'ipFamilies'>;
  /**
   * Node IPs, local addresses and families, from the host and the Node object (undefined until listed).
   * Asked at the first, periodic and retry syncs and after a Node change; the event-driven syncs between
   * reuse the answer (listing the host's addresses lists kube-ipvs0's too: 10,000 of them, ~100 ms a sync
   * in the VM at 10,000 Services).
   */
  nodeFacts: (node: V1Node | undefined) => NodeFacts;
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  /** After a failed sync; default 5 s, never longer than the sync period. */
  retryPeriodMs?: number;
  /**
   * The periodic sync's kernel read runs beside the event-driven syncs (default), or inside the sync, which
   * changes then wait for (kube-proxy's way, and this proxier's before the churn benchmark measured it).
   */
  periodicReadInBackground?: boolean;
  /** kube-proxy's graceful termination of TCP real servers; default on. */
  gracefulTermination?: boolean;
  /** The proxier cannot work at all (the scheduler's kernel module is missing): the command should exit. */
  onFatal?: (err: Error) => void;
  /**
   * kube-proxy's service health servers: after each successful sync, the healthCheckNodePorts wanted now
   * and the node facts that sync used. Its errors are logged, never fail the sync.
   */
  serviceHealth?: (wanted: HealthCheckPorts, facts: NodeFacts) => Promise<void>;
}

/** A sync whose apply the kernel refused in part; carries the engine's failures. */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly report: ApplyReport,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}

export class Proxier {
  private readonly services = new ChangeTracker<V1Service>(serviceProjection);
  private readonly slices = new ChangeTracker<V1EndpointSlice>(endpointSliceProjection);
  /** The desired state, kept per Service between syncs. */
  private readonly desired = new DesiredStateAggregate();
  /** Keys of virtual servers in the record with a real server at weight 0 (graceful termination under way). */
  private draining: ReadonlySet<string> = new Set();
  private node: V1Node | undefined;
  /** What of the Node the desired state depends on (InternalIPs, zone label), as of the last change seen. */
  private nodeSeen = nodeDependencies(undefined);
  /** The Node's IPs or zone changed since the last sync (the trackers don't see Node changes). */
  private nodeChanged = false;
  /** nodeFacts() as last asked (undefined: ask at the next sync). */
  private facts: NodeFacts | undefined;
  private readonly runner: BoundedFrequencyRunner;
  /** The engine's record of the kernel after our last successful apply; undefined = read the kernel. */
  private record: ObservedState | undefined;
  /**
   * After a failed sync, the record of the last successful one: what the kernel-reading syncs that follow
   * count drift against (a change behind our back can race a sync's kernel read and fail it: `ipvsadm -C`
   * between the service and destination dumps; its repair by the retry is drift all the same).
   */
  private driftBase: ObservedState | undefined;
  /** The periodic kernel read in progress, or done and not yet planned against. */
  private kernelRead: BackgroundKernelRead | undefined;
  /** No background read starts before this (clock ms): the last one's end plus its duration. */
  private nextReadAt = Number.NEGATIVE_INFINITY;
  /** Settles when the sync in progress ends; the background read waits for it before each of its parts. */
  private syncEnded: Promise<void> | undefined;
  /** Change trigger times waiting for a successful sync (network programming latency). */
  private triggerTimes = new Map<string, number>();
  private readonly startedAt: number;
  private problemsSeen = new Set<string>();
  private warningsSeen = new Set<string>();
  private syncs = 0;
  /** Schedulers a Service asked for by annotation that the kernel refused (ENOENT): such Services are skipped. */
  private readonly unavailableSchedulers = new Set<string>();
  /** --ipvs-exclude-cidrs: our virtual servers in these ranges are never deleted. */
  private readonly neverDelete: ((vs: VirtualServer) => boolean) | undefined;

  constructor(private readonly o: ProxierOptions) {
    this.startedAt = o.clock.now();
    this.neverDelete = neverDeleteIn(o.config.excludeCIDRs);
    const retry = Math.min(o.retryPeriodMs ?? 5000, o.syncPeriodMs);
    this.runner = new BoundedFrequencyRunner((reason) => this.sync(reason), o.clock, {
      minIntervalMs: o.minSyncPeriodMs,
      maxIntervalMs: o.syncPeriodMs,
      retryIntervalMs: retry,
    }, (err) => this.o.log.error('sync failed; retrying', { retryInMs: retry, error: errorText(err) }));
  }

  // ---- Events (from the watchers; before start() they only accumulate) ----

  onServiceChange(key: string, svc: V1Service | undefined): void {
    this.o.metrics.serviceChangesTotal.inc();
    const pending = this.services.update(key, svc);
    this.o.metrics.serviceChangesPending.set(this.services.pendingCount);
    if (pending) this.queue();
  }

  onEndpointSliceChange(key: string, slice: V1EndpointSlice | undefined): void {
    this.o.metrics.endpointChangesTotal.inc();
    const pending = this.slices.update(key, slice);
    this.o.metrics.endpointChangesPending.set(this.slices.pendingCount);
    if (pending) this.queue();
  }

  /** This node's Node object (undefined: deleted or not there). */
  onNodeChange(node: V1Node | undefined): void {
    this.node = node;
    this.o.health.setNodeEligible(nodeEligible(node));
    // The Node's IPs pick the served families and the "primary" NodePort addresses; its zone label picks the
    // endpoints hinted for this zone. Other label and status churn (heartbeats) must not cause syncs.
    const seen = nodeDependencies(node);
    if (seen !== this.nodeSeen) {
      this.nodeSeen = seen;
      this.nodeChanged = true;
      this.queue();
    }
  }

  // ---- Lifecycle ----

  /** Call once the initial lists of Services, EndpointSlices and the Node are complete: syncs at once. */
  start(): void {
    this.runner.start();
  }

  /**
   * Stops scheduling; resolves when the sync in progress (if any) has finished. A periodic kernel read still
   * running is not waited for (at 10,000 Services it may take seconds): closing the engine ends it, and
   * its failure is expected and ignored.
   */
  stop(): Promise<void> {
    return this.runner.stop();
  }

  /** Settles after the sync in progress, if any (tests). */
  idle(): Promise<void> {
    return this.runner.idle();
  }

  private queue(): void {
    this.o.health.queued();
    this.o.metrics.lastQueuedTimestamp.set(this.o.clock.now() / 1000);
    this.runner.run();
  }

  // ---- One sync ----

  private async sync(runReason: RunReason): Promise<void> {
    let ended!: () => void;
    this.syncEnded = new Promise((resolve) => (ended = resolve));
    try {
      await this.syncOnce(runReason);
    } finally {
      this.syncEnded = undefined;
      ended();
    }
  }

  private async syncOnce(runReason: RunReason): Promise<void> {
    const { engine, clock, metrics, log } = this.o;
    const start = clock.now();
    let reason = runReason;
    if (reason === 'periodic' && this.record && (this.o.periodicReadInBackground ?? true)) {
      // Only starts the read; this run carries the queued changes, if any, as a change-driven one would.
      this.startKernelRead();
      reason = 'requested';
    }
    // The periodic read, done: this sync plans against it (or, when it cannot be used, reads again itself).
    const read = this.kernelRead?.settled ? this.takeKernelRead() : undefined;
    if (read?.kind === 'unusable') reason = 'periodic';
    const fromRead = read?.kind === 'ready' ? read.observed : undefined;
    // Asked for by changes that cancelled out before the run: the kernel already matches our record.
    if (reason === 'requested' && !fromRead && this.record && !this.nodeChanged && this.services.pendingCount + this.slices.pendingCount === 0) {
      this.o.health.updated(start);
      return;
    }
    const n = ++this.syncs;
    // The node's facts again once per periodic cycle and at a Node change: by the sync after the cycle's
    // read, or by its periodic run when no read is in flight (it read the kernel itself, or no read was
    // started). Listing the host's addresses lists kube-ipvs0's 10,000 too.
    if ((runReason !== 'requested' && !this.kernelRead) || read !== undefined || this.nodeChanged) this.facts = undefined;
    this.nodeChanged = false;
    try {
      const sliceChanges = this.slices.drain();
      this.collectTriggerTimes(sliceChanges);
      const serviceChanges = this.services.drain();
      metrics.serviceChangesPending.set(0);
      metrics.endpointChangesPending.set(0);

      const facts = (this.facts ??= this.o.nodeFacts(this.node));
      const node = { ...this.o.config, ...facts, zone: nodeZone(this.node), unavailableSchedulers: [...this.unavailableSchedulers] };
      // Only the Services whose object or slices changed are recomputed (all of them after a node change).
      const desired = this.desired.update({ services: currentVersions(serviceChanges), endpointSlices: currentVersions(sliceChanges) }, node);
      const healthChecks = this.o.serviceHealth ? healthCheckPorts(this.desired.healthCheckInput()) : undefined;
      this.logProblems(healthChecks ? [...desired.problems, ...healthChecks.problems] : desired.problems);
      const desiredAt = clock.now();

      const graceful = this.o.gracefulTermination ?? true;
      const record = reason === 'requested' && !fromRead ? this.record : undefined;
      // Planned by scope: the changed Services' objects, and virtual servers still draining real servers;
      // after the periodic read, also what the read found different from the record (drift-scope.ts).
      const ownScope = desired.scope ? withDraining(desired.scope, this.draining) : undefined;
      const readDrift = fromRead && this.record && ownScope ? driftScope(fromRead, this.record) : undefined;
      const scope = record || readDrift ? ownScope : undefined;
      const applyScope = readDrift && scope ? mergeScopes(scope, readDrift.scope) : scope;
      const observed = readDrift?.observed ?? fromRead ?? (record && graceful ? await this.withConnections(desired.state, record, scope) : record);
      const readKernel = !observed || fromRead !== undefined;
      const connectionsAt = clock.now();
      // A sync that reads the kernel separates drift from our own queued changes: plan those against the
      // record of our last successful apply first (a dry run: no kernel I/O), and count whatever else the
      // kernel read makes the planner do. The first sync has no record: everything it does is adoption.
      const base = readKernel ? this.record ?? this.driftBase : undefined;
      // Against the record of the last apply, only the changed Services' objects can differ: that dry run is
      // planned by scope (against the drift base of a failed sync, anything may).
      const baseScope = base === this.record ? ownScope : undefined;
      const expected = base
        ? (await engine.apply(desired.state, { dryRun: true, observed: base, ...(baseScope ? { scope: baseScope } : {}), gracefulTermination: graceful, neverDelete: this.neverDelete })).operations
        : undefined;

      // Until this apply is known to have succeeded; the last good record stays the drift base (it shares
      // its objects with the desired state, so holding it through the read costs little).
      this.driftBase = this.record ?? this.driftBase;
      this.record = undefined;
      const report = await engine.apply(desired.state, {
        ...(observed ? { observed } : {}),
        ...(fromRead ? { observedFromKernel: true } : {}),
        ...(observed && applyScope ? { scope: applyScope } : {}),
        gracefulTermination: graceful,
        neverDelete: this.neverDelete,
      });
      this.countOperations(report);
      this.logWarnings(report.warnings ?? []);
      if (report.failures.length > 0) throw this.failure(report);
      this.kernelRead?.applied(report.operations);
      this.record = report.after;
      this.driftBase = undefined;
      this.draining = drainingVirtualServers(report.after, observed && applyScope ? [...applyScope.virtualServers] : undefined);

      const drift = expected ? driftByKind(report.operations, expected) : new Map();
      for (const [kind, count] of drift) metrics.driftRepairedTotal.inc({ kind }, count);
      if (drift.size > 0) log.warn('repaired kernel state changed by someone else', { drift: Object.fromEntries(drift) });

      const done = clock.now();
      this.o.health.updated(start);
      // As kube-proxy (SyncServices/SyncEndpoints after its restore): health checks follow applied state only.
      if (healthChecks) await this.syncServiceHealth(healthChecks.ports, facts);
      if (this.services.pendingCount + this.slices.pendingCount > 0) this.o.health.queued();
      metrics.lastSyncTimestamp.set(done / 1000);
      for (const t of this.triggerTimes.values()) metrics.networkProgrammingDuration.observe(Math.max(0, done - t) / 1000);
      this.triggerTimes.clear();
      this.setNoLocalEndpoints(desired.stats.noLocalEndpoints, facts.ipFamilies);
      log.verbose('sync done', {
        sync: n, reason: fromRead ? 'periodic' : reason, readKernel: report.readKernel, plan: report.scoped ? 'scoped' : 'full', durationMs: done - start, operations: report.operations.length,
        messagesSent: report.messagesSent, iptablesRestores: report.iptablesRestores, services: desired.stats.services,
        virtualServers: desired.stats.virtualServers, realServers: desired.stats.realServers,
        // Where the time went: the desired state, the connection counts read, the plan and its apply.
        desiredMs: desiredAt - start, connectionsMs: connectionsAt - desiredAt, applyMs: done - connectionsAt,
      });
    } catch (err) {
      metrics.syncErrorsTotal.inc();
      // What a failed sync left in the kernel is unknown: a read in progress cannot be made current.
      this.kernelRead?.spoil('a sync failed while it ran');
      throw err;
    } finally {
      metrics.syncDuration.observe((clock.now() - start) / 1000);
    }
  }

  /**
   * Starts the periodic kernel read beside the syncs, unless one is still running or the last one ended
   * less than its own duration ago: reading takes at most half of the proxier's time. At 10,000 Services
   * under 50 changes/s a read took 55 s, longer than the 30 s period, so one read followed the other and
   * every sync shared the event loop and the IPVS lock with one; drift is then repaired within about two
   * reads' time instead of one period.
   */
  private startKernelRead(): void {
    const { engine, log, clock } = this.o;
    if (this.kernelRead || clock.now() < this.nextReadAt) return;
    const record = this.record!;
    const started = clock.now();
    // The record's virtual servers are the desired state's objects: an unchanged one is read back as it.
    // It gives way to syncs: before each part (a slice of destination dumps, the set listing, ...) it waits
    // for the sync in progress, if any, to end. Under churn at 10,000 Services its dumps' syscalls and
    // decoding otherwise took turns with every sync's, and a change waited for them.
    const read = engine.observe(record.interface?.name ?? DUMMY_INTERFACE, record.iptables !== undefined, record.virtualServers, true, () => this.syncEnded ?? Promise.resolve());
    this.kernelRead = new BackgroundKernelRead(read, () => {
      const durationMs = clock.now() - started;
      this.nextReadAt = clock.now() + durationMs;
      log.verbose('periodic kernel read done', { durationMs });
      // The sync that plans against the read; after stop() the runner ignores it.
      this.runner.run();
    });
  }

  /** The settled read, taken (the next periodic run starts a new one). */
  private takeKernelRead(): ReturnType<BackgroundKernelRead['outcome']> {
    const read = this.kernelRead!;
    this.kernelRead = undefined;
    const outcome = read.outcome(this.record);
    if (outcome.kind === 'unusable') this.o.log.verbose('periodic kernel read not usable; this sync reads the kernel again', { reason: outcome.why });
    return outcome;
  }

  private async syncServiceHealth(wanted: HealthCheckPorts, facts: NodeFacts): Promise<void> {
    try {
      await this.o.serviceHealth!(wanted, facts);
    } catch (err) {
      this.o.log.error('health check node ports not updated', { error: errorText(err) });
    }
  }

  /**
   * The record, with the kernel's connection counts for the virtual servers this sync takes TCP real
   * servers from (graceful termination drains those with connections): a few destination dumps instead
   * of a full read, so a scale-down reaches the kernel as fast as a scale-up. Undefined (read everything)
   * when that read fails.
   */
  private async withConnections(desired: State, record: ObservedState, scope: StateScope | undefined): Promise<ObservedState | undefined> {
    const drainable = drainableVirtualServers(desired, record, scope?.virtualServers);
    if (drainable.length === 0) return record;
    try {
      return { ...record, connections: await this.o.engine.readConnections(drainable) };
    } catch (err) {
      this.o.log.verbose('connection counts unreadable; this sync reads the whole kernel', { error: errorText(err) });
      return undefined;
    }
  }

  private countOperations(report: ApplyReport): void {
    const { metrics, log } = this.o;
    metrics.kernelOperationsPerSync.observe(report.applied);
    const applied = report.operations.slice(0, report.applied);
    const byKind = new Map<string, number>();
    for (const op of applied) byKind.set(op.kind, (byKind.get(op.kind) ?? 0) + 1);
    for (const [kind, count] of byKind) metrics.kernelOperationsTotal.inc({ kind }, count);
    if (log.isDebugEnabled()) for (const op of applied) log.debug(describeOperation(op));
  }

  /** Turns refused operations into the sync's error; a missing scheduler module is fatal. */
  private failure(report: ApplyReport): SyncError {
    const first = report.failures[0]!;
    const op = first.operation;
    const scheduler = this.o.config.scheduler || 'rr';
    if (missingScheduler(first) === scheduler) {
      const err = new Error(
        `the IPVS scheduler "${scheduler}" is not available in this kernel (${first.error.message}): ` +
          `install/load kernel module ip_vs_${scheduler} or choose another --ipvs-scheduler`,
      );
      this.o.onFatal?.(err);
    }
    // A Service's own scheduler (annotation) that the kernel does not have: the next sync skips the
    // Services asking for it (logged as their problem), so the others converge.
    for (const f of report.failures) {
      const missing = missingScheduler(f);
      if (missing === undefined || missing === scheduler || this.unavailableSchedulers.has(missing)) continue;
      this.unavailableSchedulers.add(missing);
      this.o.log.error('IPVS scheduler not available in this kernel; Services asking for it are skipped', {
        scheduler: missing, module: `ip_vs_${missing}`, operation: describeOperation(f.operation),
      });
    }
    const more = report.failures.length > 1 ? ` (and ${report.failures.length - 1} more)` : '';
    return new SyncError(`${describeOperation(op)}: ${first.error.message}${more}; applied ${report.applied} of ${report.operations.length} operations`, report);
  }


  private collectTriggerTimes(changes: Map<string, { current: V1EndpointSlice | undefined }>): void {
    for (const [key, change] of changes) {
      const text = change.current?.metadata?.annotations?.[TRIGGER_TIME_ANNOTATION];
      const t = text ? Date.parse(text) : NaN;
      // Trigger times from before we started belong to changes someone else programmed (kube-proxy does the same).
      if (Number.isNaN(t) || t < this.startedAt) continue;
      const old = this.triggerTimes.get(key);
      if (old === undefined || t < old) this.triggerTimes.set(key, t);
    }
  }

  private setNoLocalEndpoints(counts: { internal: Record<Family, number>; external: Record<Family, number> }, families: Family[]): void {
    for (const policy of ['internal', 'external'] as const) {
      for (const family of families) {
        this.o.metrics.noLocalEndpointsTotal.set({ traffic_policy: policy, ip_family: family === 'inet' ? 'IPv4' : 'IPv6' }, counts[policy][family]);
      }
    }
  }

  /** Each problem once while it lasts (a bad Service would otherwise log every 30 s). */
  private logProblems(problems: Problem[]): void {
    const now = new Set<string>();
    for (const p of problems) {
      const key = JSON.stringify(p);
      now.add(key);
      if (this.problemsSeen.has(key)) continue;
      if (p.namespace === '' && p.name === '') this.o.log.warn('node configuration problem', { field: p.field, reason: p.reason });
      else this.o.log.warn('service not fully programmed', { service: `${p.namespace}/${p.name}`, field: p.field, reason: p.reason });
    }
    this.problemsSeen = now;
  }

  private logWarnings(warnings: string[]): void {
    const now = new Set(warnings);
    for (const w of warnings) if (!this.warningsSeen.has(w)) this.o.log.warn(w);
    this.warningsSeen = now;
  }
}

/** The current version of each changed object (undefined: deleted). */
function currentVersions<T>(changes: Map<string, { current: T | undefined }>): Map<string, T | undefined> {
  return new Map([...changes].map(([key, change]) => [key, change.current]));
}

/** The parts of the Node the desired state depends on, as one comparable string. */
function nodeDependencies(node: V1Node | undefined): string {
  return JSON.stringify([nodeInternalIPs(node), nodeZone(node)]);
}

/**
 * The scheduler a refused NEW_SERVICE/SET_SERVICE asked for, when the refusal is ENOENT: the kernel loads
 * ip_vs_<name> on demand (request_module in ip_vs_sched.c), so ENOENT means this kernel has no such module.
 */
function missingScheduler(f: OperationFailure): string | undefined {
  const op = f.operation;
  if ((f.error as { errno?: unknown }).errno !== ENOENT || (op.kind !== 'vs-add' && op.kind !== 'vs-update')) return undefined;
  return op.service.scheduler;
}
