// Property: the sync after a periodic read, planned by scope (its own changes plus the keys where the read
// differs from the record: drift-scope.ts), makes the operations the full planner makes against the read.
// Drift anywhere, ours included: virtual servers deleted, changed or added by someone else, set members and
// addresses deleted, ledger entries lost. A failure prints its seed.
import { expect } from 'chai';
import { driftScope } from '../../../lib/engine/drift-scope.js';
import type { ObservedState } from '../../../lib/engine/observed.js';
import { describe as describeOp, type Operation } from '../../../lib/engine/operations.js';
import { planCanonical, planChanges } from '../../../lib/engine/plan.js';
import { planScoped } from '../../../lib/engine/plan-scoped.js';
import { mergeScopes } from '../../../lib/engine/scope.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { canonicalState, canonicalVirtualServer, virtualServerKey } from '../../../lib/state/canonical.js';
import type { VirtualServer } from '../../../lib/state/types.js';
import { Rng } from './helpers/prng.js';
import { nextDesired, randomDesired, randomObserved } from './helpers/random-states.js';
import { differences } from './helpers/state-differences.js';

const RUNS = 400;

/** Someone else's changes to the kernel the record describes; unchanged virtual servers stay the same objects. */
function drifted(rng: Rng, record: ObservedState): ObservedState {
  const ledgerVs = new Set(record.ledger.virtualServers);
  const out: ObservedState = { ...record, ledger: { ...record.ledger, virtualServers: ledgerVs } };
  delete out.sorted;
  let vs: VirtualServer[] = [...record.virtualServers];
  if (vs.length > 0 && rng.chance(0.4)) vs.splice(rng.int(vs.length), 1); // ipvsadm -D
  if (vs.length > 0 && rng.chance(0.4)) {
    const i = rng.int(vs.length);
    const v = vs[i]!;
    vs[i] = rng.chance(0.5) && v.realServers.length > 0 ? { ...v, realServers: v.realServers.slice(1) } : { ...v, scheduler: v.scheduler === 'rr' ? 'lc' : 'rr' };
  }
  if (rng.chance(0.3)) {
    // A foreign virtual server (keepalived's), or one of ours re-created by hand.
    const other = randomObserved(rng, canonicalState({ virtualServers: [], ipsets: [] })).virtualServers.filter((v) => !vs.some((h) => virtualServerKey(h) === virtualServerKey(v)));
    if (other.length > 0) vs.push(canonicalVirtualServer(rng.pick(other))); // a read's objects are canonical
  }
  vs = vs.reverse();
  out.virtualServers = vs;
  if (rng.chance(0.2) && ledgerVs.size > 0) ledgerVs.delete(rng.pick([...ledgerVs]));
  out.ipsets = record.ipsets.map((s) => ({ ...s, entries: (rng.chance(0.3) && s.entries.length > 0 ? s.entries.filter((_, i) => i !== rng.int(s.entries.length)) : [...s.entries]).reverse() }));
  if (record.interface && rng.chance(0.3)) out.interface = { ...record.interface, addresses: record.interface.addresses.filter(() => rng.chance(0.8)).reverse() };
  return out;
}

function sortedDescriptions(ops: readonly Operation[]): string[] {
  return ops.map(describeOp).sort();
}

function check(seed: number): 'scoped' | 'full' {
  const rng = new Rng(seed);
  const first = randomDesired(rng);
  const start = randomObserved(rng, first);
  const record = applyOperationsToState(start, planChanges(first, start));
  const read = drifted(rng, record);
  const next = nextDesired(rng, first);
  const ds = driftScope(read, record);
  if (!ds) return 'full';
  const scoped = planScoped(next, ds.observed, mergeScopes(differences(first, next), ds.scope));
  if (!scoped) return 'full';
  const context = `seed ${seed}\nscoped:\n${scoped.map(describeOp).join('\n')}`;
  expect(sortedDescriptions(scoped), context).to.deep.equal(sortedDescriptions(planCanonical(next, read)));
  // The observed state it hands back is the read, in the record's sorted form.
  const norm = (o: ObservedState) => {
    const { connections: _c, sorted: _s, canonical: _k, ...rest } = applyOperationsToState(o, []);
    return rest;
  };
  expect(norm(ds.observed), context).to.deep.equal(norm(read));
  return 'scoped';
}

describe('driftScope property: the sync after a periodic read, planned by scope', function () {
  this.timeout(60_000);

  it(`${RUNS} random records with drift: the scoped plan equals the full plan against the read`, () => {
    const base = Number(process.env.PROPERTY_SEED ?? 1);
    let scoped = 0;
    for (let i = 0; i < RUNS; i++) if (check(base + i) === 'scoped') scoped++;
    expect(scoped, 'reads planned by scope').to.be.greaterThan(RUNS / 3);
  });

  it('a read equal to the record: nothing in the scope, the record\'s own lists', () => {
    const rng = new Rng(11);
    const first = randomDesired(rng);
    const start = randomObserved(rng, first);
    const record = applyOperationsToState(start, planChanges(first, start));
    const { sorted: _s, ...read } = { ...record, virtualServers: [...record.virtualServers].reverse() };
    const ds = driftScope(read, record)!;
    expect(ds.scope.virtualServers.size + ds.scope.ipsetMembers.size + ds.scope.addresses.size).to.equal(0);
    expect(ds.observed.virtualServers).to.equal(record.virtualServers);
  });
});
