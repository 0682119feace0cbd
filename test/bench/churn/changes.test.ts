// e2e/bench/churn/changes.ts: the writer's changes (which Service, which endpoint, which new pod IP, when).
import { expect } from 'chai';
import { ChangeSource, dueAt, seededRandom, type Change } from '../../../e2e/bench/churn/changes.js';
import { initialPodIps } from '../../../e2e/bench/churn/cluster-objects.js';

function take(source: ChangeSource, n: number, busy: (s: number) => boolean = () => false): Change[] {
  return Array.from({ length: n }, () => source.next(busy)!);
}

describe('churn bench: change generation', () => {
  it('replaces one endpoint of a Service with a pod IP never used before', () => {
    const changes = take(new ChangeSource(50, seededRandom(1)), 2000);
    const initial = new Set(Array.from({ length: 50 }, (_, i) => initialPodIps(i)).flat());
    const fresh = new Set(changes.map((c) => c.newIp));
    expect(fresh.size).to.equal(2000);
    for (const ip of fresh) expect(initial.has(ip), ip).to.equal(false);
    expect(changes.map((c) => c.seq)).to.deep.equal(changes.map((_, i) => i));
  });

  it('starts from the Services as loaded and carries each change into the next one of that Service', () => {
    const source = new ChangeSource(3, seededRandom(2));
    const current = [0, 1, 2].map((i) => initialPodIps(i));
    for (const c of take(source, 300)) {
      expect(current[c.service]![c.endpoint]).to.equal(c.oldIp);
      const expected = [...current[c.service]!];
      expected[c.endpoint] = c.newIp;
      expect(c.podIps).to.deep.equal(expected);
      current[c.service] = expected;
    }
  });

  it('spreads changes over all Services and endpoints', () => {
    const changes = take(new ChangeSource(20, seededRandom(3)), 4000);
    expect(new Set(changes.map((c) => c.service)).size).to.equal(20);
    expect(new Set(changes.map((c) => c.endpoint)).size).to.equal(10);
  });

  it('is the same sequence for the same seed, another for another', () => {
    const a = take(new ChangeSource(1000, seededRandom(42)), 50).map((c) => [c.service, c.endpoint]);
    const b = take(new ChangeSource(1000, seededRandom(42)), 50).map((c) => [c.service, c.endpoint]);
    const c = take(new ChangeSource(1000, seededRandom(43)), 50).map((x) => [x.service, x.endpoint]);
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
  });

  it('never picks a busy Service, and gives up only when all are busy', () => {
    const source = new ChangeSource(10, seededRandom(4));
    const busy = (s: number) => s !== 7;
    for (const c of take(source, 20, busy)) expect(c.service).to.equal(7);
    expect(source.next(() => true)).to.equal(undefined);
  });

  it('spaces due times 1/rate apart from the start', () => {
    expect(dueAt(1000, 0, 50)).to.equal(1000);
    expect(dueAt(1000, 1, 50)).to.equal(1020);
    expect(dueAt(1000, 250, 50)).to.equal(6000);
    expect(dueAt(0, 3, 5)).to.equal(600);
  });
});
