import { expect } from 'chai';
import { planBuiltinChain } from '../../../lib/iptables/builtin-chain-plan.js';

// Our rules are lower case letters, others' rules upper case.
const ours = (rule: string) => rule === rule.toLowerCase();

describe('planBuiltinChain', () => {
  it('does nothing when our rules are there, once, in order', () => {
    expect(planBuiltinChain(['a', 'X', 'b', 'Y'], ['a', 'b'], ours)).to.deep.equal({ deletes: [], inserts: [], final: ['a', 'X', 'b', 'Y'] });
  });

  it('inserts missing rules at the top, before others, in the given order', () => {
    expect(planBuiltinChain(['X', 'Y'], ['a', 'b'], ours)).to.deep.equal({
      deletes: [],
      inserts: [{ position: 1, rule: 'a' }, { position: 2, rule: 'b' }],
      final: ['a', 'b', 'X', 'Y'],
    });
  });

  it('inserts a missing rule right after the previous rule of ours', () => {
    expect(planBuiltinChain(['X', 'a', 'Y', 'c'], ['a', 'b', 'c'], ours)).to.deep.equal({
      deletes: [],
      inserts: [{ position: 3, rule: 'b' }],
      final: ['X', 'a', 'b', 'Y', 'c'],
    });
  });

  it('does not move a rule of ours that another tool put something above', () => {
    expect(planBuiltinChain(['X', 'a'], ['a'], ours).inserts).to.deep.equal([]);
  });

  it('removes rules of ours that left the state, never others', () => {
    expect(planBuiltinChain(['X', 'old', 'a', 'Y'], ['a'], ours)).to.deep.equal({ deletes: ['old'], inserts: [], final: ['X', 'a', 'Y'] });
    expect(planBuiltinChain(['X', 'Y'], [], ours)).to.deep.equal({ deletes: [], inserts: [], final: ['X', 'Y'] });
  });

  it('removes a duplicate, keeping the copy that -D leaves (the last)', () => {
    expect(planBuiltinChain(['a', 'X', 'a'], ['a'], ours)).to.deep.equal({ deletes: ['a'], inserts: [], final: ['X', 'a'] });
    // -D removes the FIRST "t"; keeping the last copy is what leaves t before x.
    expect(planBuiltinChain(['t', 'x', 't'], ['x', 't'], ours)).to.deep.equal({ deletes: ['t'], inserts: [], final: ['x', 't'] });
    // Here the first copy is in the right place, but -D cannot remove a later copy by text: move instead.
    expect(planBuiltinChain(['t', 'x', 't'], ['t', 'x'], ours)).to.deep.equal({
      deletes: ['t', 't'],
      inserts: [{ position: 1, rule: 't' }],
      final: ['t', 'x'],
    });
  });

  it('fixes the order of our rules with as few moves as it can', () => {
    expect(planBuiltinChain(['b', 'X', 'a', 'c'], ['a', 'b', 'c'], ours)).to.deep.equal({
      deletes: ['a'],
      inserts: [{ position: 1, rule: 'a' }],
      final: ['a', 'b', 'X', 'c'],
    });
  });
});
