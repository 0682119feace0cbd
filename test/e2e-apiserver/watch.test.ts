// Watch semantics: initial state, replay from a resourceVersion, 410 Gone
// from a compacted history, BOOKMARKs and timeouts on an injected clock,
// selector transitions.

import { expect } from 'chai';
import { ManualClock } from '../../e2e/apiserver-src/clock.js';
import { SERVICES } from '../../e2e/apiserver-src/resource-types.js';
import { call, eventually, service, startServer, WatchReader, type RunningServer } from './helpers.js';

const PATH = '/api/v1/namespaces/default/services';

describe('e2e apiserver: watch', () => {
  let running: RunningServer;
  let clock: ManualClock;
  const readers: WatchReader[] = [];

  beforeEach(async () => {
    clock = new ManualClock();
    running = await startServer({ clock, historySize: 3, bookmarkIntervalMs: 5000 });
  });
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await running.stop();
  });

  const open = async (query: string, path = PATH) => {
    const reader = await WatchReader.open(running.url, `${path}?watch=true&${query}`);
    readers.push(reader);
    return reader;
  };
  const create = (name: string, labels: Record<string, string> = {}) => running.server.registry.create(SERVICES, { ...service(name), metadata: { name, labels } });

  it('without a resourceVersion sends the current objects as ADDED, then live changes', async () => {
    create('a');
    const watch = await open('');
    expect(watch.status).to.equal(200);
    const first = await watch.next();
    expect(first.type).to.equal('ADDED');
    expect(first.object).to.include({ kind: 'Service', apiVersion: 'v1' });
    expect(first.object.metadata.name).to.equal('a');
    create('b');
    expect((await watch.next()).object.metadata.name).to.equal('b');
  });

  it('replays the changes after the given resourceVersion, in order', async () => {
    const list = await call(running.url, 'GET', PATH);
    const from = list.body.metadata.resourceVersion as string;
    const a = create('a');
    running.server.registry.update(SERVICES, { ...a, metadata: { ...a.metadata, labels: { x: 'y' } } }, { name: 'a' });
    running.server.registry.delete(SERVICES, 'default', 'a');
    const watch = await open(`resourceVersion=${from}`);
    const events = [await watch.next(), await watch.next(), await watch.next()];
    expect(events.map((e) => e.type)).to.deep.equal(['ADDED', 'MODIFIED', 'DELETED']);
    const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(versions).to.deep.equal([Number(from) + 1, Number(from) + 2, Number(from) + 3]);
  });

  it('answers a resourceVersion older than the history with an ERROR event carrying 410 Expired, then ends', async () => {
    const from = (await call(running.url, 'GET', PATH)).body.metadata.resourceVersion as string;
    for (const name of ['a', 'b', 'c', 'd']) create(name); // 4 changes, history keeps 3
    const watch = await open(`resourceVersion=${from}`);
    expect(watch.status).to.equal(200);
    const event = await watch.next();
    expect(event.type).to.equal('ERROR');
    expect(event.object).to.include({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' });
    expect(event.object.message).to.match(/^too old resource version: \d+ \(\d+\)$/);
    await watch.ends();

    // One version later is still fully in the history.
    const recent = await open(`resourceVersion=${Number(from) + 1}`);
    expect((await recent.next()).object.metadata.name).to.equal('b');
  });

  it('sends BOOKMARKs on the clock only when allowWatchBookmarks is set', async () => {
    const rv = (await call(running.url, 'GET', PATH)).body.metadata.resourceVersion as string;
    const withBookmarks = await open(`resourceVersion=${rv}&allowWatchBookmarks=true`);
    const without = await open(`resourceVersion=${rv}`);
    await eventually(() => running.server.activeWatches === 2, 'both watches registered');
    clock.advance(4999);
    create('a');
    expect((await withBookmarks.next()).type).to.equal('ADDED');
    clock.advance(1);
    const bookmark = await withBookmarks.next();
    expect(bookmark.type).to.equal('BOOKMARK');
    expect(bookmark.object).to.deep.equal({ kind: 'Service', apiVersion: 'v1', metadata: { resourceVersion: String(Number(rv) + 1) } });
    // The other watch got the change and nothing else.
    expect((await without.next()).type).to.equal('ADDED');
    create('b');
    expect((await without.next()).object.metadata.name).to.equal('b');
  });

  it('ends the stream after timeoutSeconds on the server clock', async () => {
    const watch = await open('resourceVersion=1&timeoutSeconds=30');
    await eventually(() => running.server.activeWatches === 1, 'watch registered');
    clock.advance(29_000);
    expect(watch.isEnded).to.equal(false);
    clock.advance(1_000);
    await watch.ends();
    expect(running.server.activeWatches).to.equal(0);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('turns label changes into ADDED/DELETED for a watch with a label selector', async () => {
    const rv = (await call(running.url, 'GET', PATH)).body.metadata.resourceVersion as string;
    const watch = await open(`resourceVersion=${rv}&labelSelector=tier%3Dweb`);
    const a = create('a');
    const labelled = running.server.registry.update(SERVICES, { ...a, metadata: { ...a.metadata, labels: { tier: 'web' } } }, { name: 'a' });
    running.server.registry.update(SERVICES, { ...labelled, metadata: { ...labelled.metadata, labels: {} } }, { name: 'a' });
    const added = await watch.next();
    expect(added.type).to.equal('ADDED');
    expect(added.object.metadata.labels).to.deep.equal({ tier: 'web' });
    const left = await watch.next();
    expect(left.type).to.equal('DELETED');
    expect(Number(left.object.metadata.resourceVersion)).to.equal(Number(labelled.metadata.resourceVersion) + 1);
  });

  it('filters by fieldSelector=metadata.name, as the Node informer asks', async () => {
    const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
    const watch = await open('fieldSelector=metadata.name%3Dnode-1', '/api/v1/nodes');
    await eventually(() => running.server.activeWatches === 1, 'watch registered');
    await call(running.url, 'POST', '/api/v1/nodes', node('node-2'));
    await call(running.url, 'POST', '/api/v1/nodes', node('node-1'));
    const event = await watch.next();
    expect(event.object.metadata.name).to.equal('node-1');
  });

  it('stops sending when the server closes watches', async () => {
    const watch = await open('resourceVersion=1');
    await eventually(() => running.server.activeWatches === 1, 'watch registered');
    running.server.closeWatches();
    await watch.ends();
  });

  it('a stalled watch stays open and delivers nothing, while a watch opened later gets the change', async () => {
    const from = (await call(running.url, 'GET', PATH)).body.metadata.resourceVersion as string;
    const stalled = await open(`resourceVersion=${from}&allowWatchBookmarks=true`);
    await eventually(() => running.server.activeWatches === 1, 'watch registered');
    running.server.stallWatches();
    create('a');
    clock.advance(20_000); // bookmarks would be due
    const later = await open(`resourceVersion=${from}`);
    expect((await later.next()).object.metadata.name).to.equal('a');
    expect(stalled.isEnded).to.equal(false);
    expect(running.server.activeWatches).to.equal(2);
    running.server.closeWatches();
    await stalled.ends(); // throws on any event it got before the end
  });

  it('after close(), listen() comes back on the same port with the same objects and history', async () => {
    const from = (await call(running.url, 'GET', PATH)).body.metadata.resourceVersion as string;
    await running.server.close();
    create('a'); // written while the server was down
    expect(await running.server.listen()).to.equal(running.url);
    const watch = await open(`resourceVersion=${from}`);
    const event = await watch.next();
    expect([event.type, event.object.metadata.name]).to.deep.equal(['ADDED', 'a']);
  });
});
