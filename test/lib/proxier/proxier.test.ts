// The sync loop with a simulated engine and a fake clock: when it reads the kernel and when it plans against
// its own record, drift repair and counting, retries, health, metrics, and what one Service change touches.
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { emptyLedger } from '../../../lib/engine/ledger.js';
import { describe as describeOp } from '../../../lib/engine/operations.js';
import { ProxierHealth } from '../../../lib/health/proxier-health.js';
import { KernelError } from '../../../lib/kernel/kernel-error.js';
import { objectKey } from '../../../lib/kube/change-tracker.js';
import { createProxierMetrics, type ProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';
import { Proxier, TRIGGER_TIME_ANNOTATION, type ProxierOptions } from '../../../lib/proxier/proxier.js';
import { FakeClock } from '../../../lib/sync/clock.js';
import { captureLogger } from '../log/capture-logger.js';
import { service, slice } from './fixtures.js';
import { SimulatedEngine } from './simulated-engine.js';

const SYNC = 30_000;
const RETRY = 5_000;
const T0 = 1_700_000_000_000;

function web(name: string, clusterIP: string, over: Partial<V1Service['spec']> = {}): V1Service {
  return service(name, { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...over });
}

function endpoints(name: string, ips: string[], annotations?: Record<string, string>): V1EndpointSlice {
  const s = slice(`${name}-1`, name, [{ name: 'http', port: 8080, protocol: 'TCP' }], ips.map((ip) => ({ ip, ready: true })));
  if (annotations) s.metadata!.annotations = annotations;
  return s;
}

async function metricValue(m: ProxierMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  // Histograms list their _count and _sum series under the base name, each with its own metricName.
  const base = name.replace(/_(count|sum)$/, '');
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name || x.name === base);
  const v = metric?.values.find(
    (x) => ((x as { metricName?: string }).metricName ?? metric.name) === name &&
      Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val),
  );
  return v?.value;
}

function setup(over: Partial<ProxierOptions> = {}, engine = new SimulatedEngine()) {
  const clock = new FakeClock(T0);
  const metrics = createProxierMetrics();
  const health = new ProxierHealth(() => clock.now(), 2 * SYNC);
  const { log, entries } = captureLogger();
  const fatal: Error[] = [];
  const proxier = new Proxier({
    engine, clock, log, metrics, health,
    config: { nodeName: 'node-1', clusterCIDRs: ['10.244.0.0/16'], masqueradeAll: false, scheduler: 'rr' },
    nodeFacts: () => ({ nodeIPs: ['192.168.122.10'], localAddresses: ['192.168.122.10'], ipFamilies: ['inet'] }),
    syncPeriodMs: SYNC,
    minSyncPeriodMs: 0,
    retryPeriodMs: RETRY,
    onFatal: (e) => fatal.push(e),
    ...over,
  });
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await proxier.idle();
    await new Promise((r) => setImmediate(r));
  };
  // The periodic run starts the kernel read beside the syncs; the sync that plans against it follows.
  const periodic = async (): Promise<void> => {
    await step(SYNC);
    await step(0);
  };
  const addService = (s: V1Service) => proxier.onServiceChange(objectKey(s), s);
  const addSlice = (s: V1EndpointSlice) => proxier.onEndpointSliceChange(objectKey(s), s);
  return { clock, metrics, health, log, entries, fatal, proxier, engine, step, periodic, addService, addSlice };
}

/** Two Services with endpoints, synced once. */
async function twoServices(over: Partial<ProxierOptions> = {}, engine?: SimulatedEngine) {
  const t = setup(over, engine);
  t.addService(web('a', '10.96.0.10'));
  t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.2']));
  t.addService(web('b', '10.96.0.11'));
  t.addSlice(endpoints('b', ['10.244.2.1']));
  t.proxier.start();
  await t.step(0);
  return t;
}

function realServers(engine: SimulatedEngine, key: string): string[] {
  const vs = engine.kernel.virtualServers.find((v) => `${v.protocol} ${v.address}:${v.port}` === key);
  return (vs?.realServers ?? []).map((r) => `${r.address}:${r.port}`);
}

