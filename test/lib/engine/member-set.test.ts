// MemberSet (kernel-model.ts) stands in for a Set of a listed set's members without copying them: it must
// answer every question a Set would, through any mix of changes, whether the members were listed sorted
// (binary search and overlays) or in the kernel's hash order (the Set proper).
import { expect } from 'chai';
import { MemberSet } from '../../../lib/engine/kernel-model.js';
import { Rng } from './helpers/prng.js';

const POOL = Array.from({ length: 40 }, (_, i) => `10.0.${i % 7}.${i},tcp:80`);

function listed(rng: Rng, sorted: boolean): string[] {
  const members = [...new Set(POOL.filter(() => rng.chance(0.5)))];
  if (sorted) return members.sort();
  for (let i = members.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [members[i], members[j]] = [members[j]!, members[i]!];
  }
  return members;
}

describe('MemberSet', () => {
  it('behaves as a Set of the listed members through random changes, sorted or not (property)', () => {
    const rng = new Rng(4242);
    for (let n = 0; n < 400; n++) {
      const sorted = rng.chance(0.7);
      const list = listed(rng, sorted);
      const copy = [...list];
      const lazy = new MemberSet(list);
      const plain = new Set(list);
      for (let k = 0; k < 30; k++) {
        const e = POOL[rng.int(POOL.length)]!;
        const what = rng.int(4);
        if (what === 0) expect(lazy.delete(e), `delete ${e}`).to.equal(plain.delete(e));
        else if (what === 1) {
          lazy.add(e);
          plain.add(e);
        } else expect(lazy.has(e), `has ${e}`).to.equal(plain.has(e));
        expect(lazy.size).to.equal(plain.size);
      }
      const members = lazy.sortedMembers();
      if (sorted) expect(members).to.deep.equal([...plain].sort());
      else expect(members).to.equal(undefined);
      expect([...lazy].sort()).to.deep.equal([...plain].sort());
      expect(list, 'the listed array is never changed').to.deep.equal(copy);
    }
  });

  it('hands back the listed array itself until something changes it', () => {
    const list = ['a', 'b', 'c'];
    const s = new MemberSet(list);
    expect(s.has('b')).to.equal(true);
    expect(s.untouched).to.equal(list);
    expect(s.sortedMembers()).to.equal(list);
    s.add('b'); // already there: no change
    expect(s.untouched).to.equal(list);
    s.delete('a');
    expect(s.untouched).to.equal(undefined);
    expect(s.sortedMembers()).to.deep.equal(['b', 'c']);
    s.add('a');
    expect(s.sortedMembers()).to.deep.equal(['a', 'b', 'c']);
    s.clear();
    expect(s.size).to.equal(0);
    expect(s.untouched).to.equal(undefined);
  });
});
