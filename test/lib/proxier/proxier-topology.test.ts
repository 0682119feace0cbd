// The sync loop and the Node's zone label: a zone change alone re-programs the hinted Services; label and status
// churn that does not touch the zone (or the InternalIPs) asks for no sync.
import type { V1EndpointSlice, V1Node } from '@kubernetes/client-node';
import { expect } from 'chai';
import winston from 'winston';
import { ProxierHealth } from '../../../lib/health/proxier-health.js';
import { objectKey } from '../../../lib/kube/change-tracker.js';
import { createProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';
import { Proxier } from '../../../lib/proxier/proxier.js';
import { ZONE_LABEL } from '../../../lib/proxier/topology.js';
import { FakeClock } from '../../../lib/sync/clock.js';
import { service, slice } from './fixtures.js';
import { SimulatedEngine } from './simulated-engine.js';

const SYNC = 30_000;

function zoned(zone: string | undefined, extraLabels: Record<string, string> = {}, heartbeat = 'a'): V1Node {
  const labels = { ...extraLabels, ...(zone === undefined ? {} : { [ZONE_LABEL]: zone }) };
  return {
    metadata: { name: 'node-1', labels },
    status: {
      addresses: [{ type: 'InternalIP', address: '192.168.122.10' }],
      conditions: [{ type: 'Ready', status: 'True', reason: heartbeat }],
    },
  };
}

/** web's endpoints: one hinted for zone-a, one for zone-b. */
function hintedSlice(): V1EndpointSlice {
  const s = slice('web-1', 'web', [{ name: 'http', port: 8080, protocol: 'TCP' }], [
    { ip: '10.244.1.1', node: 'node-2', ready: true },
    { ip: '10.244.2.1', node: 'node-3', ready: true },
  ]);
  const [a, b] = s.endpoints ?? [];
  a!.hints = { forZones: [{ name: 'zone-a' }] };
  b!.hints = { forZones: [{ name: 'zone-b' }] };
  return s;
}

async function started(initial: V1Node) {
  const clock = new FakeClock(1_700_000_000_000);
  const engine = new SimulatedEngine();
  const proxier = new Proxier({
    engine, clock,
    log: winston.createLogger({ silent: true }),
    metrics: createProxierMetrics(),
    health: new ProxierHealth(() => clock.now(), 2 * SYNC),
    config: { nodeName: 'node-1', clusterCIDRs: ['10.244.0.0/16'], masqueradeAll: false, scheduler: 'rr' },
    nodeFacts: () => ({ nodeIPs: ['192.168.122.10'], localAddresses: ['192.168.122.10'], ipFamilies: ['inet'] }),
    syncPeriodMs: SYNC,
    minSyncPeriodMs: 0,
  });
  const settle = async (): Promise<void> => {
    clock.advance(0);
    await proxier.idle();
    await new Promise((r) => setImmediate(r));
  };
  const svc = service('web', { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  proxier.onServiceChange(objectKey(svc), svc);
  const s = hintedSlice();
  proxier.onEndpointSliceChange(objectKey(s), s);
  proxier.onNodeChange(initial);
  proxier.start();
  await settle();
  const realServers = (): string[] =>
    (engine.kernel.virtualServers.find((v) => v.address === '10.96.0.10')?.realServers ?? []).map((r) => r.address);
  return { proxier, engine, settle, realServers };
}

describe('Proxier and the Node\'s zone label', () => {
  it('a zone label change alone re-programs the hinted endpoints', async () => {
    const t = await started(zoned('zone-a'));
    expect(t.realServers()).to.deep.equal(['10.244.1.1']);
    t.proxier.onNodeChange(zoned('zone-b'));
    await t.settle();
    expect(t.engine.calls).to.have.length(2);
    expect(t.realServers()).to.deep.equal(['10.244.2.1']);
    // Label removed: no zone, so every endpoint.
    t.proxier.onNodeChange(zoned(undefined));
    await t.settle();
    expect(t.realServers()).to.deep.equal(['10.244.1.1', '10.244.2.1']);
  });

  it('other labels and status heartbeats ask for no sync', async () => {
    const t = await started(zoned('zone-a'));
    t.proxier.onNodeChange(zoned('zone-a', { 'node-role.kubernetes.io/worker': '' }, 'b'));
    t.proxier.onNodeChange(zoned('zone-a', { 'topology.kubernetes.io/region': 'eu' }, 'c'));
    await t.settle();
    expect(t.engine.calls).to.have.length(1);
    expect(t.realServers()).to.deep.equal(['10.244.1.1']);
  });
});