describe('Proxier sync loop', () => {
  it('does nothing before start(), then syncs once from the kernel read', async () => {
    const t = setup();
    t.addService(web('a', '10.96.0.10'));
    t.addSlice(endpoints('a', ['10.244.1.1']));
    await t.step(10 * SYNC);
    expect(t.engine.calls).to.have.length(0);
    t.proxier.start();
    await t.step(0);
    expect(t.engine.sources()).to.deep.equal(['read']);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080']);
    expect(t.engine.kernel.interface?.addresses).to.deep.equal(['10.96.0.10/32']);
  });

  it('plans later event-driven syncs against the last report\'s after, without kernel reads', async () => {
    const t = await twoServices();
    const reads = t.engine.kernelReads;
    t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.2', '10.244.1.3']));
    await t.step(0);
    t.addService(web('c', '10.96.0.12'));
    await t.step(0);
    expect(t.engine.sources()).to.deep.equal(['read', 'record', 'record']);
    expect(t.engine.kernelReads).to.equal(reads);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.have.length(3);
  });

  it('a change to one Service touches only that Service\'s objects', async () => {
    const t = await twoServices();
    t.addSlice(endpoints('b', ['10.244.2.1', '10.244.2.9']));
    await t.step(0);
    const [before, after] = t.engine.calls.slice(-2).map((c) => c.desired);
    // The desired states differ only in b's virtual server...
    const other = (s: typeof before) => s!.virtualServers.filter((v) => v.address !== '10.96.0.11');
    expect(other(after)).to.deep.equal(other(before));
    expect(after!.ipsets).to.deep.equal(before!.ipsets);
    expect(after!.iptables).to.deep.equal(before!.iptables);
    // ...and the plan is exactly one real server added to it.
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.deep.equal([
      '+ real server tcp 10.96.0.11:80 -> 10.244.2.9:8080 masq weight 1',
    ]);
    // Planned by scope: b's virtual server and the members its endpoints bring, nothing of a's.
    const scope = t.engine.calls.at(-1)!.options.scope!;
    expect([...scope.virtualServers]).to.deep.equal(['tcp 10.96.0.11:80']);
    expect(scope.addresses.size).to.equal(0);
    expect(t.engine.scopedPlans).to.equal(1);
  });

  it('after a periodic sync that finds nothing to do, the next event-driven sync is still planned by scope', async () => {
    const t = await twoServices();
    await t.periodic();
    expect(t.engine.sources().at(-1)).to.equal('read');
    expect(t.engine.calls.at(-1)!.report.operations).to.deep.equal([]);
    const scoped = t.engine.scopedPlans; // the periodic sync's dry run against the record is scoped too
    t.addSlice(endpoints('b', ['10.244.2.1', '10.244.2.9']));
    await t.step(0);
    expect(t.engine.sources().at(-1)).to.equal('record');
    expect(t.engine.scopedPlans).to.equal(scoped + 1);
  });

  it('a virtual server draining a real server is looked at again by the next event-driven sync, whatever it is for', async () => {
    const t = await twoServices();
    const reads = t.engine.kernelReads;
    t.engine.kernel.connections = new Map([['tcp 10.96.0.10:80', new Map([['10.244.1.2:8080', 3]])]]);
    t.addSlice(endpoints('a', ['10.244.1.1']));
    await t.step(0);
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.deep.equal([
      '~ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 weight 1 -> 0 (graceful termination: 3 connections draining)',
    ]);
    // Connections gone; a change to b alone: its sync deletes a's drained real server too.
    t.engine.kernel.connections = new Map();
    t.addSlice(endpoints('b', ['10.244.2.1', '10.244.2.9']));
    await t.step(0);
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.deep.equal([
      '+ real server tcp 10.96.0.11:80 -> 10.244.2.9:8080 masq weight 1',
      '- real server tcp 10.96.0.10:80 -> 10.244.1.2:8080',
    ]);
    expect(t.engine.kernelReads, 'no full kernel read').to.equal(reads);
    expect(t.engine.scopedPlans).to.equal(2);
  });

  it('a change that cancels out asks for no sync', async () => {
    const t = await twoServices();
    t.addService(web('a', '10.96.0.10', { ports: [{ name: 'http', port: 81, protocol: 'TCP' }] }));
    t.addService(web('a', '10.96.0.10'));
    await t.step(0);
    expect(t.engine.calls).to.have.length(1);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_service_changes_total')).to.equal(4);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_service_changes_pending')).to.equal(0);
  });

  it('the first sync after a restart adopts what is programmed without disturbing it', async () => {
    const first = await twoServices();
    const kernel = structuredClone(first.engine.kernel);
    const t = await twoServices({}, new SimulatedEngine(kernel));
    expect(t.engine.sources()).to.deep.equal(['read']);
    expect(t.engine.calls[0]!.report.operations.map(describeOp)).to.deep.equal([]);
  });

  it('adopts objects kube-proxy left (unowned, same shape) without re-creating them', async () => {
    const first = await twoServices();
    // Same kernel, but with no ownership ledger: what kube-proxy leaves behind.
    const kernel = structuredClone(first.engine.kernel);
    kernel.ledger = emptyLedger();
    expect(kernel.virtualServers).to.have.length(2);
    const t = await twoServices({}, new SimulatedEngine(kernel));
    const kinds = new Set(t.engine.calls[0]!.report.operations.map((o) => o.kind));
    for (const disruptive of ['vs-del', 'vs-add', 'rs-del', 'rs-add', 'address-del', 'ipset-destroy']) expect(kinds.has(disruptive as never), disruptive).to.equal(false);
  });

  it('the periodic sync re-reads the kernel and repairs and counts drift; event syncs do not see it', async () => {
    const t = await twoServices();
    await t.periodic();
    expect(t.engine.sources()).to.deep.equal(['read', 'read']);
    expect(t.engine.calls[1]!.report.operations).to.deep.equal([]);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-add' })).to.equal(undefined);

    // ipvsadm -d -t 10.96.0.10:80 -r 10.244.1.2:8080, behind our back.
    const vs = t.engine.kernel.virtualServers.find((v) => v.address === '10.96.0.10')!;
    vs.realServers = vs.realServers.filter((r) => r.address !== '10.244.1.2');
    t.addService(web('c', '10.96.0.12'));
    await t.step(0);
    expect(t.engine.sources().at(-1)).to.equal('record');
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080']);

    await t.periodic();
    expect(t.engine.sources().at(-1)).to.equal('read');
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.deep.equal([
      '+ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 masq weight 1',
    ]);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080', '10.244.1.2:8080']);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-add' })).to.equal(1);
    expect(t.entries.some((e) => e.level === 'warn' && e.message.includes('repaired'))).to.equal(true);
  });

  it('drift whose repair fails is counted once, by the sync that repairs it, and a change queued meanwhile is not drift', async () => {
    const t = await twoServices();
    t.engine.kernel.virtualServers = t.engine.kernel.virtualServers.filter((v) => v.address !== '10.96.0.10');
    t.engine.failNext = new Error('EEXIST');
    await t.periodic();
    expect(t.engine.calls.at(-1)!.report.failures).to.have.length(1);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'vs-add' })).to.equal(undefined);
    // Our own change, queued while the kernel is not known: planned by the retry, not counted.
    t.addService(web('c', '10.96.0.12'));
    await t.periodic();
    expect(t.engine.calls.at(-1)!.report.failures).to.have.length(0);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080', '10.244.1.2:8080']);
    expect(t.engine.kernel.virtualServers.map((v) => v.address)).to.include('10.96.0.12');
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'vs-add' })).to.equal(1);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-add' })).to.equal(2);
  });

  it('a periodic run that also carries queued changes: they are applied at once, and the sync after the read counts only the drift', async () => {
    const t = await twoServices({ minSyncPeriodMs: SYNC });
    // A queued change that the min sync period holds back until the periodic run...
    t.addSlice(endpoints('b', ['10.244.2.1', '10.244.2.2']));
    // ...and drift: a virtual server deleted by hand.
    t.engine.kernel.virtualServers = t.engine.kernel.virtualServers.filter((v) => v.address !== '10.96.0.10');
    await t.step(SYNC);
    expect(t.engine.calls).to.have.length(2);
    expect(t.engine.sources().at(-1)).to.equal('record');
    expect(t.engine.calls[1]!.report.operations.map(describeOp)).to.deep.equal(['+ real server tcp 10.96.0.11:80 -> 10.244.2.2:8080 masq weight 1']);
    // The sync planned against the read, when the min sync period allows.
    await t.step(SYNC);
    expect(t.engine.calls).to.have.length(3);
    expect(t.engine.sources().at(-1)).to.equal('read');
    const ops = t.engine.calls[2]!.report.operations.map(describeOp);
    expect(ops).to.include('+ virtual server tcp 10.96.0.10:80 rr');
    expect(ops).not.to.include('+ real server tcp 10.96.0.11:80 -> 10.244.2.2:8080 masq weight 1');
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'vs-add' })).to.equal(1);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-add' })).to.equal(2); // a's two, not b's new one
  });

  it('the periodic kernel read runs beside event-driven syncs: their changes are neither undone nor counted, drift elsewhere is repaired and counted', async () => {
    const t = await twoServices();
    // Drift before the read: b's only real server deleted by hand.
    const b = t.engine.kernel.virtualServers.find((v) => v.address === '10.96.0.11')!;
    b.realServers = [];
    let release!: () => void;
    t.engine.readGate = new Promise<void>((r) => (release = r));
    const reads = t.engine.kernelReads;
    await t.step(SYNC); // the read starts, and hangs
    expect(t.engine.kernelReads).to.equal(reads + 1);
    expect(t.engine.calls).to.have.length(1);
    // Changes while it runs: each synced at once, against the record, by scope.
    t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.3']));
    await t.step(0);
    t.addService(web('c', '10.96.0.12'));
    t.addSlice(endpoints('c', ['10.244.3.1']));
    await t.step(0);
    expect(t.engine.calls).to.have.length(3);
    expect(t.engine.kernelReads, 'no read of their own').to.equal(reads + 1);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080', '10.244.1.3:8080']);
    // The read ends (it saw a's old real servers and no c): the sync after it repairs b only.
    release();
    await t.step(0);
    await t.step(0);
    expect(t.engine.sources().at(-1)).to.equal('read');
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.deep.equal(['+ real server tcp 10.96.0.11:80 -> 10.244.2.1:8080 masq weight 1']);
    // Planned by scope: what the read found different from the record (the simulated engine checks it
    // against the full plan).
    expect([...t.engine.calls.at(-1)!.options.scope!.virtualServers]).to.deep.equal(['tcp 10.96.0.11:80']);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080', '10.244.1.3:8080']);
    expect(realServers(t.engine, 'tcp 10.96.0.12:80')).to.deep.equal(['10.244.3.1:8080']);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-add' })).to.equal(1);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-del' })).to.equal(undefined);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'vs-del' })).to.equal(undefined);
    expect(t.engine.kernelReads, 'one read').to.equal(reads + 1);
  });

  it('the periodic read gives way to syncs: each of its parts waits for the sync in progress to end', async () => {
    const t = await twoServices();
    let releaseRead!: () => void;
    t.engine.readGate = new Promise<void>((r) => (releaseRead = r));
    await t.step(SYNC); // the read starts beside the syncs
    const yieldTo = t.engine.lastYieldTo!;
    expect(yieldTo, 'the background read was given a way to give way').to.be.a('function');
    let passed = false;
    const settled = async (p: Promise<void>): Promise<boolean> => {
      passed = false;
      void p.then(() => (passed = true));
      await new Promise((r) => setImmediate(r));
      return passed;
    };
    // No sync in progress: it goes on at once.
    expect(await settled(yieldTo())).to.equal(true);
    // A change's sync in progress (its apply held): the read's next part waits for it to end.
    let releaseApply!: () => void;
    t.engine.gate = new Promise<void>((r) => (releaseApply = r));
    t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.3']));
    t.clock.advance(0);
    const waiting = yieldTo();
    expect(await settled(waiting)).to.equal(false);
    releaseApply();
    t.engine.gate = undefined;
    await waiting;
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080', '10.244.1.3:8080']);
    releaseRead();
    await t.step(0);
  });

  it('reads the kernel at most half of the time: after a read longer than the sync period, the next waits as long as it took', async () => {
    let factsAsked = 0;
    // A min sync period of half a period: the change below waits for the next periodic run, and rides it.
    const t = await twoServices({ minSyncPeriodMs: SYNC / 2, nodeFacts: () => (factsAsked++, { nodeIPs: ['192.168.122.10'], localAddresses: ['192.168.122.10'], ipFamilies: ['inet'] }) });
    let release!: () => void;
    t.engine.readGate = new Promise<void>((r) => (release = r));
    const reads = t.engine.kernelReads;
    await t.step(SYNC); // the read starts, and takes 2.5 periods
    await t.step(SYNC);
    await t.step(SYNC);
    await t.step(SYNC / 2);
    expect(t.engine.kernelReads, 'one read, still running').to.equal(reads + 1);
    t.engine.readGate = undefined;
    release();
    await t.step(0);
    await t.step(0);
    expect(t.engine.sources().at(-1)).to.equal('read');
    // Ended 2.5 periods after it began: the periodic runs of the next 2.5 periods start none. Such a run,
    // carrying a change, still asks the node's facts again (no read's sync will this cycle).
    const asked = factsAsked;
    t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.4']));
    await t.step(SYNC / 2);
    expect(t.engine.kernelReads).to.equal(reads + 1);
    expect(factsAsked, 'asked by the periodic run that started no read').to.equal(asked + 1);
    await t.step(SYNC);
    expect(t.engine.kernelReads).to.equal(reads + 1);
    await t.step(SYNC);
    expect(t.engine.kernelReads, 'the next read').to.equal(reads + 2);
  });

  it('a sync that fails while the periodic read runs makes the read unusable: the next sync reads the kernel itself', async () => {
    const t = await twoServices();
    let release!: () => void;
    t.engine.readGate = new Promise<void>((r) => (release = r));
    await t.step(SYNC);
    t.engine.readGate = undefined; // for the reads that follow
    t.engine.failNext = new KernelError('NEW_DEST', 'tcp 10.96.0.10:80', 12, 'out of memory');
    t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.2', '10.244.1.3']));
    await t.step(0);
    expect(t.engine.calls.at(-1)!.report.failures).to.have.length(1);
    const reads = t.engine.kernelReads;
    release();
    await t.step(0);
    await t.step(0);
    // Not planned against the stale read: a read of its own.
    expect(t.engine.sources().at(-1)).to.equal('read');
    expect(t.engine.kernelReads).to.equal(reads + 1);
    expect(t.engine.calls.at(-1)!.options.observed).to.equal(undefined);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.have.length(3);
    expect(t.entries.some((e) => e.message.includes('periodic kernel read not usable') && String(e['reason']).includes('sync failed'))).to.equal(true);
  });

  it('a periodic read that fails: the next sync reads the kernel itself, and repairs', async () => {
    const t = await twoServices();
    t.engine.kernel.virtualServers = t.engine.kernel.virtualServers.filter((v) => v.address !== '10.96.0.10');
    t.engine.failNextRead = new Error('netlink dump timed out');
    await t.periodic();
    expect(t.engine.sources().at(-1)).to.equal('read');
    expect(t.engine.calls.at(-1)!.options.observed).to.equal(undefined);
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.include('+ virtual server tcp 10.96.0.10:80 rr');
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'vs-add' })).to.equal(1);
  });

  it('asks the node facts at the first sync, each periodic cycle and Node change; the event-driven syncs between reuse them', async () => {
    let asked = 0;
    let localAddresses = ['192.168.122.10'];
    const t = await twoServices({
      nodeFacts: () => {
        asked++;
        return { nodeIPs: ['192.168.122.10'], localAddresses, ipFamilies: ['inet'] };
      },
    });
    expect(asked).to.equal(1);
    t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.2', '10.244.1.3']));
    await t.step(0);
    t.addService(web('c', '10.96.0.12', { externalIPs: ['192.168.122.20'] }));
    await t.step(0);
    expect(t.engine.calls).to.have.length(3);
    expect(asked, 'not asked by event-driven syncs').to.equal(1);
    expect(t.engine.kernel.interface!.addresses).to.include('192.168.122.20/32');
    // The externalIP added to the host (a local externalIP is not bound to kube-ipvs0): seen by the next periodic cycle.
    localAddresses = ['192.168.122.10', '192.168.122.20'];
    t.addSlice(endpoints('b', ['10.244.2.1', '10.244.2.2']));
    await t.step(0);
    expect(asked).to.equal(1);
    expect(t.engine.kernel.interface!.addresses).to.include('192.168.122.20/32');
    await t.periodic();
    expect(asked).to.equal(2);
    expect(t.engine.kernel.interface!.addresses).to.not.include('192.168.122.20/32');
    t.proxier.onNodeChange({ metadata: { name: 'node-1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.122.10' }] } });
    await t.step(0);
    expect(asked).to.equal(3);
    // A cycle whose periodic run carries a change (it starts the read, then syncs the change): still one
    // ask, by the sync after the read.
    {
      t.addSlice(endpoints('a', ['10.244.1.1']));
      await t.periodic();
      expect(asked, 'not asked by the run that starts the read').to.equal(3);
      await t.step(0);
      expect(t.engine.sources().at(-1)).to.equal('read');
      expect(asked).to.equal(4);
    }
  });

  it('with periodicReadInBackground off, the periodic sync reads the kernel itself (kube-proxy\'s way)', async () => {
    const t = await twoServices({ periodicReadInBackground: false });
    t.engine.kernel.virtualServers = t.engine.kernel.virtualServers.filter((v) => v.address !== '10.96.0.10');
    await t.step(SYNC);
    expect(t.engine.calls.at(-1)!.options.observed).to.equal(undefined);
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.include('+ virtual server tcp 10.96.0.10:80 rr');
  });

  it('retries a failed sync after the retry interval, reading the kernel; health waits for success', async () => {
    const t = await twoServices();
    expect(t.health.status().healthy).to.equal(true);
    t.engine.failNext = new KernelError('NEW_DEST', 'tcp 10.96.0.10:80', 12, 'out of memory');
    t.addSlice(endpoints('a', ['10.244.1.1', '10.244.1.2', '10.244.1.3']));
    await t.step(0);
    expect(t.engine.calls.at(-1)!.report.failures).to.have.length(1);
    expect(await metricValue(t.metrics, 'ipvs_proxier_sync_errors_total')).to.equal(1);
    expect(t.entries.some((e) => e.level === 'error' && e.message === 'sync failed; retrying' && String(e['error']).includes('ENOMEM'))).to.equal(true);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.have.length(2);

    await t.step(RETRY - 1);
    expect(t.engine.calls).to.have.length(2);
    await t.step(1);
    expect(t.engine.calls).to.have.length(3);
    expect(t.engine.sources().at(-1)).to.equal('read');
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.have.length(3);
    // And then back to partial syncs.
    t.addService(web('c', '10.96.0.12'));
    await t.step(0);
    expect(t.engine.sources().at(-1)).to.equal('record');
  });

  it('health: 503 before the first sync, 200 after, 503 once a queued change waited over 2 x sync period', async () => {
    const t = setup();
    t.addService(web('a', '10.96.0.10'));
    expect(t.health.status().healthy).to.equal(false);
    t.proxier.start();
    await t.step(0);
    expect(t.health.status().healthy).to.equal(true);
    expect(new Date(t.health.status().body.lastUpdated).getTime()).to.equal(T0);

    t.engine.failAlways = new KernelError('NEW_SERVICE', 'tcp 10.96.0.11:80', 12);
    t.addService(web('b', '10.96.0.11'));
    await t.step(2 * SYNC);
    expect(t.health.status().healthy).to.equal(true); // exactly 2 x sync period: not yet
    await t.step(1);
    expect(t.health.status().healthy).to.equal(false);
    t.engine.failAlways = undefined;
    await t.step(RETRY);
    expect(t.health.status().healthy).to.equal(true);
  });

  it('health: nodeEligible follows the Node\'s deletion and the autoscaler taint', () => {
    const t = setup();
    const node = (extra: Partial<V1Node>): V1Node => ({ metadata: { name: 'node-1' }, ...extra });
    t.proxier.onNodeChange(node({}));
    expect(t.health.status().body.nodeEligible).to.equal(true);
    t.proxier.onNodeChange(node({ spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } }));
    expect(t.health.status().body.nodeEligible).to.equal(false);
    t.proxier.onNodeChange(node({ spec: { taints: [{ key: 'other', effect: 'NoSchedule' }] } }));
    expect(t.health.status().body.nodeEligible).to.equal(true);
    t.proxier.onNodeChange(node({ metadata: { name: 'node-1', deletionTimestamp: new Date(T0) } }));
    expect(t.health.status().body.nodeEligible).to.equal(false);
  });

  it('metrics: sync timestamps, change counters, kernel operations by kind, network programming latency', async () => {
    const t = setup();
    t.addService(web('a', '10.96.0.10'));
    t.proxier.start();
    await t.step(0);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds')).to.equal(T0 / 1000);
    expect(await metricValue(t.metrics, 'ipvs_proxier_kernel_operations_total', { kind: 'vs-add' })).to.equal(1);
    expect(await metricValue(t.metrics, 'ipvs_proxier_kernel_operations_total', { kind: 'address-add' })).to.equal(1);

    await t.step(1000);
    // The EndpointSlice controller saw the Pod change 0.5 s before now.
    const trigger = new Date(T0 + 500).toISOString();
    t.addSlice(endpoints('a', ['10.244.1.1'], { [TRIGGER_TIME_ANNOTATION]: trigger }));
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending')).to.equal(1);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds')).to.equal((T0 + 1000) / 1000);
    await t.step(0);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending')).to.equal(0);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_endpoint_changes_total')).to.equal(1);
    expect(await metricValue(t.metrics, 'kubeproxy_network_programming_duration_seconds_count')).to.equal(1);
    expect(await metricValue(t.metrics, 'kubeproxy_network_programming_duration_seconds_sum')).to.equal(0.5);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count')).to.equal(2);
    expect(await metricValue(t.metrics, 'ipvs_proxier_kernel_operations_per_sync_count')).to.equal(2);
  });

  it('ignores change trigger times from before the proxier started', async () => {
    const t = setup();
    t.addService(web('a', '10.96.0.10'));
    t.addSlice(endpoints('a', ['10.244.1.1'], { [TRIGGER_TIME_ANNOTATION]: new Date(T0 - 3_600_000).toISOString() }));
    t.proxier.start();
    await t.step(0);
    expect(await metricValue(t.metrics, 'kubeproxy_network_programming_duration_seconds_count')).to.equal(0);
  });

  it('metrics: no-local-endpoints per traffic policy and family', async () => {
    const t = setup();
    t.addService(web('local', '10.96.0.30', { internalTrafficPolicy: 'Local' }));
    t.addSlice(slice('local-1', 'local', [{ name: 'http', port: 8080 }], [{ ip: '10.244.5.5', node: 'node-2', ready: true }]));
    t.proxier.start();
    await t.step(0);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { traffic_policy: 'internal', ip_family: 'IPv4' })).to.equal(1);
    expect(await metricValue(t.metrics, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { traffic_policy: 'external', ip_family: 'IPv4' })).to.equal(0);
  });

  it('a bad Service is logged once with namespace/name at warn and the others are programmed', async () => {
    const t = setup();
    t.addService({ ...web('bad', '10.96.0.999'), metadata: { name: 'bad', namespace: 'shop' } });
    t.addService(web('good', '10.96.0.10'));
    t.proxier.start();
    await t.step(0);
    await t.periodic();
    expect(t.engine.kernel.virtualServers.map((v) => v.address)).to.deep.equal(['10.96.0.10']);
    const warnings = t.entries.filter((e) => e.level === 'warn' && e['service'] === 'shop/bad');
    expect(warnings).to.have.length(1);
    expect(String(warnings[0]!['reason'])).to.include('invalid cluster IP');
    expect(await metricValue(t.metrics, 'ipvs_proxier_sync_errors_total')).to.equal(0);
  });

  it("a Service's own scheduler the kernel lacks (annotation, ENOENT): that Service is skipped and named, the others converge", async () => {
    const engine = new SimulatedEngine();
    engine.missingSchedulers.add('twos');
    const t = setup({}, engine);
    const odd = web('a', '10.96.0.10');
    odd.metadata!.annotations = { 'ipvs-proxier.io/scheduler': 'twos' };
    t.addService(odd);
    t.addSlice(endpoints('a', ['10.244.1.1']));
    t.addService(web('b', '10.96.0.11'));
    t.addSlice(endpoints('b', ['10.244.2.1']));
    t.proxier.start();
    await t.step(0);
    expect(t.engine.calls[0]!.report.failures.map((f) => f.error.message)).to.deep.equal(['NEW_SERVICE tcp 10.96.0.10:80: ENOENT']);
    expect(t.entries.filter((e) => e.level === 'error' && e['scheduler'] === 'twos')).to.have.length(1);
    await t.step(RETRY);
    expect(t.fatal).to.deep.equal([]);
    expect(realServers(t.engine, 'tcp 10.96.0.11:80')).to.deep.equal(['10.244.2.1:8080']);
    expect(t.engine.kernel.virtualServers.some((v) => v.address === '10.96.0.10')).to.equal(false);
    const problem = t.entries.find((e) => e.level === 'warn' && e['service'] === 'default/a');
    expect(String(problem?.['reason'])).to.include('ip_vs_twos');
    expect(t.engine.calls.at(-1)!.report.failures).to.deep.equal([]);
  });

  it('a missing scheduler module (ENOENT on NEW_SERVICE with --ipvs-scheduler) is fatal', async () => {
    const engine = new SimulatedEngine();
    const t = setup({ config: { nodeName: 'node-1', clusterCIDRs: [], masqueradeAll: false, scheduler: 'mh' } }, engine);
    t.addService(web('a', '10.96.0.10'));
    t.proxier.start();
    // The kernel refuses the virtual server (ledger operations before it succeed).
    const real = engine.apply.bind(engine);
    engine.apply = async (desired, options) => {
      const r = await real(desired, options);
      const vsAdd = r.operations.find((o) => o.kind === 'vs-add');
      if (!options?.dryRun && vsAdd) return { ...r, failures: [{ operation: vsAdd, error: new KernelError('NEW_SERVICE', 'tcp 10.96.0.10:80', 2) }] };
      return r;
    };
    await t.step(0);
    expect(t.fatal).to.have.length(1);
    expect(t.fatal[0]!.message).to.include('ip_vs_mh').and.include('--ipvs-scheduler');
  });

  it('a sync that removes a TCP real server reads the connection counts of that virtual server only, for graceful termination', async () => {
    const t = await twoServices();
    t.engine.kernel.connections = new Map([['tcp 10.96.0.10:80', new Map([['10.244.1.2:8080', 3]])]]);
    const reads = t.engine.kernelReads;
    t.addSlice(endpoints('a', ['10.244.1.1']));
    await t.step(0);
    const call = t.engine.calls.at(-1)!;
    expect(t.engine.kernelReads, 'no full kernel read').to.equal(reads);
    expect(t.engine.connectionReads).to.deep.equal([['tcp 10.96.0.10:80']]);
    expect(call.options.observed?.virtualServers).to.equal(t.engine.calls.at(-2)!.report.after.virtualServers);
    expect(call.options.gracefulTermination).to.equal(true);
    expect(call.report.operations.map(describeOp)).to.deep.equal([
      '~ real server tcp 10.96.0.10:80 -> 10.244.1.2:8080 weight 1 -> 0 (graceful termination: 3 connections draining)',
    ]);
    // Connections gone: the periodic sync deletes it, and that is not drift.
    t.engine.kernel.connections = new Map();
    await t.periodic();
    expect(t.engine.calls.at(-1)!.report.operations.map(describeOp)).to.deep.equal(['- real server tcp 10.96.0.10:80 -> 10.244.1.2:8080']);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-del' })).to.equal(undefined);
  });

  it('--ipvs-exclude-cidrs: a deleted Service in those CIDRs keeps its virtual server; one outside loses it', async () => {
    const t = await twoServices({ config: { nodeName: 'node-1', clusterCIDRs: ['10.244.0.0/16'], masqueradeAll: false, scheduler: 'rr', excludeCIDRs: ['10.96.0.10/32'] } });
    t.proxier.onServiceChange('default/a', undefined);
    t.proxier.onServiceChange('default/b', undefined);
    await t.step(0);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80'), 'in 10.96.0.10/32: kept').to.deep.equal(['10.244.1.1:8080', '10.244.1.2:8080']);
    expect(t.engine.kernel.virtualServers.some((v) => v.address === '10.96.0.11'), '10.96.0.11: deleted').to.equal(false);
    // The periodic sync re-reads the kernel and still leaves it; it is not drift either.
    await t.periodic();
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080', '10.244.1.2:8080']);
    expect(await metricValue(t.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'vs-del' })).to.equal(undefined);
  });

  it('when the connection counts cannot be read, that sync reads the whole kernel instead', async () => {
    const t = await twoServices();
    t.engine.readConnections = async () => {
      throw new Error('GET_DEST dump: ENOBUFS');
    };
    const reads = t.engine.kernelReads;
    t.addSlice(endpoints('a', ['10.244.1.1']));
    await t.step(0);
    expect(t.engine.sources().at(-1)).to.equal('read');
    expect(t.engine.kernelReads).to.equal(reads + 1);
    expect(realServers(t.engine, 'tcp 10.96.0.10:80')).to.deep.equal(['10.244.1.1:8080']);
  });

  it('stop() waits for the sync in progress and schedules nothing more', async () => {
    const t = setup();
    let release!: () => void;
    t.engine.gate = new Promise((r) => (release = r));
    t.addService(web('a', '10.96.0.10'));
    t.proxier.start();
    t.clock.advance(0);
    const stopped = t.proxier.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).to.equal(false);
    release();
    await stopped;
    expect(t.engine.calls).to.have.length(1);
    t.engine.gate = undefined;
    t.addService(web('b', '10.96.0.11'));
    await t.step(10 * SYNC);
    expect(t.engine.calls).to.have.length(1);
    expect(t.clock.pendingTimers()).to.equal(0);
  });
});
