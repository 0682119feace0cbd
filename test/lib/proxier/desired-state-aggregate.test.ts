// Property: after any sequence of Service / EndpointSlice events (and the odd node change), the desired state
// kept per Service equals the one built from scratch, and what changed lies inside the scope it reports.
// Small pools of addresses, ports, node ports and creation times make contested virtual servers, shared
// set members and ties in age common. A failure prints its seed.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { StateScope } from '../../../lib/engine/scope.js';
import { DesiredStateAggregate } from '../../../lib/proxier/desired-state-aggregate.js';
import { buildDesiredState } from '../../../lib/proxier/desired-state.js';
import type { NodeConfig } from '../../../lib/proxier/types.js';
import type { State } from '../../../lib/state/types.js';
import { Rng } from '../engine/helpers/prng.js';
import { differences } from '../engine/helpers/state-differences.js';
import { node, service, slice, type Ep } from './fixtures.js';

const SEQUENCES = 40;
const EVENTS = 50;

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];
const NAMESPACES = ['default', 'other'];
const CLUSTER_V4 = ['10.96.0.1', '10.96.0.2', '10.96.0.3'];
const CLUSTER_V6 = ['fd00::1', 'fd00::2'];
const EXTERNAL = ['192.0.2.1', '192.0.2.2', '192.168.122.10', 'fd00:e::1'];
const LB = ['198.51.100.1', '198.51.100.2', 'fd00:1b::1'];
const SOURCE_RANGES = ['203.0.113.0/24', '192.168.122.0/24', 'fd00:5::/64'];
const CREATED = ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', undefined];
const PODS_V4 = ['10.244.1.1', '10.244.1.2', '10.244.2.1', '10.244.2.2', 'not-an-ip'];
const PODS_V6 = ['fd00:10::1', 'fd00:10::2'];

function randomService(rng: Rng, namespace: string, name: string): V1Service {
  const type = rng.pick(['ClusterIP', 'NodePort', 'LoadBalancer', 'ClusterIP', 'ExternalName']);
  const clusterIPs = [rng.pick(CLUSTER_V4)];
  if (rng.chance(0.3)) clusterIPs.push(rng.pick(CLUSTER_V6));
  if (rng.chance(0.05)) clusterIPs[0] = 'None';
  const ports = rng.subset([
    { name: 'http', port: 80, protocol: 'TCP', nodePort: rng.pick([30080, 30081]) },
    { name: 'dns', port: 53, protocol: 'UDP', nodePort: rng.pick([30053, 30081]) },
    { name: 'sctp', port: 80, protocol: 'SCTP', nodePort: 30090 },
  ], 0.6);
  if (rng.chance(0.03)) ports.push({ name: 'bad', port: 70000, protocol: 'TCP', nodePort: 0 });
  const spec: NonNullable<V1Service['spec']> = {
    type, clusterIP: clusterIPs[0], clusterIPs, ports,
    externalIPs: rng.subset(EXTERNAL, 0.25),
    externalTrafficPolicy: rng.pick(['Cluster', 'Local']),
    internalTrafficPolicy: rng.pick(['Cluster', 'Local', 'Cluster']),
  };
  if (type === 'LoadBalancer') {
    spec.healthCheckNodePort = rng.pick([31000, 31001]);
    spec.loadBalancerSourceRanges = rng.subset(SOURCE_RANGES, 0.3);
  }
  if (rng.chance(0.2)) spec.sessionAffinity = 'ClientIP';
  const created = rng.pick(CREATED);
  const lbIngress = type === 'LoadBalancer' ? rng.subset(LB, 0.5).map((ip) => ({ ip })) : undefined;
  return service(name, spec, { namespace, ...(created ? { created } : {}), ...(lbIngress ? { lbIngress } : {}) });
}

function randomSlice(rng: Rng, namespace: string, sliceName: string): V1EndpointSlice {
  const v6 = rng.chance(0.25);
  const endpoints: Ep[] = rng.subset(v6 ? PODS_V6 : PODS_V4, 0.5).map((ip) => ({
    ip,
    node: rng.pick(['node-1', 'node-2']),
    ready: rng.chance(0.8),
    serving: rng.chance(0.9),
    terminating: rng.chance(0.2),
  }));
  const ports = rng.subset([{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'sctp', port: 9090, protocol: 'SCTP' }], 0.7);
  return slice(sliceName, rng.pick(NAMES), ports, endpoints, { namespace, addressType: v6 ? 'IPv6' : 'IPv4' });
}

function randomNode(rng: Rng): NodeConfig {
  return node({
    nodeIPs: rng.subset(['192.168.122.10', '192.168.122.11', 'fd00:1::10'], 0.7),
    ipFamilies: rng.chance(0.7) ? ['inet', 'inet6'] : ['inet'],
    zone: rng.pick(['', 'zone-a']),
  });
}

