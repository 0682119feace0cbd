import { expect } from 'chai';
import { ChangeTracker, endpointSliceProjection, serviceProjection } from '../../../lib/kube/change-tracker.js';

type Obj = { metadata: { name: string; resourceVersion?: string }; spec: { port: number } };
const obj = (port: number, rv = '1'): Obj => ({ metadata: { name: 'a', resourceVersion: rv }, spec: { port } });

describe('ChangeTracker', () => {
  it('reports a real change and drains it', () => {
    const t = new ChangeTracker<Obj>(serviceProjection);
    expect(t.update('ns/a', obj(80))).to.equal(true);
    const d = t.drain();
    expect([...d.values()][0]).to.deep.equal({ previous: undefined, current: obj(80) });
    expect(t.pendingCount).to.equal(0);
  });

  it('drops an update that restores the synced version', () => {
    const t = new ChangeTracker<Obj>(serviceProjection);
    t.update('ns/a', obj(80));
    t.drain();
    expect(t.update('ns/a', obj(81))).to.equal(true);
    expect(t.update('ns/a', obj(80, '7'))).to.equal(false);
    expect(t.pendingCount).to.equal(0);
  });

  it('drops an add followed by a delete', () => {
    const t = new ChangeTracker<Obj>(serviceProjection);
    t.update('ns/a', obj(80));
    expect(t.update('ns/a', undefined)).to.equal(false);
  });

  it('ignores resourceVersion-only churn', () => {
    const t = new ChangeTracker<Obj>(serviceProjection);
    t.update('ns/a', obj(80, '1'));
    t.drain();
    expect(t.update('ns/a', obj(80, '2'))).to.equal(false);
  });

  it('keeps the first previous across several updates', () => {
    const t = new ChangeTracker<Obj>(serviceProjection);
    t.update('ns/a', obj(80));
    t.drain();
    t.update('ns/a', obj(81));
    t.update('ns/a', obj(82));
    const change = t.drain().get('ns/a')!;
    expect(change.previous!.spec.port).to.equal(80);
    expect(change.current!.spec.port).to.equal(82);
  });

  it('lists current objects including pending ones', () => {
    const t = new ChangeTracker<Obj>(serviceProjection);
    t.update('ns/a', obj(80));
    t.drain();
    t.update('ns/b', { metadata: { name: 'b' }, spec: { port: 1 } });
    t.update('ns/a', undefined);
    expect(t.currentObjects().map((o) => o.metadata.name)).to.deep.equal(['b']);
  });

  it('sees endpoint readiness changes in EndpointSlices', () => {
    const t = new ChangeTracker(endpointSliceProjection);
    const slice = (ready: boolean) => ({ metadata: { labels: { 'kubernetes.io/service-name': 's' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }] });
    t.update('ns/s-1', slice(true));
    t.drain();
    expect(t.update('ns/s-1', slice(false))).to.equal(true);
  });
});
