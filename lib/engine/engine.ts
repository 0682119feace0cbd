// The reconcile engine over the real kernel: three netlink sockets (generic netlink for IPVS, nfnetlink for
// ipset, rtnetlink for the link) and iptables-restore. observe -> plan (pure) -> execute (batched).
import { NETLINK_GENERIC_PROTOCOL, NETLINK_NETFILTER_PROTOCOL, NETLINK_ROUTE_PROTOCOL } from '../netlink/protocols.js';
import { CommandIptablesRunner, type IptablesRunner } from '../iptables/runner.js';
import { readIptables } from '../iptables/sync.js';
import { ownedIptablesState } from '../iptables/owned.js';
import { IpsetClient } from '../kernel/ipset-client.js';
import { IpvsClient } from '../kernel/ipvs-client.js';
import { destinationKey, serviceKeyOf } from '../kernel/ipvs-convert.js';
import { LinkClient } from '../kernel/link-client.js';
import type { NetlinkConnection, TransportCounters } from '../netlink/connection.js';
import { newCounters, SocketTransport, type SocketTransportOptions } from '../netlink/socket-transport.js';
import { canonicalState, virtualServerKey } from '../state/canonical.js';
import type { IpsetState, State, VirtualServer } from '../state/types.js';
import type { ApplyOptions, ApplyReport, Engine, IpvsTimeoutSeconds } from './engine-api.js';
import { executePlan, type Backends } from './execute.js';
import { ledgerFromIpsets } from './ledger.js';
import type { ConnectionCounts, ObservedState } from './observed.js';
import type { Operation } from './operations.js';
import { planCleanup } from './plan-cleanup.js';
import { planCanonical } from './plan.js';
import { planScoped } from './plan-scoped.js';
import type { StateScope } from './scope.js';
import { applyScopedOperations, quietRecord } from './simulate-scoped.js';
import { readVirtualServers } from './observe-ipvs.js';
import { ServiceTableWrites } from './service-table-writes.js';
import { virtualServerId } from './plan-virtual-servers.js';
import { applyOperationsToState } from './simulate.js';

export interface KernelEngineOptions {
  /** Connections to use instead of sockets (tests: message-level fakes). */
  connections?: { ipvs: NetlinkConnection; ipset: NetlinkConnection; route: NetlinkConnection };
  iptables?: IptablesRunner;
  /** Requests per datagram. */
  batchSize?: number;
  /** Other socket options (the bench compares receive buffer sizes and ack modes). */
  transport?: Omit<SocketTransportOptions, 'counters' | 'batchSize'>;
}

export const DEFAULT_INTERFACE = 'kube-ipvs0';

export { virtualServersFromKernel } from './observe-ipvs.js';

export class KernelEngine implements Engine {
  readonly counters: TransportCounters;

  private constructor(
    readonly backends: Backends,
    private readonly conns: NetlinkConnection[],
    counters: TransportCounters,
  ) {
    this.counters = counters;
  }

  static async open(o: KernelEngineOptions = {}): Promise<KernelEngine> {
    const counters = newCounters();
    const mk = (p: number) => new SocketTransport(p, { ...o.transport, counters, ...(o.batchSize ? { batchSize: o.batchSize } : {}) });
    const c = o.connections ?? { ipvs: mk(NETLINK_GENERIC_PROTOCOL), ipset: mk(NETLINK_NETFILTER_PROTOCOL), route: mk(NETLINK_ROUTE_PROTOCOL) };
    const all = [c.ipvs, c.ipset, c.route];
    try {
      const [ipvs, ipset] = await Promise.all([IpvsClient.open(c.ipvs), IpsetClient.open(c.ipset)]);
      return new KernelEngine({ ipvs, ipset, links: new LinkClient(c.route), iptables: o.iptables ?? new CommandIptablesRunner(), serviceWrites: new ServiceTableWrites() }, all, counters);
    } catch (e) {
      for (const conn of all) conn.close();
      throw e;
    }
  }

  /**
   * `known`: virtual servers the caller holds; equal canonical ones read come back as those objects (less
   * memory, and the planner skips them). `knownAreCanonical`: the caller canonicalized them (not checked).
   */
  async observe(interfaceName: string | undefined = DEFAULT_INTERFACE, withIptables = true, known?: readonly VirtualServer[], knownAreCanonical = false, yieldTo?: () => Promise<void>): Promise<ObservedState> {
    const { ipvs, ipset, links, iptables } = this.backends;
    const turn = yieldTo ?? (() => Promise.resolve());
    const parts = [
      () => readVirtualServers(ipvs, { known, knownAreCanonical, ...(this.backends.serviceWrites ? { writes: this.backends.serviceWrites } : {}), ...(yieldTo ? { yieldTo } : {}) }),
      () => turn().then(() => ipset.list()),
      () => (interfaceName ? links.find(interfaceName) : Promise.resolve(undefined)),
      () => (withIptables ? turn().then(() => readIptables(iptables)).then(ownedIptablesState) : Promise.resolve(undefined)),
    ] as const;
    // In the background, one part after another: decoding 10,000 services, 20,000 set members and 10,000
    // addresses are blocks of the event loop, and run together they ended at once, a sync waiting for all.
    const [{ virtualServers, connections }, listed, link, rules] = yieldTo
      ? [await parts[0](), await parts[1](), await parts[2](), await parts[3]()]
      : await Promise.all([parts[0](), parts[1](), parts[2](), parts[3]()]);
    const { ipsets, ledger } = ledgerFromIpsets(listed);
    // Canonical as read: readVirtualServers sorts real servers and hands back only canonical held objects.
    const observed: ObservedState = { virtualServers, ipsets, ledger, connections, canonical: true };
    if (interfaceName) {
      observed.interface = { name: interfaceName, exists: !!link, addresses: link ? await turn().then(() => links.addressCidrs(link.index)) : [] };
    }
    if (rules) observed.iptables = rules;
    return observed;
  }

