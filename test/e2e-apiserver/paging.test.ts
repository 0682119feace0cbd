// Paged lists (limit/continue) as the real API server serves them: pages in key order with
// metadata.continue and remainingItemCount, every page read at the first page's resourceVersion (a write
// between pages shows in none of them), 410 Expired once that resourceVersion is out of the change log,
// 400 for a malformed token or a token with a resourceVersion.

import { expect } from 'chai';
import { SERVICES as SERVICE_TYPE } from '../../e2e/apiserver-src/resource-types.js';
import { call, service, startServer, type RunningServer } from './helpers.js';

const ALL_SERVICES = '/api/v1/services';

function names(body: { items: { metadata: { namespace: string; name: string } }[] }): string[] {
  return body.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
}

/** Follows continue tokens to the end; every page's response. */
async function allPages(url: string, path: string, limit: number): Promise<{ status: number; body: any }[]> {
  const pages = [];
  let token = '';
  for (let guard = 0; guard < 1000; guard++) {
    const page = await call(url, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    pages.push(page);
    token = page.body?.metadata?.continue ?? '';
    if (page.status !== 200 || token === '') return pages;
  }
  throw new Error(`no last page of ${path} after 1000 pages`);
}

describe('e2e apiserver: paged lists (limit, continue)', () => {
  let running: RunningServer;
  afterEach(async () => running.stop());

  /** Services s-00..s-(n-1) in namespaces a and b (alternating), written in-process. */
  function load(n: number): void {
    for (let i = 0; i < n; i++) {
      running.server.registry.create(SERVICE_TYPE, service(`s-${String(i).padStart(2, '0')}`, {}, i % 2 === 0 ? 'a' : 'b'));
    }
  }

  it('serves limit-sized pages in key order with continue and remainingItemCount, then a last page without them', async () => {
    running = await startServer();
    load(7);
    const whole = await call(running.url, 'GET', ALL_SERVICES);
    expect(whole.body.metadata).to.deep.equal({ resourceVersion: whole.body.metadata.resourceVersion });
    const pages = await allPages(running.url, ALL_SERVICES, 3);
    expect(pages.map((p) => p.status)).to.deep.equal([200, 200, 200]);
    expect(pages.map((p) => p.body.items.length)).to.deep.equal([3, 3, 1]);
    expect(pages.map((p) => p.body.metadata.remainingItemCount)).to.deep.equal([4, 1, undefined]);
    expect(pages[2]!.body.metadata).to.not.have.property('continue');
    expect(pages.flatMap((p) => names(p.body))).to.deep.equal(names(whole.body));
    expect(new Set(pages.map((p) => p.body.metadata.resourceVersion))).to.deep.equal(new Set([whole.body.metadata.resourceVersion]));
    // The token is the real server's: base64url JSON naming the first page's resourceVersion and the key after the last item.
    const token = JSON.parse(Buffer.from(pages[0]!.body.metadata.continue, 'base64url').toString());
    expect(token).to.deep.equal({ v: 'meta.k8s.io/v1', rv: Number(whole.body.metadata.resourceVersion), start: 'a/s-04\u0000' });
    // A limit at least the list's size: one page, no continue.
    const one = await call(running.url, 'GET', `${ALL_SERVICES}?limit=7`);
    expect(one.body.items).to.have.length(7);
    expect(one.body.metadata).to.not.have.property('continue');
    // Within one namespace too.
    const inB = await allPages(running.url, '/api/v1/namespaces/b/services', 2);
    expect(inB.flatMap((p) => names(p.body))).to.deep.equal(['b/s-01', 'b/s-03', 'b/s-05']);
  });

  it('reads every page at the first page\'s resourceVersion: writes between pages show in none of them', async () => {
    running = await startServer();
    load(6);
    const before = names((await call(running.url, 'GET', ALL_SERVICES)).body);
    const first = await call(running.url, 'GET', `${ALL_SERVICES}?limit=2`);
    // After the first page: one not yet listed deleted, one added at the end, one updated.
    running.server.registry.delete(SERVICE_TYPE, 'b', 's-05');
    running.server.registry.create(SERVICE_TYPE, service('s-99', {}, 'b'));
    const updated = running.server.registry.get(SERVICE_TYPE, 'b', 's-03');
    running.server.registry.update(SERVICE_TYPE, { ...updated, metadata: { ...updated.metadata, labels: { changed: 'yes' } } }, { namespace: 'b', name: 's-03' });
    const rest = [];
    let token: string | undefined = first.body.metadata.continue;
    while (token !== undefined) {
      const page = await call(running.url, 'GET', `${ALL_SERVICES}?limit=2&continue=${encodeURIComponent(token)}`);
      expect(page.status).to.equal(200);
      expect(page.body.metadata.resourceVersion).to.equal(first.body.metadata.resourceVersion);
      rest.push(page.body);
      token = page.body.metadata.continue;
    }
    expect([first.body, ...rest].flatMap(names)).to.deep.equal(before);
    const s03 = rest.flatMap((p) => p.items).find((i: { metadata: { name: string } }) => i.metadata.name === 's-03');
    expect(s03.metadata.labels ?? {}, 'the update made after the first page').to.deep.equal({});
    // A new list sees the writes.
    expect(names((await call(running.url, 'GET', ALL_SERVICES)).body)).to.deep.equal([...before.filter((n) => n !== 'b/s-05'), 'b/s-99']);
  });

  it('answers a continue token whose resourceVersion is gone from the change log with 410 Expired', async () => {
    running = await startServer({ historySize: 2 });
    load(4);
    const first = await call(running.url, 'GET', `${ALL_SERVICES}?limit=2`);
    // With no write since, the snapshot is still readable.
    expect((await call(running.url, 'GET', `${ALL_SERVICES}?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`)).status).to.equal(200);
    for (const name of ['x', 'y', 'z']) running.server.registry.create(SERVICE_TYPE, service(name));
    const expired = await call(running.url, 'GET', `${ALL_SERVICES}?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(expired.status).to.equal(410);
    expect(expired.body).to.include({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' });
    expect(expired.body.message).to.match(/^The provided continue parameter is too old to display a consistent list result/);
    // compactHistory() (an etcd compaction) past a token's resourceVersion expires it as well.
    const again = await call(running.url, 'GET', `${ALL_SERVICES}?limit=2`);
    running.server.registry.create(SERVICE_TYPE, service('w'));
    running.server.compactHistory();
    expect((await call(running.url, 'GET', `${ALL_SERVICES}?limit=2&continue=${encodeURIComponent(again.body.metadata.continue)}`)).status).to.equal(410);
  });

  it('rejects a malformed token (400 invalid continue token), a token with a resourceVersion, and a bad limit', async () => {
    running = await startServer();
    load(3);
    const garbage = await call(running.url, 'GET', `${ALL_SERVICES}?limit=1&continue=not*base64`);
    expect(garbage.status).to.equal(400);
    expect(garbage.body).to.include({ reason: 'BadRequest' });
    expect(garbage.body.message).to.match(/^invalid continue token: continue key is not valid/);
    const wrongVersion = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v2', rv: 1, start: 'a/s-00\u0000' })).toString('base64url');
    expect((await call(running.url, 'GET', `${ALL_SERVICES}?limit=1&continue=${wrongVersion}`)).status).to.equal(400);
    const first = await call(running.url, 'GET', `${ALL_SERVICES}?limit=1`);
    const withVersion = await call(running.url, 'GET', `${ALL_SERVICES}?limit=1&resourceVersion=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(withVersion.status).to.equal(400);
    expect(withVersion.body.message).to.equal('specifying resource version is not allowed when using continue');
    expect((await call(running.url, 'GET', `${ALL_SERVICES}?limit=-1`)).status).to.equal(400);
  });

  it('pages a selected list without remainingItemCount, which the real server cannot count under a selector', async () => {
    running = await startServer();
    load(6);
    const pages = await allPages(running.url, `${ALL_SERVICES}?labelSelector=${encodeURIComponent('!absent')}`, 2);
    expect(pages.flatMap((p) => names(p.body))).to.have.length(6);
    expect(pages.map((p) => p.body.metadata.remainingItemCount)).to.deep.equal([undefined, undefined, undefined]);
    expect(pages.slice(0, 2).every((p) => typeof p.body.metadata.continue === 'string')).to.equal(true);
  });

  it('pages a Table (kubectl get --chunk-size) with the same continue tokens', async () => {
    running = await startServer();
    load(3);
    const page = await call(running.url, 'GET', `${ALL_SERVICES}?limit=2`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(page.body.kind).to.equal('Table');
    expect(page.body.rows).to.have.length(2);
    expect(page.body.metadata.remainingItemCount).to.equal(1);
    const next = await call(running.url, 'GET', `${ALL_SERVICES}?limit=2&continue=${encodeURIComponent(page.body.metadata.continue)}`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(next.body.rows).to.have.length(1);
    expect(next.body.metadata).to.not.have.property('continue');
  });
});
