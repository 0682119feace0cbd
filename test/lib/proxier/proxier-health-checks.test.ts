// The sync loop's side of the healthCheckNodePorts: the wanted ports go to the service health servers after
// each successful sync only (as kube-proxy's SyncServices/SyncEndpoints follow its restore), with the node
// facts of that sync; a failing hook is logged and never fails the sync.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ProxierHealth } from '../../../lib/health/proxier-health.js';
import { objectKey } from '../../../lib/kube/change-tracker.js';
import { createProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';
import type { HealthCheckPorts } from '../../../lib/proxier/health-check-ports.js';
import { Proxier, type NodeFacts, type ProxierOptions } from '../../../lib/proxier/proxier.js';
import { FakeClock } from '../../../lib/sync/clock.js';
import { captureLogger } from '../log/capture-logger.js';
import { service, slice } from './fixtures.js';
import { SimulatedEngine } from './simulated-engine.js';

const SYNC = 30_000;
const FACTS: NodeFacts = { nodeIPs: ['192.168.122.10'], localAddresses: ['192.168.122.10'], ipFamilies: ['inet'] };

function setup(serviceHealth: ProxierOptions['serviceHealth']) {
  const clock = new FakeClock();
  const { log, entries } = captureLogger();
  const engine = new SimulatedEngine();
  const proxier = new Proxier({
    engine, clock, log, metrics: createProxierMetrics(), health: new ProxierHealth(() => clock.now(), 2 * SYNC),
    config: { nodeName: 'node-1', clusterCIDRs: ['10.244.0.0/16'], masqueradeAll: false, scheduler: 'rr' },
    nodeFacts: () => FACTS, syncPeriodMs: SYNC, minSyncPeriodMs: 0, retryPeriodMs: 5000, serviceHealth,
  });
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await proxier.idle();
    await new Promise((r) => setImmediate(r));
  };
  return { proxier, engine, entries, step };
}

const lb = (hc: number): V1Service => service('web', {
  type: 'LoadBalancer', clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30'], externalTrafficPolicy: 'Local', healthCheckNodePort: hc,
  ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }],
});
const eps = (node: string): V1EndpointSlice => slice('web-1', 'web', [{ name: 'http', port: 8080, protocol: 'TCP' }], [{ ip: '10.244.1.2', node, ready: true }]);

describe('Proxier: health-check node ports after each sync', () => {
  it('hands over the wanted ports and that sync\'s node facts; follows endpoint and Service changes', async () => {
    const calls: { wanted: Record<number, unknown>; facts: NodeFacts }[] = [];
    const t = setup(async (wanted: HealthCheckPorts, facts) => void calls.push({ wanted: Object.fromEntries(wanted), facts }));
    t.proxier.onServiceChange(objectKey(lb(32100)), lb(32100));
    t.proxier.onEndpointSliceChange(objectKey(eps('node-2')), eps('node-2'));
    t.proxier.start();
    await t.step(0);
    expect(calls).to.deep.equal([{ wanted: { 32100: { namespace: 'default', name: 'web', localEndpoints: 0 } }, facts: FACTS }]);

    t.proxier.onEndpointSliceChange(objectKey(eps('node-1')), eps('node-1'));
    await t.step(0);
    expect(calls.at(-1)!.wanted).to.deep.equal({ 32100: { namespace: 'default', name: 'web', localEndpoints: 1 } });

    t.proxier.onServiceChange(objectKey(lb(32100)), undefined);
    await t.step(0);
    expect(calls.at(-1)!.wanted).to.deep.equal({});
    await t.proxier.stop();
  });

  it('a failed sync does not update the health checks; the retry does', async () => {
    const calls: Record<number, unknown>[] = [];
    const t = setup(async (wanted) => void calls.push(Object.fromEntries(wanted)));
    t.engine.failNext = new Error('refused');
    t.proxier.onServiceChange(objectKey(lb(32100)), lb(32100));
    t.proxier.start();
    await t.step(0);
    expect(calls).to.deep.equal([]);
    await t.step(5000);
    expect(calls).to.deep.equal([{ 32100: { namespace: 'default', name: 'web', localEndpoints: 0 } }]);
    await t.proxier.stop();
  });

  it('an error from the health servers is logged; the sync still succeeds', async () => {
    const t = setup(async () => {
      throw new Error('boom');
    });
    t.proxier.onServiceChange(objectKey(lb(32100)), lb(32100));
    t.proxier.start();
    await t.step(0);
    expect(t.entries.filter((e) => e.level === 'error').map((e) => [e.message, e['error']])).to.deep.equal([['health check node ports not updated', 'boom']]);
    expect(t.engine.calls).to.have.length(1);
    expect(t.engine.calls[0]!.report.failures).to.deep.equal([]);
    await t.proxier.stop();
  });

  it('two Services on one port: the problem is logged with the Service\'s name', async () => {
    const t = setup(async () => undefined);
    const first = lb(32100);
    first.metadata!.creationTimestamp = new Date('2020-01-01T00:00:00Z');
    const other = { ...lb(32100), metadata: { name: 'web2', namespace: 'default', creationTimestamp: new Date('2030-01-01T00:00:00Z') } };
    other.spec = { ...other.spec!, clusterIP: '10.96.0.31', clusterIPs: ['10.96.0.31'], ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30081 }] };
    t.proxier.onServiceChange(objectKey(first), first);
    t.proxier.onServiceChange(objectKey(other), other);
    t.proxier.start();
    await t.step(0);
    const warn = t.entries.find((e) => e.level === 'warn' && e['field'] === 'spec.healthCheckNodePort');
    expect(warn).to.include({ service: 'default/web2' });
    await t.proxier.stop();
  });
});
