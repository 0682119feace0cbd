// The sync loop under hostile input (issue 10): hundreds of bad and extreme objects next to good Services,
// several periodic syncs. Each problem is logged once, with namespace/name, when it first appears; not again
// on later syncs; again when it changes or comes back after being fixed. The loop never fails a sync over
// them and the good Services stay programmed.
import type { V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ProxierHealth } from '../../../lib/health/proxier-health.js';
import { objectKey } from '../../../lib/kube/change-tracker.js';
import { createProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';
import { buildDesiredState } from '../../../lib/proxier/desired-state.js';
import { Proxier } from '../../../lib/proxier/proxier.js';
import type { NodeConfig, Problem } from '../../../lib/proxier/types.js';
import { FakeClock } from '../../../lib/sync/clock.js';
import { GOOD_NAMES, goodObjects } from '../../hostile/good-objects.js';
import { generateHostile, isEndpointSlice, isService } from '../../hostile/hostile-objects.js';
import { captureLogger, type LogEntry } from '../log/capture-logger.js';
import { SimulatedEngine } from './simulated-engine.js';

const SYNC = 30_000;
const CONFIG = { nodeName: 'node-1', clusterCIDRs: ['10.244.0.0/16'], masqueradeAll: false, scheduler: 'rr' };
const FACTS = { nodeIPs: ['192.168.122.10'], localAddresses: ['192.168.122.10'], ipFamilies: ['inet' as const] };

/** A problem as the proxier logs it: "service" is namespace/name ("" for the node's own problems). */
function logged(e: LogEntry): string {
  return JSON.stringify([e['service'] ?? '', e['field'], e['reason']]);
}

function problemKey(p: Problem): string {
  return JSON.stringify([p.namespace === '' && p.name === '' ? '' : `${p.namespace}/${p.name}`, p.field, p.reason]);
}

function setup() {
  const clock = new FakeClock(1_700_000_000_000);
  const engine = new SimulatedEngine();
  const metrics = createProxierMetrics();
  const { log, entries } = captureLogger();
  const proxier = new Proxier({
    engine, clock, log, metrics, health: new ProxierHealth(() => clock.now(), 2 * SYNC),
    config: CONFIG, nodeFacts: () => FACTS, syncPeriodMs: SYNC, minSyncPeriodMs: 0,
  });
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await proxier.idle();
    await new Promise((r) => setImmediate(r));
  };
  const problemLines = () => entries.filter((e) => e.level === 'warn' && (e.message === 'service not fully programmed' || e.message === 'node configuration problem'));
  return { engine, metrics, proxier, step, problemLines, entries };
}

describe('Proxier under hostile input: each problem logged once', function () {
  this.timeout(60_000);

  it('400 hostile objects, 4 syncs: every problem logged exactly once with namespace/name; changes, fixes and relapses logged as they happen', async () => {
    const good = goodObjects();
    const hostile = generateHostile({ seed: 11, count: 400, claimable: good.claimable, goodServices: GOOD_NAMES, maxPorts: 50, maxEndpoints: 500 });
    const services = [...good.services, ...hostile.filter(isService).map((h) => h.object)];
    const slices = [...good.slices, ...hostile.filter(isEndpointSlice).map((h) => h.object)];
    const t = setup();
    for (const s of services) t.proxier.onServiceChange(objectKey(s), s);
    for (const s of slices) t.proxier.onEndpointSliceChange(objectKey(s), s);
    t.proxier.start();
    for (let i = 0; i < 4; i++) await t.step(i === 0 ? 0 : SYNC);

    const node: NodeConfig = { ...CONFIG, ...FACTS, zone: '', unavailableSchedulers: [] };
    const expected = buildDesiredState({ services, endpointSlices: slices, node }).problems.map(problemKey);
    const lines = t.problemLines().map(logged);
    expect(lines.length, 'problem lines').to.equal(new Set(lines).size);
    expect([...new Set(lines)].sort()).to.deep.equal([...new Set(expected)].sort());
    for (const e of t.problemLines().filter((x) => x.message === 'service not fully programmed')) {
      expect(String(e['service']), 'namespace/name').to.match(/^[^/]*\/[^/]*$/);
    }
    expect(t.engine.calls.every((c) => c.report.failures.length === 0), 'no failed apply').to.equal(true);
    expect(t.entries.filter((e) => e.level === 'error'), 'errors logged').to.deep.equal([]);
    const kernel = new Set(t.engine.kernel.virtualServers.map((v) => `${v.protocol} ${v.address}:${v.port}`));
    for (const k of ['tcp 10.96.0.10:80', 'udp 10.96.0.10:53', 'tcp 10.96.0.11:8080', 'tcp 192.168.122.10:30080', 'tcp 10.96.0.12:443', 'tcp 192.0.2.10:443', 'tcp 10.96.0.13:8443', 'tcp 192.0.2.20:8443']) {
      expect(kernel.has(k), `good virtual server ${k}`).to.equal(true);
    }

    // One bad Service changes its flaw, is fixed, then breaks again the first way.
    const victim = hostile.find((h) => isService(h) && h.what.startsWith('cluster IP '))!.object as V1Service;
    const withIP = (ip: string): V1Service => ({ ...victim, spec: { ...victim.spec!, clusterIP: ip, clusterIPs: [ip] } });
    const linesFor = () => t.problemLines().filter((e) => e['service'] === `hostile/${victim.metadata!.name}`).map((e) => String(e['reason']));
    const before = t.problemLines().length;
    t.proxier.onServiceChange(objectKey(victim), withIP('10.96.0.1000'));
    await t.step(0);
    await t.step(SYNC);
    expect(linesFor().slice(1)).to.deep.equal(['invalid cluster IP "10.96.0.1000"; Service skipped']);
    t.proxier.onServiceChange(objectKey(victim), withIP('10.99.0.1'));
    await t.step(0);
    expect(kernel.size).to.be.greaterThan(0);
    expect(t.engine.kernel.virtualServers.some((v) => v.address === '10.99.0.1'), 'the fixed Service is programmed').to.equal(true);
    t.proxier.onServiceChange(objectKey(victim), victim);
    await t.step(0);
    await t.step(SYNC);
    expect(linesFor()).to.have.length(3);
    expect(linesFor()[2]).to.equal(linesFor()[0]);
    expect(t.problemLines().length - before, 'nothing else logged again').to.equal(2);
  });
});
