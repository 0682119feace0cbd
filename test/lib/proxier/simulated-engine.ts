// A fake of the Engine boundary for the sync-loop tests: a kernel held as an ObservedState, planned with the
// real planner and changed with the real simulator (which refuses what the kernel refuses). It records
// every call so tests can assert on what the loop asked for: the desired state, and whether it let the
// engine read the kernel (`observed` undefined) or handed it the last report's `after`.
import type { ApplyOptions, ApplyReport, Engine, IpvsTimeoutSeconds, OperationFailure } from '../../../lib/engine/engine-api.js';
import { emptyObservedState, type ConnectionCounts, type ObservedState } from '../../../lib/engine/observed.js';
import { describe, type Operation } from '../../../lib/engine/operations.js';
import { planScoped } from '../../../lib/engine/plan-scoped.js';
import { applyScopedOperations, quietRecord } from '../../../lib/engine/simulate-scoped.js';
import { planChanges } from '../../../lib/engine/plan.js';
import { KernelError } from '../../../lib/kernel/kernel-error.js';
import { ENOENT } from '../../../native-free-netlink/core/errno.js';
import { planCleanup } from '../../../lib/engine/plan-cleanup.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { canonicalState, virtualServerKey } from '../../../lib/state/canonical.js';
import type { State, VirtualServer } from '../../../lib/state/types.js';

export interface ApplyCall {
  desired: State;
  options: ApplyOptions;
  report: ApplyReport;
}

export class SimulatedEngine implements Engine {
  kernel: ObservedState;
  readonly calls: ApplyCall[] = [];
  kernelReads = 0;
  /** Applies planned by scope (plan-scoped.ts). */
  scopedPlans = 0;
  /** readConnections calls, with the virtual server keys each asked for. */
  readonly connectionReads: string[][] = [];
  /** The next non-dry-run apply fails on its first operation with this error (then it is cleared). */
  failNext: Error | undefined;
  /** Every non-dry-run apply fails with this error while set. */
  failAlways: Error | undefined;
  /** Schedulers whose kernel module is missing: NEW_SERVICE/SET_SERVICE with one is refused with ENOENT. */
  readonly missingSchedulers = new Set<string>();
  /** Resolves each apply only when released (tests of coalescing); undefined = at once. */
  gate: Promise<void> | undefined;
  /**
   * A kernel read sees the kernel when it starts, and ends only when this is released (a periodic read that
   * event-driven syncs overlap); undefined = at once.
   */
  readGate: Promise<void> | undefined;
  /** The next kernel read fails with this error (then it is cleared). */
  failNextRead: Error | undefined;
  closed = false;

  constructor(kernel: ObservedState = { ...emptyObservedState(), interface: { name: 'kube-ipvs0', exists: false, addresses: [] } }) {
    this.kernel = kernel;
  }

  /** What the last read was given to give way with (Engine.observe's `yieldTo`), if anything. */
  lastYieldTo: (() => Promise<void>) | undefined;

  async observe(_interfaceName?: string, _withIptables?: boolean, _known?: readonly VirtualServer[], _canonical?: boolean, yieldTo?: () => Promise<void>): Promise<ObservedState> {
    this.kernelReads++;
    this.lastYieldTo = yieldTo;
    // A kernel read lists set members in hash order: not known to be sorted (ObservedState.sorted).
    const { sorted: _notKnown, ...read } = structuredClone(this.kernel);
    const error = this.failNextRead;
    this.failNextRead = undefined;
    if (this.readGate) await this.readGate;
    if (error) throw error;
    return read;
  }

  /** The kernel's counts for those virtual servers only (as one GET_DEST dump each would read them). */
  async readConnections(virtualServers: readonly VirtualServer[]): Promise<ConnectionCounts> {
    const keys = virtualServers.map(virtualServerKey);
    this.connectionReads.push(keys);
    return new Map(keys.map((k) => [k, new Map(this.kernel.connections?.get(k) ?? [])]));
  }

  /** The kernel's IPVS timeouts (Linux's defaults); setTimeouts keeps a field given as 0, as the kernel does. */
  timeouts: IpvsTimeoutSeconds = { tcp: 900, tcpFin: 120, udp: 300 };