  async apply(desired: State, options: ApplyOptions = {}): Promise<ApplyReport> {
    const scoped = options.scope && options.observed ? this.planScoped(desired, options.observed, options.scope, options) : undefined;
    if (scoped) return { ...(await this.run(scoped, options.observed!, options.observedFromKernel === true, options.dryRun, desired.interface?.name, desired.virtualServers, desired.ipsets, desired, desired)), scoped: true };
    // Canonical once (the proxier's and `apply -f`'s states already are, so this returns their objects):
    // the read and the planner then trust it instead of each checking 100,000 real servers again.
    const want = canonicalState(desired);
    const readKernel = options.observed === undefined || options.observedFromKernel === true;
    const observed = options.observed ?? (await this.observe(want.interface?.name, want.iptables !== undefined, want.virtualServers, true));
    const operations = planCanonical(want, observed, { gracefulTermination: options.gracefulTermination, neverDelete: options.neverDelete });
    return this.run(operations, observed, readKernel, options.dryRun, want.interface?.name, want.virtualServers, want.ipsets, undefined, want);
  }

  /** The scoped plan, when the scope can say enough (its desired state is canonical: not checked). */
  private planScoped(desired: State, observed: ObservedState, scope: StateScope, options: ApplyOptions): Operation[] | undefined {
    return planScoped(desired, observed, scope, { gracefulTermination: options.gracefulTermination, neverDelete: options.neverDelete });
  }

  async readConnections(virtualServers: readonly VirtualServer[]): Promise<ConnectionCounts> {
    const dests = await this.backends.ipvs.listDestinations(virtualServers.map((vs) => serviceKeyOf(virtualServerId(vs))), { counters: false, parallel: true });
    const connections = new Map<string, Map<string, number>>();
    virtualServers.forEach((vs, i) => {
      connections.set(virtualServerKey(vs), new Map(dests[i]!.map((d) => [destinationKey(d.destination), d.stats.activeConns + d.stats.inactiveConns])));
    });
    return connections;
  }

  async setTimeouts(t: IpvsTimeoutSeconds): Promise<IpvsTimeoutSeconds> {
    const { ipvs } = this.backends;
    await ipvs.setTimeouts(t);
    const now = await ipvs.timeouts();
    return { tcp: now.tcp ?? 0, tcpFin: now.tcpFin ?? 0, udp: now.udp ?? 0 };
  }

  async cleanup(interfaceName: string = DEFAULT_INTERFACE, options: { dryRun?: boolean } = {}): Promise<ApplyReport> {
    const observed = await this.observe(interfaceName);
    return this.run(planCleanup(observed), observed, true, options.dryRun, interfaceName);
  }

  /**
   * `scopedDesired`: the plan is a scoped one for this state, so the record is updated for what it touches
   * only. `desiredState`: the (canonical) state planned for, whose lists a quiet apply's record shares.
   */
  private async run(operations: Operation[], observed: ObservedState, readKernel: boolean, dryRun: boolean | undefined, interfaceName: string | undefined, known?: readonly VirtualServer[], knownIpsets?: readonly IpsetState[], scopedDesired?: State, desiredState?: State): Promise<ApplyReport> {
    if (dryRun || operations.length === 0) {
      // Nothing to do after a kernel read: the record is still made sorted (ObservedState.sorted, sharing the
      // desired objects), so that the next sync's scoped plan can use it: a periodic sync finds no drift.
      const after = !dryRun && !observed.sorted && desiredState ? quietRecord(observed, desiredState) : observed;
      return { operations, applied: 0, failures: [], messagesSent: 0, iptablesRestores: 0, after, readKernel };
    }
    const exec = await executePlan(operations, this.backends);
    // After a failure part of a batch may have been applied: only a fresh read tells what the kernel holds.
    // `known` comes from apply(), canonicalized there.
    const after = exec.failures.length > 0
      ? await this.observe(interfaceName, observed.iptables !== undefined)
      : (scopedDesired && applyScopedOperations(observed, operations, scopedDesired)) ?? applyOperationsToState(observed, operations, known, knownIpsets, known !== undefined);
    return { operations, applied: exec.applied, failures: exec.failures, messagesSent: exec.messagesSent, iptablesRestores: exec.iptablesRestores, after, readKernel, warnings: exec.warnings };
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

export function openKernelEngine(o: KernelEngineOptions = {}): Promise<KernelEngine> {
  return KernelEngine.open(o);
}
