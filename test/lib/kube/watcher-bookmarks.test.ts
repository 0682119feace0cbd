// ResourceWatcher asks for BOOKMARKs: a quiet watch (Services) re-established after the API server's history
// has moved on (EndpointSlice churn) resumes from a bookmark's resourceVersion instead of relisting. The
// stand-in API server ends every watch after WATCH_TIMEOUT_MS (as a real one does after its
// request timeout) and keeps only HISTORY changes.
import { expect } from 'chai';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { ENDPOINT_SLICES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import { kubeConfigFor } from '../../../lib/cli/run-command.js';
import { silentLogger } from '../../../lib/log/logger.js';
import { ResourceWatcher, withBookmarks } from '../../../lib/kube/watcher.js';

const HISTORY = 20;
const WATCH_TIMEOUT_MS = 600;
const BOOKMARK_MS = 100;

function slice(i: number, generation: number) {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { namespace: 'default', name: `web-${i}`, labels: { 'kubernetes.io/service-name': 'web' } },
    endpoints: [{ addresses: [`10.244.${generation % 250}.${(i % 250) + 1}`], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

describe('ResourceWatcher and BOOKMARKs', function () {
  this.timeout(30_000);

  it('adds allowWatchBookmarks=true to the watch path', () => {
    expect(withBookmarks('/api/v1/services')).to.equal('/api/v1/services?allowWatchBookmarks=true');
    expect(withBookmarks('/api/v1/nodes?fieldSelector=x')).to.equal('/api/v1/nodes?fieldSelector=x&allowWatchBookmarks=true');
  });

  it('a quiet watch re-established after the history moved past its last change resumes without a relist', async () => {
    const api = new ApiServer({ port: 0, historySize: HISTORY, watchTimeoutMs: WATCH_TIMEOUT_MS, bookmarkIntervalMs: BOOKMARK_MS });
    const master = await api.listen();
    const kubeConfig = kubeConfigFor({ master, kubeconfig: '' }, {});
    const core = kubeConfig.makeApiClient(CoreV1Api);
    api.store.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'web' }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } });
    let lists = 0;
    const changes: string[] = [];
    const watcher = new ResourceWatcher<V1Service>(
      {
        kubeConfig, path: '/api/v1/services', what: 'services', log: silentLogger(), key: (s) => `${s.metadata?.namespace}/${s.metadata?.name}`,
        list: () => {
          lists++;
          return core.listServiceForAllNamespaces();
        },
      },
      { onChange: (key) => changes.push(key) },
    );
    try {
      watcher.start();
      await watcher.ready;
      expect(lists).to.equal(1);
      // Churn elsewhere: 5 x HISTORY slice changes over 4 watch timeouts (every watch is ended and re-made).
      for (let round = 0; round < 5 * HISTORY; round++) {
        const name = `web-${round % 3}`;
        const existing = api.store.get(ENDPOINT_SLICES, 'default', name);
        if (existing) api.store.update(ENDPOINT_SLICES, { ...slice(round % 3, round), metadata: { ...existing.metadata } });
        else api.store.create(ENDPOINT_SLICES, slice(round % 3, round));
        await new Promise((r) => setTimeout(r, (4 * WATCH_TIMEOUT_MS) / (5 * HISTORY)));
      }
      await new Promise((r) => setTimeout(r, 2 * WATCH_TIMEOUT_MS));
      expect(api.store.changesSince(1).expired, 'the history moved past the Services watch\'s last change').to.equal(true);
      expect(lists, 'relists of Services').to.equal(1);
      expect(changes, 'Service changes delivered').to.deep.equal(['default/web']);
      // And the watch still works: a change to the Service arrives.
      const web = api.store.get(SERVICES, 'default', 'web')!;
      api.store.update(SERVICES, { ...web, metadata: { ...web.metadata, labels: { touched: 'yes' } } });
      const deadline = Date.now() + 5000;
      while (changes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(changes).to.deep.equal(['default/web', 'default/web']);
    } finally {
      watcher.stop();
      await api.close();
    }
  });
});
