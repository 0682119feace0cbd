// The two big diffs of a re-apply, written for 100,000 members and real servers: set members through one
// Set (memberChanges), real servers through a merge walk of two sorted lists. Both checked against the
// plain key-set difference on random inputs.
import { expect } from 'chai';
import { memberChanges } from '../../../lib/engine/plan-ipsets.js';
import { planChanges } from '../../../lib/engine/plan.js';
import type { Operation } from '../../../lib/engine/operations.js';
import { realServerKey } from '../../../lib/state/canonical.js';
import type { RealServer } from '../../../lib/state/types.js';
import { observed, rs, state, vs } from './helpers/builders.js';
import { Rng } from './helpers/prng.js';

describe('memberChanges', () => {
  it('adds in the desired order, removes sorted, from observed members in any order', () => {
    expect(memberChanges(['c', 'a', 'x', 'b'], ['a', 'b', 'd', 'c'])).to.deep.equal({ adds: ['d'], dels: ['x'] });
    expect(memberChanges(['b', 'a'], ['a', 'b'])).to.deep.equal({ adds: [], dels: [] });
    expect(memberChanges([], ['a'])).to.deep.equal({ adds: ['a'], dels: [] });
    expect(memberChanges(['z', 'y'], [])).to.deep.equal({ adds: [], dels: ['y', 'z'] });
  });

  it('equals the plain set difference on random members (property)', () => {
    const rng = new Rng(7);
    const pool = Array.from({ length: 30 }, (_, i) => `10.0.0.${i},tcp:80`);
    for (let n = 0; n < 300; n++) {
      const have = rng.subset(pool, 0.5);
      for (let i = have.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [have[i], have[j]] = [have[j]!, have[i]!];
      }
      const want = [...new Set(rng.subset(pool, 0.5))].sort();
      const { adds, dels } = memberChanges(have, want);
      expect(adds).to.deep.equal(want.filter((e) => !have.includes(e)));
      expect(dels).to.deep.equal(have.filter((e) => !want.includes(e)).sort());
      // Observed sorted too (the engine's record of its last apply): the merge walk, same answer.
      expect(memberChanges([...have].sort(), want)).to.deep.equal({ adds, dels });
    }
  });

  it('compares two sorted lists without Sets, and the very same list as unchanged', () => {
    const want = ['10.0.0.1,tcp:80', '10.0.0.2,tcp:80', '10.0.0.3,tcp:80'];
    expect(memberChanges(want, want)).to.deep.equal({ adds: [], dels: [] });
    expect(memberChanges(['10.0.0.0,tcp:80', '10.0.0.2,tcp:80', '10.0.0.9,tcp:80'], want)).to.deep.equal({
      adds: ['10.0.0.1,tcp:80', '10.0.0.3,tcp:80'], dels: ['10.0.0.0,tcp:80', '10.0.0.9,tcp:80'],
    });
    // Desired with a duplicate (not canonical): the Set path, duplicates added once as before.
    expect(memberChanges(['b'], ['a', 'a', 'b'])).to.deep.equal({ adds: ['a', 'a'], dels: [] });
  });
});

describe('real server diff (merge walk)', () => {
  it('matches the key-based difference on random real server lists (property)', () => {
    const rng = new Rng(99);
    const pool = ['10.244.0.1', '10.244.0.2', '10.244.0.10', '10.244.1.1', '10.245.0.1'].flatMap((a) => [rs(`${a}:80`), rs(`${a}:8080`)]);
    for (let n = 0; n < 300; n++) {
      const have = rng.subset(pool, 0.5).map((r) => (rng.chance(0.2) ? { ...r, weight: 2 } : r));
      const want = rng.subset(pool, 0.5);
      const key = 'tcp 10.96.0.10:80';
      const ops = planChanges(state({ virtualServers: [vs(key, want)] }), observed({ virtualServers: [vs(key, have)], ownedVirtualServers: [key] }));
      const byKind = (kind: Operation['kind']): string[] => ops.filter((o) => o.kind === kind).map((o) => realServerKey((o as { realServer: RealServer }).realServer));
      const haveKeys = new Map(have.map((r) => [realServerKey(r), r]));
      const wantKeys = new Set(want.map(realServerKey));
      const sorted = (rss: RealServer[]): string[] => state({ virtualServers: [vs(key, rss)] }).virtualServers[0]!.realServers.map(realServerKey);
      expect(byKind('rs-add')).to.deep.equal(sorted(want.filter((r) => !haveKeys.has(realServerKey(r)))));
      expect(byKind('rs-del')).to.deep.equal(sorted(have.filter((r) => !wantKeys.has(realServerKey(r)))));
      expect(byKind('rs-update')).to.deep.equal(sorted(want.filter((r) => haveKeys.get(realServerKey(r))?.weight === 2)));
    }
  });

  it('still matches by key when a list has duplicates (a state that skipped validation)', () => {
    const key = 'tcp 10.96.0.10:80';
    const dup = { virtualServers: [vs(key, [rs('10.244.0.1:80'), rs('10.244.0.1:80'), rs('10.244.0.2:80')])], ipsets: [] };
    const ops = planChanges(dup, observed({ virtualServers: [vs(key, [rs('10.244.0.1:80')])], ownedVirtualServers: [key] }));
    expect(ops.map((o) => o.kind)).to.deep.equal(['rs-add']);
  });
});
