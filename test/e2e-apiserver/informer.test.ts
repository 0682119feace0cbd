// The unmodified @kubernetes/client-node informers against the stand-in
// server, configured from the kubeconfig it writes.

import { expect } from 'chai';
import { CoreV1Api, DiscoveryV1Api, KubeConfig, ListWatch, makeInformer, Watch, type Informer, type KubernetesObject } from '@kubernetes/client-node';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../e2e/apiserver-src/resource-types.js';
import { eventually, service, startServer, type RunningServer } from './helpers.js';

type Recorded = string[];

function record<T extends KubernetesObject>(informer: Informer<T>, into: Recorded): void {
  for (const verb of ['add', 'update', 'delete'] as const) {
    informer.on(verb, (object: T) => into.push(`${verb} ${object.metadata?.name ?? ''}`));
  }
  informer.on('error', (error: unknown) => into.push(`error ${String(error)}`));
}

describe('e2e apiserver: client-node informers', () => {
  let running: RunningServer;
  let kubeConfig: KubeConfig;
  const informers: Array<Informer<KubernetesObject>> = [];

  beforeEach(async () => {
    running = await startServer({ historySize: 4 });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(running.kubeconfigPath);
  });
  afterEach(async () => {
    for (const informer of informers.splice(0)) await informer.stop();
    await running.stop();
  });

  it('sees Service adds, updates and deletes, and relists after 410 Gone', async () => {
    const { registry } = running.server;
    registry.create(SERVICES, service('httpd'));
    const core = kubeConfig.makeApiClient(CoreV1Api);
    let lists = 0;
    const informer = makeInformer(kubeConfig, '/api/v1/services', () => {
      lists += 1;
      return core.listServiceForAllNamespaces();
    });
    informers.push(informer);
    const events: Recorded = [];
    record(informer, events);
    await informer.start();
    await eventually(() => events.includes('add httpd') && running.server.activeWatches === 1, 'initial list and watch');

    const web = registry.create(SERVICES, service('web'));
    await eventually(() => events.includes('add web'), 'add from the watch');
    registry.update(SERVICES, { ...web, metadata: { ...web.metadata, labels: { v: '2' } } }, { name: 'web' });
    await eventually(() => events.includes('update web'), 'update from the watch');
    expect(informer.get('web', 'default')?.metadata?.labels).to.deep.equal({ v: '2' });
    registry.delete(SERVICES, 'default', 'web');
    await eventually(() => events.includes('delete web'), 'delete from the watch');
    expect(lists).to.equal(1);

    // Drop the watch and, before the informer can re-watch, make more
    // changes than the history keeps: its resourceVersion is now too old.
    events.length = 0;
    running.server.closeWatches();
    const doomed = registry.create(SERVICES, service('doomed'));
    registry.create(SERVICES, service('late'));
    registry.delete(SERVICES, 'default', doomed.metadata.name ?? '');
    const httpd = registry.get(SERVICES, 'default', 'httpd');
    registry.update(SERVICES, { ...httpd, metadata: { ...httpd.metadata, labels: { relisted: 'yes' } } }, { name: 'httpd' });
    registry.delete(SERVICES, 'default', 'httpd');
    registry.create(SERVICES, service('httpd'));

    await eventually(() => lists === 2, 'a relist after 410');
    await eventually(() => events.includes('add late'), 'the relist reports the new Service');
    // httpd was deleted and re-created while unwatched; a relist only sees a new version of it.
    expect(events).to.include('update httpd');
    expect(events).to.not.include('add doomed');
    expect(informer.list().map((s) => s.metadata?.name).sort()).to.deep.equal(['httpd', 'late']);
  });

  it('sees EndpointSlice changes', async () => {
    const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
    const informer = makeInformer(kubeConfig, '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces());
    informers.push(informer);
    const events: Recorded = [];
    record(informer, events);
    await informer.start();
    await eventually(() => running.server.activeWatches === 1, 'watch');
    const slice = running.server.registry.create(ENDPOINT_SLICES, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'httpd-abcde', namespace: 'default', labels: { 'kubernetes.io/service-name': 'httpd' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }],
      endpoints: [{ addresses: ['10.244.1.2'], conditions: { ready: true } }],
    });
    await eventually(() => events.includes('add httpd-abcde'), 'add');
    running.server.registry.update(ENDPOINT_SLICES, { ...slice, endpoints: [] }, { name: 'httpd-abcde' });
    await eventually(() => events.includes('update httpd-abcde'), 'update');
    const cached = informer.get('httpd-abcde', 'default') as KubernetesObject & { endpoints?: unknown[] };
    expect(cached.endpoints ?? []).to.deep.equal([]);
  });

  it('follows one Node with a fieldSelector on list and watch', async () => {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const selector = 'metadata.name=node-1';
    const informer = new ListWatch('/api/v1/nodes', new Watch(kubeConfig), () => core.listNode({ fieldSelector: selector }), false, undefined, selector);
    informers.push(informer);
    const events: Recorded = [];
    record(informer, events);
    running.server.registry.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-0' } });
    const node = running.server.registry.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: { podCIDR: '10.244.1.0/24' } });
    await informer.start();
    await eventually(() => events.includes('add node-1') && running.server.activeWatches === 1, 'list and watch');
    running.server.registry.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-2' } });
    running.server.registry.update(NODES, { ...node, metadata: { ...node.metadata, labels: { ready: 'yes' } } }, { name: 'node-1' });
    await eventually(() => events.includes('update node-1'), 'update');
    expect(events).to.deep.equal(['add node-1', 'update node-1']);
  });
});
