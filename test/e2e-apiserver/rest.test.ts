// The REST surface: lists and resourceVersions, errors as Status objects,
// optimistic concurrency, selectors, namespaces, tables, patches.

import { expect } from 'chai';
import { call, service, startServer, type RunningServer } from './helpers.js';

const SERVICES = '/api/v1/namespaces/default/services';
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';

function slice(name: string, addresses: string[], labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80 }],
    endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

describe('e2e apiserver: REST', () => {
  let running: RunningServer;
  beforeEach(async () => {
    running = await startServer();
  });
  afterEach(async () => running.stop());

  it('returns the global resourceVersion on lists and bumps it on every write', async () => {
    const before = await call(running.url, 'GET', SERVICES);
    expect(before.status).to.equal(200);
    expect(before.body).to.include({ kind: 'ServiceList', apiVersion: 'v1' });
    const rv0 = Number(before.body.metadata.resourceVersion);

    const created = await call(running.url, 'POST', SERVICES, service('a'));
    expect(Number(created.body.metadata.resourceVersion)).to.be.greaterThan(rv0);
    const sliceCreated = await call(running.url, 'POST', SLICES, slice('a-1', ['10.244.1.2']));
    expect(sliceCreated.status).to.equal(201);
    expect(Number(sliceCreated.body.metadata.resourceVersion)).to.equal(Number(created.body.metadata.resourceVersion) + 1);

    const after = await call(running.url, 'GET', '/api/v1/services');
    expect(after.body.metadata.resourceVersion).to.equal(sliceCreated.body.metadata.resourceVersion);
    expect(after.body.items).to.have.length(1);
    // As from the real server, list items carry no kind/apiVersion.
    expect(after.body.items[0]).to.not.have.property('kind');
    const slices = await call(running.url, 'GET', '/apis/discovery.k8s.io/v1/endpointslices');
    expect(slices.body.items[0].ports[0]).to.deep.equal({ name: 'http', port: 80, protocol: 'TCP' });
  });

  it('answers with Status objects: 404, 409 AlreadyExists, 400 on namespace mismatch', async () => {
    const missing = await call(running.url, 'GET', `${SERVICES}/nope`);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.include({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    expect(missing.body.message).to.equal('services "nope" not found');
    await call(running.url, 'POST', SERVICES, service('a'));
    const duplicate = await call(running.url, 'POST', SERVICES, service('a'));
    expect(duplicate.status).to.equal(409);
    expect(duplicate.body.reason).to.equal('AlreadyExists');
    const elsewhere = await call(running.url, 'POST', '/api/v1/namespaces/other/services', service('b', {}, 'default'));
    expect(elsewhere.status).to.equal(400);
    const sliceWithoutType = await call(running.url, 'POST', SLICES, { ...slice('s', ['10.0.0.1']), addressType: undefined });
    expect(sliceWithoutType.status).to.equal(422);
    expect(sliceWithoutType.body.details.causes[0]).to.include({ field: 'addressType', reason: 'FieldValueRequired' });
    expect((await call(running.url, 'GET', '/api/v1/pods')).status).to.equal(404);
  });

  it('rejects a PUT with a stale resourceVersion (409 Conflict) and accepts the current one', async () => {
    const created = (await call(running.url, 'POST', SERVICES, service('a'))).body;
    const first = await call(running.url, 'PUT', `${SERVICES}/a`, { ...created, metadata: { ...created.metadata, labels: { v: '1' } } });
    expect(first.status).to.equal(200);
    expect(first.body.metadata.resourceVersion).to.not.equal(created.metadata.resourceVersion);

    const stale = await call(running.url, 'PUT', `${SERVICES}/a`, { ...created, metadata: { ...created.metadata, labels: { v: '2' } } });
    expect(stale.status).to.equal(409);
    expect(stale.body.reason).to.equal('Conflict');
    expect(stale.body.message).to.contain('the object has been modified');
    expect((await call(running.url, 'GET', `${SERVICES}/a`)).body.metadata.labels).to.deep.equal({ v: '1' });

    // Writing back the same object changes nothing, not even the resourceVersion.
    const noop = await call(running.url, 'PUT', `${SERVICES}/a`, first.body);
    expect(noop.body.metadata.resourceVersion).to.equal(first.body.metadata.resourceVersion);
  });

  it('deletes returning the object, honours preconditions, and 404s afterwards', async () => {
    const created = (await call(running.url, 'POST', SERVICES, service('a'))).body;
    const wrong = await call(running.url, 'DELETE', `${SERVICES}/a`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } });
    expect(wrong.status).to.equal(409);
    const deleted = await call(running.url, 'DELETE', `${SERVICES}/a`);
    expect(deleted.status).to.equal(200);
    expect(deleted.body).to.include({ kind: 'Service' });
    expect(deleted.body.metadata.uid).to.equal(created.metadata.uid);
    expect((await call(running.url, 'DELETE', `${SERVICES}/a`)).status).to.equal(404);
  });

  it('filters lists by label selector and by metadata.name field selector', async () => {
    await call(running.url, 'POST', SLICES, slice('a-1', ['10.244.1.2'], { 'kubernetes.io/service-name': 'a' }));
    await call(running.url, 'POST', SLICES, slice('b-1', ['10.244.1.3'], { 'kubernetes.io/service-name': 'b' }));
    await call(running.url, 'POST', SLICES, slice('c-1', ['10.244.1.4']));
    const names = async (query: string) =>
      (await call(running.url, 'GET', `/apis/discovery.k8s.io/v1/endpointslices?${query}`)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(await names('labelSelector=kubernetes.io%2Fservice-name%3Da')).to.deep.equal(['a-1']);
    expect(await names('labelSelector=kubernetes.io%2Fservice-name')).to.deep.equal(['a-1', 'b-1']);
    expect(await names('labelSelector=!kubernetes.io%2Fservice-name')).to.deep.equal(['c-1']);
    expect(await names(`labelSelector=${encodeURIComponent('kubernetes.io/service-name in (b,c)')}`)).to.deep.equal(['b-1']);
    expect(await names('fieldSelector=metadata.name%3Dc-1')).to.deep.equal(['c-1']);
    expect((await call(running.url, 'GET', '/apis/discovery.k8s.io/v1/endpointslices?fieldSelector=spec.x%3Dy')).status).to.equal(400);
  });

  it('accepts any namespace and lists default plus the ones in use', async () => {
    expect((await call(running.url, 'POST', '/api/v1/namespaces/team-a/services', service('a', {}, 'team-a'))).status).to.equal(201);
    const namespaces = (await call(running.url, 'GET', '/api/v1/namespaces')).body;
    expect(namespaces.items.map((n: { metadata: { name: string } }) => n.metadata.name)).to.deep.equal(['default', 'team-a']);
    expect(namespaces.items[1].status).to.deep.equal({ phase: 'Active' });
    expect((await call(running.url, 'GET', '/api/v1/namespaces/default/services')).body.items).to.have.length(0);
    expect((await call(running.url, 'GET', '/api/v1/services')).body.items).to.have.length(1);
  });

  it('keeps Node status on plain updates and changes it through /status', async () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.122.10' }] } };
    const created = (await call(running.url, 'POST', '/api/v1/nodes', node)).body;
    expect(created.spec.podCIDRs).to.deep.equal(['10.244.1.0/24']);
    expect(created.metadata).to.not.have.property('namespace');
    const plain = await call(running.url, 'PUT', '/api/v1/nodes/node-1', { ...created, status: {} });
    expect(plain.body.status.addresses).to.have.length(1);
    const status = await call(running.url, 'PUT', '/api/v1/nodes/node-1/status', { ...created, status: { addresses: [] } });
    expect(status.status).to.equal(200);
    expect(status.body.status.addresses).to.deep.equal([]);
  });

  it('serves meta.k8s.io Tables for kubectl', async () => {
    await call(running.url, 'POST', SERVICES, service('web', { type: 'NodePort', ports: [{ port: 3017, targetPort: 5003, nodePort: 31122 }] }));
    const table = await call(running.url, 'GET', SERVICES, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(table.body).to.include({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.body.columnDefinitions.map((c: { name: string }) => c.name)).to.deep.equal(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    const cells = table.body.rows[0].cells;
    expect(cells.slice(0, 2)).to.deep.equal(['web', 'NodePort']);
    expect(cells[4]).to.equal('3017:31122/TCP');
    expect(cells[6]).to.equal('app=web');
    expect(table.body.rows[0].object).to.include({ kind: 'PartialObjectMetadata' });
  });

  it('applies merge and JSON patches and refuses strategic merge patches', async () => {
    await call(running.url, 'POST', SERVICES, service('a'));
    const merged = await call(running.url, 'PATCH', `${SERVICES}/a`, { metadata: { labels: { tier: 'web' } } }, { 'content-type': 'application/merge-patch+json' });
    expect(merged.status).to.equal(200);
    expect(merged.body.metadata.labels).to.deep.equal({ tier: 'web' });
    const json = await call(running.url, 'PATCH', `${SERVICES}/a`, [{ op: 'replace', path: '/spec/ports/0/targetPort', value: 9090 }], { 'content-type': 'application/json-patch+json' });
    expect(json.body.spec.ports[0].targetPort).to.equal(9090);
    const strategic = await call(running.url, 'PATCH', `${SERVICES}/a`, {}, { 'content-type': 'application/strategic-merge-patch+json' });
    expect(strategic.status).to.equal(415);
  });

  it('rejects unknown fields with fieldValidation=Strict and drops them with a warning by default', async () => {
    const typo = service('typo', { ports: [{ port: 80, targetport: 8080 }] });
    const strict = await call(running.url, 'POST', `${SERVICES}?fieldValidation=Strict`, typo);
    expect(strict.status).to.equal(400);
    expect(strict.body.message).to.contain('strict decoding error: unknown field "spec.ports[0].targetport"');
    const response = await fetch(`${running.url}${SERVICES}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(typo) });
    expect(response.status).to.equal(201);
    expect(response.headers.get('warning')).to.equal('299 - "unknown field \\"spec.ports[0].targetport\\""');
    const stored = (await response.json()) as { spec: { ports: Array<Record<string, unknown>> } };
    expect(stored.spec.ports[0]).to.deep.equal({ port: 80, targetPort: 80, protocol: 'TCP' });
  });

  it('serves discovery and /version', async () => {
    const core = (await call(running.url, 'GET', '/api/v1')).body;
    const services = core.resources.find((r: { name: string }) => r.name === 'services');
    expect(services).to.include({ kind: 'Service', namespaced: true });
    expect(services.shortNames).to.deep.equal(['svc']);
    const groups = (await call(running.url, 'GET', '/apis')).body;
    expect(groups.groups.map((g: { name: string }) => g.name)).to.deep.equal(['discovery.k8s.io']);
    const discovery = (await call(running.url, 'GET', '/apis/discovery.k8s.io/v1')).body;
    expect(discovery.resources[0]).to.include({ name: 'endpointslices', kind: 'EndpointSlice' });
    expect((await call(running.url, 'GET', '/version')).body).to.include({ major: '1', minor: '33' });
  });
});
