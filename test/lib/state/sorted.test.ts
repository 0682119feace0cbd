// patchSorted against the obvious rebuild (apply the changes to a Map, sort everything), on random lists
// and change sets: the same list, and the input never changed.
import { expect } from 'chai';
import { compareStrings, patchSorted, sortedIndex } from '../../../lib/state/sorted.js';
import { Rng } from '../engine/helpers/prng.js';

describe('sorted lists', () => {
  it('sortedIndex searches from the given index', () => {
    const list = ['a', 'c', 'e', 'g'];
    expect(sortedIndex(list, 'e', compareStrings)).to.equal(2);
    expect(sortedIndex(list, 'e', compareStrings, 2)).to.equal(2);
    expect(sortedIndex(list, 'f', compareStrings, 1)).to.equal(-4);
    expect(sortedIndex(list, 'b', compareStrings, 2)).to.equal(-3); // not before `from`
  });

  it('patchSorted makes the list a sorted rebuild makes, for 500 random lists and change sets', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rng = new Rng(seed);
      const pool = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      const list = rng.subset(pool, rng.next()).sort(compareStrings);
      const frozen = [...list];
      const keys = rng.subset(pool, rng.next());
      const changes = keys.map((k) => [k, rng.chance(0.5) ? k : undefined] as const).sort(() => rng.next() - 0.5);
      const want = new Set(list);
      for (const [k, item] of changes) {
        if (item === undefined) want.delete(k);
        else want.add(item);
      }
      expect(patchSorted(list, changes, compareStrings, compareStrings), `seed ${seed}`).to.deep.equal([...want].sort(compareStrings));
      expect(list, 'input untouched').to.deep.equal(frozen);
    }
  });

  it('patchSorted replaces an equal item with the given object', () => {
    const a = { k: 1, v: 'old' };
    const b = { k: 2, v: 'old' };
    const newer = { k: 2, v: 'new' };
    const byKey = (x: { k: number }, y: { k: number }) => x.k - y.k;
    const out = patchSorted([a, b], [[newer, newer]], byKey, byKey);
    expect(out).to.deep.equal([a, newer]);
    expect(out[1]).to.equal(newer);
  });
});
