// Cluster IP and node port allocation, through the REST API as a client sees it.

import { expect } from 'chai';
import { call, service, startServer, type RunningServer } from './helpers.js';

const SERVICES = '/api/v1/namespaces/default/services';

describe('e2e apiserver: Service allocation', () => {
  let running: RunningServer;

  beforeEach(async () => {
    running = await startServer({ serviceClusterIpRange: '10.96.0.0/29', serviceNodePortRange: '30000-30003' });
  });
  afterEach(async () => running.stop());

  const create = (body: unknown) => call(running.url, 'POST', SERVICES, body);

  it('allocates distinct cluster IPs from the range, never the network or first address, and fills in the defaults', async () => {
    const seen: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const { status, body } = await create(service(name));
      expect(status).to.equal(201);
      expect(body.spec.clusterIPs).to.deep.equal([body.spec.clusterIP]);
      expect(body.spec).to.include({ type: 'ClusterIP', sessionAffinity: 'None', ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster' });
      expect(body.spec.ipFamilies).to.deep.equal(['IPv4']);
      expect(body.spec.ports[0]).to.deep.equal({ port: 80, targetPort: 8080, protocol: 'TCP' });
      expect(body.metadata.uid).to.be.a('string').and.not.empty;
      expect(body.metadata.creationTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(body.metadata.generation).to.equal(1);
      seen.push(body.spec.clusterIP);
    }
    expect(new Set(seen).size).to.equal(3);
    for (const ip of seen) {
      expect(ip).to.match(/^10\.96\.0\.\d+$/);
      expect(ip).to.not.be.oneOf(['10.96.0.0', '10.96.0.1', '10.96.0.7']);
    }
  });

  it('defaults targetPort to port', async () => {
    const { body } = await create(service('web', { ports: [{ port: 8443 }] }));
    expect(body.spec.ports[0].targetPort).to.equal(8443);
  });

  it('keeps a requested cluster IP and rejects one that is taken or out of range with 422', async () => {
    expect((await create(service('a', { clusterIP: '10.96.0.5' }))).body.spec.clusterIP).to.equal('10.96.0.5');
    const taken = await create(service('b', { clusterIP: '10.96.0.5' }));
    expect(taken.status).to.equal(422);
    expect(taken.body).to.include({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(taken.body.message).to.contain('provided IP is already allocated');
    const outside = await create(service('c', { clusterIP: '10.97.0.5' }));
    expect(outside.status).to.equal(422);
    expect(outside.body.message).to.contain('not in the valid range');
    const first = await create(service('d', { clusterIP: '10.96.0.1' }));
    expect(first.status).to.equal(422);
  });

  it('reports a full range and frees addresses on delete', async () => {
    // A create that fails after allocating (bad node port) must give its cluster IP back...
    expect((await create(service('bad', { type: 'NodePort', ports: [{ port: 80, nodePort: 1 }] }))).status).to.equal(422);
    // ...or the /29 (.2 to .6 usable: .0 network, .1 kept for `kubernetes`, .7 broadcast) would not fit five.
    for (const name of ['a', 'b', 'c', 'd', 'e']) expect((await create(service(name))).status).to.equal(201);
    const full = await create(service('f'));
    expect(full.status).to.equal(500);
    expect(full.body.message).to.contain('range is full');
    const deleted = await call(running.url, 'DELETE', `${SERVICES}/c`);
    expect(deleted.status).to.equal(200);
    const again = await create(service('f'));
    expect(again.status).to.equal(201);
    expect(again.body.spec.clusterIP).to.equal(deleted.body.spec.clusterIP);
  });

  it('does not allocate for headless Services', async () => {
    const { status, body } = await create(service('headless', { clusterIP: 'None' }));
    expect(status).to.equal(201);
    expect(body.spec.clusterIP).to.equal('None');
    expect(body.spec.clusterIPs).to.deep.equal(['None']);
  });

  it('allocates node ports for NodePort Services, keeps requested ones and rejects conflicts', async () => {
    const auto = await create(service('auto', { type: 'NodePort' }));
    expect(auto.status).to.equal(201);
    const autoPort = auto.body.spec.ports[0].nodePort as number;
    expect(autoPort).to.be.within(30000, 30003);
    expect(auto.body.spec.externalTrafficPolicy).to.equal('Cluster');

    const requested = await create(service('fixed', { type: 'NodePort', ports: [{ port: 80, nodePort: 30003 }] }));
    expect(requested.body.spec.ports[0].nodePort).to.equal(30003);
    const conflict = await create(service('conflict', { type: 'NodePort', ports: [{ port: 80, nodePort: 30003 }] }));
    expect(conflict.status).to.equal(422);
    expect(conflict.body.message).to.contain('provided port is already allocated');
    const outside = await create(service('outside', { type: 'NodePort', ports: [{ port: 80, nodePort: 31122 }] }));
    expect(outside.status).to.equal(422);
    expect(outside.body.message).to.contain('30000-30003');
    const onClusterIP = await create(service('wrong-type', { ports: [{ port: 80, nodePort: 30001 }] }));
    expect(onClusterIP.status).to.equal(422);

    await call(running.url, 'DELETE', `${SERVICES}/fixed`);
    expect((await create(service('reuse', { type: 'NodePort', ports: [{ port: 80, nodePort: 30003 }] }))).status).to.equal(201);
  });

  it('allocates a health check node port for LoadBalancer Services with externalTrafficPolicy Local', async () => {
    const { body } = await create(service('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
    expect(body.spec.allocateLoadBalancerNodePorts).to.equal(true);
    expect(body.spec.healthCheckNodePort).to.be.within(30000, 30003);
    expect(body.spec.healthCheckNodePort).to.not.equal(body.spec.ports[0].nodePort);
    expect(body.status).to.deep.equal({ loadBalancer: {} });
  });

  it('keeps allocated values when a replace omits them, and frees node ports when the type drops them', async () => {
    const created = (await create(service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] }))).body;
    const replaced = await call(running.url, 'PUT', `${SERVICES}/np`, service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 9090 }] }));
    expect(replaced.status).to.equal(200);
    expect(replaced.body.spec.clusterIP).to.equal(created.spec.clusterIP);
    expect(replaced.body.spec.ports[0].nodePort).to.equal(created.spec.ports[0].nodePort);
    expect(replaced.body.metadata.generation).to.equal(2);

    const changedIP = await call(running.url, 'PUT', `${SERVICES}/np`, service('np', { clusterIP: '10.96.0.6' }));
    expect(changedIP.status).to.equal(422);
    expect(changedIP.body.message).to.contain('may not change once set');

    const toClusterIP = await call(running.url, 'PUT', `${SERVICES}/np`, { ...replaced.body, spec: { ...replaced.body.spec, type: 'ClusterIP' } });
    expect(toClusterIP.status).to.equal(200);
    expect(toClusterIP.body.spec.ports[0].nodePort).to.equal(undefined);
    expect(toClusterIP.body.spec.externalTrafficPolicy).to.equal(undefined);
    const reuse = await create(service('reuse', { type: 'NodePort', ports: [{ port: 80, nodePort: created.spec.ports[0].nodePort }] }));
    expect(reuse.status).to.equal(201);
  });

  it('validates ports and names with 422 field causes', async () => {
    const noPorts = await create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: {} });
    expect(noPorts.status).to.equal(422);
    expect(noPorts.body.details.causes[0]).to.include({ field: 'spec.ports', reason: 'FieldValueRequired' });
    const badName = await create(service('Not_A_Name'));
    expect(badName.status).to.equal(422);
    expect(badName.body.details.causes[0].field).to.equal('metadata.name');
    const unnamed = await create(service('two', { ports: [{ port: 80 }, { port: 81 }] }));
    expect(unnamed.status).to.equal(422);
  });
});