  async setTimeouts(t: IpvsTimeoutSeconds): Promise<IpvsTimeoutSeconds> {
    this.timeouts = { tcp: t.tcp || this.timeouts.tcp, tcpFin: t.tcpFin || this.timeouts.tcpFin, udp: t.udp || this.timeouts.udp };
    return { ...this.timeouts };
  }

  async apply(desired: State, options: ApplyOptions = {}): Promise<ApplyReport> {
    if (this.gate) await this.gate;
    const readKernel = options.observed === undefined || options.observedFromKernel === true;
    const observed = options.observed ?? (await this.observe());
    const planOptions = { gracefulTermination: options.gracefulTermination, neverDelete: options.neverDelete };
    const full = planChanges(desired, observed, planOptions);
    // As the kernel engine: a scoped plan when the loop gives a scope and it can say enough. Every scoped plan
    // is checked against the full one here, so each sync-loop test also checks the loop's scopes.
    const scoped = options.scope && options.observed ? planScoped(desired, options.observed, options.scope, planOptions) : undefined;
    if (scoped) this.scopedPlans++;
    if (scoped && JSON.stringify(scoped.map(describe).sort()) !== JSON.stringify(full.map(describe).sort())) {
      throw new Error(`scoped plan differs from the full plan:\n${scoped.map(describe).join('\n')}\n--- full:\n${full.map(describe).join('\n')}`);
    }
    const operations = scoped ?? full;
    const base = { operations, messagesSent: 0, iptablesRestores: 0, readKernel };
    let report: ApplyReport;
    if (options.dryRun || operations.length === 0) {
      // As the kernel engine: a record after a kernel read is made sorted (usable by the next scoped plan).
      report = { ...base, applied: 0, failures: [], after: !options.dryRun && !observed.sorted ? quietRecord(observed, canonicalState(desired)) : observed };
    } else {
      const error = this.failNext ?? this.failAlways;
      this.failNext = undefined;
      if (error) {
        report = { ...base, applied: 0, failures: [{ operation: operations[0]!, error }], after: await this.observe() };
      } else {
        report = this.run(operations, observed, base, scoped ? desired : undefined);
      }
    }
    if (!options.dryRun) this.calls.push({ desired, options, report });
    return report;
  }

  /** Applies to the kernel op by op, as the executor would; the first refusal ends the run. */
  private run(operations: Operation[], observed: ObservedState, base: Omit<ApplyReport, 'applied' | 'failures' | 'after'>, scopedDesired?: State): ApplyReport {
    let applied = 0;
    const failures: OperationFailure[] = [];
    for (const op of operations) {
      try {
        if ((op.kind === 'vs-add' || op.kind === 'vs-update') && this.missingSchedulers.has(op.service.scheduler)) {
          throw new KernelError(op.kind === 'vs-add' ? 'NEW_SERVICE' : 'SET_SERVICE', `${op.service.protocol} ${op.service.address}:${op.service.port}`, ENOENT);
        }
        this.kernel = applyOperationsToState(this.kernel, [op]);
        applied++;
      } catch (error) {
        failures.push({ operation: op, error: error as Error });
        break;
      }
    }
    const after = failures.length > 0
      ? structuredClone(this.kernel)
      : (scopedDesired && applyScopedOperations(observed, operations, scopedDesired)) ?? applyOperationsToState(observed, operations);
    return { ...base, applied, failures, after };
  }

  async cleanup(): Promise<ApplyReport> {
    const observed = await this.observe();
    const operations = planCleanup(observed);
    return this.run(operations, observed, { operations, messagesSent: 0, iptablesRestores: 0, readKernel: true });
  }

  close(): void {
    this.closed = true;
  }

  /**
   * The non-dry-run applies' options.observed, as "read" (a kernel read: the engine's own, or one the loop
   * made, options.observedFromKernel) or "record" (the previous after).
   */
  sources(): string[] {
    return this.calls.map((c, i) => {
      if (c.options.observed === undefined || c.options.observedFromKernel) return 'read';
      return i > 0 && c.options.observed === this.calls[i - 1]!.report.after ? 'record' : 'other';
    });
  }
}