function expectWithin(diff: StateScope, scope: StateScope, context: string): void {
  for (const key of diff.virtualServers) expect(scope.virtualServers.has(key), `${context}: virtual server ${key} changed outside the scope`).to.equal(true);
  for (const [name, members] of diff.ipsetMembers) {
    for (const m of members) expect(scope.ipsetMembers.get(name)?.has(m), `${context}: ${name} member ${m} changed outside the scope`).to.equal(true);
  }
  for (const a of diff.addresses) expect(scope.addresses.has(a), `${context}: address ${a} changed outside the scope`).to.equal(true);
}

function run(seed: number): void {
  const rng = new Rng(seed);
  const services = new Map<string, V1Service>();
  const slices = new Map<string, V1EndpointSlice>();
  let config = randomNode(rng);
  const aggregate = new DesiredStateAggregate();
  let previous: State | undefined;
  let previousText = '';
  for (let event = 0; event < EVENTS; event++) {
    const changes = { services: new Map<string, V1Service | undefined>(), endpointSlices: new Map<string, V1EndpointSlice | undefined>() };
    const namespace = rng.pick(NAMESPACES);
    const r = rng.next();
    let what: string;
    if (r < 0.05 && event > 0) {
      config = randomNode(rng);
      what = `node ${JSON.stringify(config)}`;
    } else if (r < 0.5) {
      const key = `${namespace}/${rng.pick(NAMES)}`;
      const svc = rng.chance(0.2) ? undefined : randomService(rng, namespace, key.split('/')[1]!);
      if (svc) services.set(key, svc);
      else services.delete(key);
      changes.services.set(key, svc);
      what = `service ${key} ${svc ? JSON.stringify(svc) : 'deleted'}`;
    } else {
      const key = `${namespace}/slice-${rng.int(8)}`;
      const s = rng.chance(0.2) ? undefined : randomSlice(rng, namespace, key.split('/')[1]!);
      if (s) slices.set(key, s);
      else slices.delete(key);
      changes.endpointSlices.set(key, s);
      what = `slice ${key} ${s ? JSON.stringify(s) : 'deleted'}`;
    }
    const context = `seed ${seed}, event ${event}: ${what}`;
    const got = aggregate.update(changes, config);
    const want = buildDesiredState({ services: [...services.values()], endpointSlices: [...slices.values()], node: config });
    expect(got.state, `${context}: state`).to.deep.equal(want.state);
    expect(got.problems, `${context}: problems`).to.deep.equal(want.problems);
    expect(got.stats, `${context}: stats`).to.deep.equal(want.stats);
    if (previous) {
      // The state handed out before is never changed: the engine's record shares its lists.
      expect(JSON.stringify(previous), `${context}: the previous state was changed in place`).to.equal(previousText);
      if (got.scope) expectWithin(differences(previous, got.state), got.scope, context);
    }
    previous = got.state;
    previousText = JSON.stringify(previous);
  }
}

describe('DesiredStateAggregate (property: equals buildDesiredState after any event sequence)', () => {
  it(`${SEQUENCES} random sequences of ${EVENTS} Service/EndpointSlice/node events`, function () {
    this.timeout(120_000);
    const base = Number(process.env.PROPERTY_SEED ?? 1);
    for (let i = 0; i < SEQUENCES; i++) run(base + i);
  });

  it('reports no scope for the first update and for a node change, a scope for an event', () => {
    const aggregate = new DesiredStateAggregate();
    const none = { services: new Map(), endpointSlices: new Map() };
    expect(aggregate.update(none, node()).scope).to.equal(undefined);
    const svc = service('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] });
    const scoped = aggregate.update({ services: new Map([['default/a', svc]]), endpointSlices: new Map() }, node());
    expect(scoped.scope?.virtualServers).to.deep.equal(new Set(['tcp 10.96.0.1:80']));
    expect(scoped.scope?.addresses).to.deep.equal(new Set(['10.96.0.1/32']));
    expect(aggregate.update(none, node({ nodeIPs: ['192.168.122.11'] })).scope).to.equal(undefined);
  });

  it('hands the virtual server of a contested address to the next-oldest Service when its owner leaves', () => {
    const aggregate = new DesiredStateAggregate();
    const older = service('old', { clusterIP: '10.96.0.1', ports: [{ port: 80 }], sessionAffinity: 'ClientIP' }, { created: '2024-01-01T00:00:00Z' });
    const newer = service('new', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] }, { created: '2024-02-01T00:00:00Z' });
    const both = aggregate.update({ services: new Map([['default/old', older], ['default/new', newer]]), endpointSlices: new Map() }, node());
    expect(both.state.virtualServers.map((v) => v.flags)).to.deep.equal([['persistent']]);
    expect(both.problems.map((p) => `${p.name}: ${p.reason}`)).to.deep.equal([
      'new: virtual server tcp 10.96.0.1:80 already belongs to default/old; this address skipped',
    ]);
    const after = aggregate.update({ services: new Map([['default/old', undefined]]), endpointSlices: new Map() }, node());
    expect(after.state.virtualServers.map((v) => v.flags)).to.deep.equal([[]]);
    expect(after.problems).to.deep.equal([]);
    expect(after.state.interface?.addresses).to.deep.equal(['10.96.0.1/32']);
  });
});