describe('e2e apiserver: dual-stack Service allocation', () => {
  let running: RunningServer;
  before(async () => {
    running = await startServer({ serviceClusterIpRange: '10.96.0.0/16,fd00:10:96::/112' });
  });
  after(async () => running.stop());

  it('gives SingleStack Services an address of the primary family and PreferDualStack ones both', async () => {
    const single = (await call(running.url, 'POST', SERVICES, service('single'))).body;
    expect(single.spec.ipFamilies).to.deep.equal(['IPv4']);
    const dual = (await call(running.url, 'POST', SERVICES, service('dual', { ipFamilyPolicy: 'PreferDualStack' }))).body;
    expect(dual.spec.ipFamilies).to.deep.equal(['IPv4', 'IPv6']);
    expect(dual.spec.clusterIPs[0]).to.match(/^10\.96\./);
    expect(dual.spec.clusterIPs[1]).to.match(/^fd00:10:96::[0-9a-f]+$/);
    const v6 = (await call(running.url, 'POST', SERVICES, service('v6', { ipFamilies: ['IPv6'] }))).body;
    expect(v6.spec.clusterIP).to.match(/^fd00:10:96::/);

    // Going back to SingleStack drops the secondary address without the client removing it.
    const downgraded = await call(running.url, 'PUT', `${SERVICES}/dual`, { ...dual, spec: { ...dual.spec, ipFamilyPolicy: 'SingleStack' } });
    expect(downgraded.status).to.equal(200);
    expect(downgraded.body.spec.clusterIPs).to.deep.equal([dual.spec.clusterIPs[0]]);
    expect(downgraded.body.spec.ipFamilies).to.deep.equal(['IPv4']);
  });
});
