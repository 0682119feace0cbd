// The proxier's watchers list in pages of 500 (client-go's reflector page size) against the stand-in API
// server, which serves limit/continue as the real one: 10,000 Services are 20 list requests, and nothing
// is delivered before the last page is in. A snapshot that expires between pages (410) falls back to one
// full list, as client-go's pager does.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import winston from 'winston';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import { kubeConfigFor } from '../../../lib/cli/run-command.js';
import { silentLogger } from '../../../lib/log/logger.js';
import { clusterLists } from '../../../lib/kube/cluster-lists.js';
import { LIST_PAGE_SIZE, pagedList } from '../../../lib/kube/paged-list.js';
import { ResourceWatcher } from '../../../lib/kube/watcher.js';

/** The URLs of the API server's requests, from its debug log, in the order they were answered. */
function requestLog(): { logger: winston.Logger; urls: string[] } {
  const urls: string[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: { message: string; url?: string }, _enc, done) {
      if (info.message === 'request' && info.url !== undefined) urls.push(info.url);
      done();
    },
  });
  return { logger: winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] }), urls };
}

function svc(i: number) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: `s-${i}`, namespace: `ns-${i % 7}` }, spec: { ports: [{ port: 80 }] } };
}

/** Service list requests (not watches) among the URLs. */
function serviceLists(urls: readonly string[]): URL[] {
  return urls.map((u) => new URL(u, 'http://x')).filter((u) => u.pathname === '/api/v1/services' && u.searchParams.get('watch') === null);
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the proxier lists in pages (lib/kube/paged-list.ts)', function () {
  this.timeout(120_000);
  let api: ApiServer | undefined;
  let watcher: ResourceWatcher<V1Service> | undefined;

  afterEach(async () => {
    watcher?.stop();
    watcher = undefined;
    await api?.close();
    api = undefined;
  });

  it('lists 10,000 Services in 20 pages of 500 and delivers all 10,000 only once the last page is in', async () => {
    const log = requestLog();
    api = new ApiServer({ port: 0, logger: log.logger });
    const master = await api.listen();
    for (let i = 0; i < 10_000; i++) api.registry.create(SERVICES, svc(i));
    const kubeConfig = kubeConfigFor({ master, kubeconfig: '' }, {});
    const delivered = new Set<string>();
    /** How many Service list requests the server had answered at each delivery. */
    const listsAnsweredAtDelivery = new Set<number>();
    watcher = new ResourceWatcher<V1Service>(
      { kubeConfig, path: '/api/v1/services', list: clusterLists(kubeConfig, 'node-1', silentLogger()).services, what: 'services', log: silentLogger(), key: (s) => `${s.metadata?.namespace}/${s.metadata?.name}` },
      {
        onChange: (key, obj) => {
          if (obj !== undefined) delivered.add(key);
          listsAnsweredAtDelivery.add(serviceLists(log.urls).length);
        },
      },
    );
    watcher.start();
    await within(watcher.ready, 60_000, 'the initial list of 10,000 Services');

    const lists = serviceLists(log.urls);
    expect(LIST_PAGE_SIZE).to.equal(500);
    expect(lists, 'list requests').to.have.length(20);
    expect(lists.map((u) => u.searchParams.get('limit'))).to.deep.equal(new Array(20).fill('500'));
    expect(lists[0]!.searchParams.has('continue'), 'the first page has no continue token').to.equal(false);
    expect(lists.slice(1).every((u) => (u.searchParams.get('continue') ?? '') !== ''), 'every later page continues').to.equal(true);
    expect(new Set(lists.slice(1).map((u) => u.searchParams.get('continue'))).size, 'a new token for each page').to.equal(19);
    expect(delivered.size).to.equal(10_000);
    expect(watcher.objects()).to.have.length(10_000);
    expect([...listsAnsweredAtDelivery], 'list requests answered when objects were delivered').to.deep.equal([20]);
  });

  it('lists again in one request when the snapshot expires between pages (410 Expired), and returns that list', async () => {
    const log = requestLog();
    // A change log of 5 changes: six writes between two pages take the first page's resourceVersion out of it.
    api = new ApiServer({ port: 0, logger: log.logger, historySize: 5 });
    const master = await api.listen();
    for (let i = 0; i < 1200; i++) api.registry.create(SERVICES, svc(i));
    const core = kubeConfigFor({ master, kubeconfig: '' }, {}).makeApiClient(CoreV1Api);
    const server = api;
    let wrote = false;
    const list = pagedList<V1Service>('services', async (page) => {
      const answer = await core.listServiceForAllNamespaces(page);
      // Right after the first page: the writes another client makes while this one is between pages.
      if (!wrote) {
        wrote = true;
        for (let i = 1200; i < 1206; i++) server.registry.create(SERVICES, svc(i));
      }
      return answer;
    }, silentLogger());
    const listed = await within(list(), 60_000, 'the list of 1,206 Services');
    // The first page, the second (410 Expired), then one request without limit, which sees the writes.
    expect(serviceLists(log.urls).map((u) => [u.searchParams.get('limit'), u.searchParams.has('continue')])).to.deep.equal([['500', false], ['500', true], [null, false]]);
    expect(listed.items).to.have.length(1206);
    expect(listed.metadata?._continue).to.equal(undefined);
  });

  it('names the resource and the page when a page fails otherwise', async () => {
    let calls = 0;
    const list = pagedList<V1Service>('services', async (page) => {
      calls += 1;
      if (page._continue === undefined) return { items: [svc(1)], metadata: { _continue: 'next', resourceVersion: '7' } };
      throw Object.assign(new Error('HTTP-Code: 500'), { code: 500 });
    }, silentLogger());
    let failure: Error | undefined;
    await list().catch((err: Error) => (failure = err));
    expect(calls).to.equal(2);
    expect(failure?.message).to.equal('list services, page 2 (1 items read): HTTP-Code: 500');
  });
});
