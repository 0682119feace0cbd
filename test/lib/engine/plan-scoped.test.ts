// Property: planned against the record of an apply, a scoped plan (only the keys that differ between the
// state applied and the next one) makes the same operations as the full planner, and the record the engine
// then keeps (simulate-scoped.ts) equals the whole-state simulation's. A failure prints its seed.
import { expect } from 'chai';
import type { ObservedState } from '../../../lib/engine/observed.js';
import { describe as describeOp } from '../../../lib/engine/operations.js';
import { planCanonical, planChanges } from '../../../lib/engine/plan.js';
import { planScoped } from '../../../lib/engine/plan-scoped.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { applyScopedOperations, quietRecord } from '../../../lib/engine/simulate-scoped.js';
import { Rng } from './helpers/prng.js';
import { nextDesired, randomDesired, randomObserved } from './helpers/random-states.js';
import { differences } from './helpers/state-differences.js';

const RUNS = 400;

function sortedDescriptions(ops: Parameters<typeof describeOp>[0][]): string[] {
  return ops.map(describeOp).sort();
}

function check(seed: number): boolean {
  const rng = new Rng(seed);
  const first = randomDesired(rng);
  const kernel = randomObserved(rng, first);
  const record: ObservedState = applyOperationsToState(kernel, planChanges(first, kernel));
  const next = nextDesired(rng, first);
  const scope = differences(first, next);
  const scoped = planScoped(next, record, scope);
  if (!scoped) return false;
  const context = `seed ${seed}\nscoped:\n${scoped.map(describeOp).join('\n')}`;
  expect(sortedDescriptions(scoped), context).to.deep.equal(sortedDescriptions(planCanonical(next, record)));
  const after = applyOperationsToState(record, scoped);
  // A plan that creates a ledger set is left to the whole-state simulation (undefined); any other is placed.
  const kept = applyScopedOperations(record, scoped, next);
  if (scoped.some((op) => op.kind === 'ledger-create')) expect(kept, context).to.equal(undefined);
  else expect(kept, context).to.deep.equal(after);
  // Converged: nothing left to do, scoped or not.
  expect(planChanges(next, after).map(describeOp), context).to.deep.equal([]);
  return true;
}

describe('planScoped property: the next state planned by scope against an apply\'s record', function () {
  this.timeout(60_000);

  it(`${RUNS} random pairs plan as the full planner does, and the record after equals the full simulation`, () => {
    const base = Number(process.env.PROPERTY_SEED ?? 1);
    let scopedRuns = 0;
    for (let i = 0; i < RUNS; i++) if (check(base + i)) scopedRuns++;
    // Most pairs keep their sets and interface, so a scoped plan can say enough.
    expect(scopedRuns, 'pairs planned by scope').to.be.greaterThan(RUNS / 2);
  });

  it('a quiet kernel read (nothing planned) gives the record the whole-state simulation gives, sorted', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const rng = new Rng(seed);
      const first = randomDesired(rng);
      const kernel = randomObserved(rng, first);
      const record = applyOperationsToState(kernel, planChanges(first, kernel));
      // Read back: a copy in the kernel's order (reversed lists), not flagged sorted.
      const { sorted: _no, ...copy } = structuredClone(record);
      const read: ObservedState = { ...copy, virtualServers: [...copy.virtualServers].reverse(), ipsets: copy.ipsets.map((s) => ({ ...s, entries: [...s.entries].reverse() })) };
      if (read.interface) read.interface = { ...read.interface, addresses: [...read.interface.addresses].reverse() };
      expect(planChanges(first, read).map(describeOp), `seed ${seed}`).to.deep.equal([]);
      // The record takes the desired sets: hashsize (a creation hint) and limits equal to the defaults may read differently.
      const noHashsize = (o: ObservedState) => ({
        ...o,
        ipsets: o.ipsets.map(({ hashsize: _h, ...rest }) => {
          if (rest.maxelem === 65536) delete rest.maxelem;
          if (rest.range === '0-65535') delete rest.range;
          return rest;
        }),
      });
      expect(noHashsize(quietRecord(read, first)), `seed ${seed}`).to.deep.equal(noHashsize(applyOperationsToState(read, [])));
    }
  });

  it('leaves planning to the full planner for a kernel read (lists not known to be sorted)', () => {
    const rng = new Rng(7);
    const state = randomDesired(rng);
    const kernel = randomObserved(rng, state);
    expect(planScoped(state, { ...kernel, sorted: false }, differences(state, state))).to.equal(undefined);
  });
});
