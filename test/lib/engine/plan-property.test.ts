import { expect } from 'chai';
import { canonicalIpset, canonicalVirtualServer, compareVirtualServers, realServerKey, virtualServerKey } from '../../../lib/state/canonical.js';
import type { IpsetState, State, VirtualServer } from '../../../lib/state/types.js';
import type { ObservedState } from '../../../lib/engine/observed.js';
import { describe as describeOp } from '../../../lib/engine/operations.js';
import { planChanges } from '../../../lib/engine/plan.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { orderingViolations, touchedObjects } from './helpers/invariants.js';
import { Rng } from './helpers/prng.js';
import { randomDesired, randomObserved } from './helpers/random-states.js';

const RUNS = 400;

/** hashsize is a creation hint (never compared); an explicit default maxelem equals an omitted one. */
function comparable(s: IpsetState): IpsetState {
  const { hashsize: _ignored, ...rest } = s;
  if (rest.maxelem === 65536) delete rest.maxelem;
  if (rest.range === '0-65535') delete rest.range;
  return rest;
}

function foreignOf(desired: State, o: ObservedState): { virtualServers: VirtualServer[]; ipsets: IpsetState[] } {
  const desiredVs = new Set(desired.virtualServers.map(virtualServerKey));
  const desiredSets = new Set(desired.ipsets.map((s) => s.name));
  // In canonical form: a kernel read lists in its own order.
  return {
    virtualServers: o.virtualServers
      .filter((v) => !desiredVs.has(virtualServerKey(v)) && !o.ledger.virtualServers.has(virtualServerKey(v)))
      .map(canonicalVirtualServer)
      .sort(compareVirtualServers),
    ipsets: o.ipsets
      .filter((s) => !desiredSets.has(s.name) && !o.ledger.ipsets.has(s.name))
      .map(canonicalIpset)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

function check(seed: number): void {
  const rng = new Rng(seed);
  const desired = randomDesired(rng);
  const before = randomObserved(rng, desired);
  const ops = planChanges(desired, before);
  const context = (): string => `seed ${seed}\n${ops.map(describeOp).join('\n')}`;

  let after: ObservedState;
  try {
    after = applyOperationsToState(before, ops);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${context()}`);
  }
  expect(orderingViolations(ops, before), context()).to.deep.equal([]);

  // The kernel now holds exactly the desired objects, all owned, and nothing else of ours.
  const keys = desired.virtualServers.map(virtualServerKey);
  expect(after.virtualServers.filter((v) => keys.includes(virtualServerKey(v))), context()).to.deep.equal(desired.virtualServers);
  expect([...after.ledger.virtualServers].sort(), context()).to.deep.equal([...keys].sort());
  const names = desired.ipsets.map((s) => s.name);
  expect(after.ipsets.filter((s) => names.includes(s.name)).map(comparable), context()).to.deep.equal(desired.ipsets.map(comparable));
  expect([...after.ledger.ipsets].sort(), context()).to.deep.equal([...names].sort());
  expect([...after.ledger.temporaryIpsets], context()).to.deep.equal([]);
  if (desired.interface) expect(after.interface?.addresses, context()).to.deep.equal(desired.interface.addresses);
  if (desired.iptables) expect(after.iptables, context()).to.deep.equal(desired.iptables);

  // Foreign objects: untouched, and never named by an operation.
  const foreign = foreignOf(desired, before);
  expect(foreignOf(desired, after), context()).to.deep.equal(foreign);
  const foreignNames = new Set([
    ...foreign.virtualServers.map((v) => `vs ${virtualServerKey(v)}`),
    ...foreign.ipsets.map((s) => `ipset ${s.name}`),
  ]);
  for (const op of ops) {
    for (const t of touchedObjects(op)) expect(foreignNames.has(t), `${describeOp(op)} touches foreign ${t}\n${context()}`).to.equal(false);
  }

  // Converged: a second plan has nothing to do.
  expect(planChanges(desired, after).map(describeOp), context()).to.deep.equal([]);
}

describe('planChanges property: random desired/observed pairs', function () {
  // Pure CPU work, but the shared test machine can be very loaded.
  this.timeout(120_000);

  it(`applies cleanly, reaches the desired state, leaves foreign objects alone and converges (${RUNS} seeds)`, () => {
    for (let seed = 1; seed <= RUNS; seed++) check(seed);
  });

  it('with graceful termination: applies cleanly and converges; only draining TCP/fwmark real servers linger', () => {
    for (let seed = 1000; seed < 1000 + RUNS / 2; seed++) {
      const rng = new Rng(seed);
      const desired = randomDesired(rng);
      const base = randomObserved(rng, desired);
      const conns = new Map<string, Map<string, number>>();
      for (const v of base.virtualServers) {
        conns.set(virtualServerKey(v), new Map(v.realServers.map((r) => [realServerKey(r), rng.pick([0, 0, 3])])));
      }
      const before: ObservedState = { ...base, connections: conns };
      const ops = planChanges(desired, before, { gracefulTermination: true });
      const context = `seed ${seed}\n${ops.map(describeOp).join('\n')}`;
      const after = applyOperationsToState(before, ops);
      expect(planChanges(desired, after, { gracefulTermination: true }).map(describeOp), context).to.deep.equal([]);
      for (const want of desired.virtualServers) {
        const have = after.virtualServers.find((v) => virtualServerKey(v) === virtualServerKey(want))!;
        const wanted = new Set(want.realServers.map(realServerKey));
        for (const r of have.realServers.filter((x) => !wanted.has(realServerKey(x)))) {
          expect(r.weight, context).to.equal(0);
          expect(want.protocol === 'udp' || want.protocol === 'sctp', context).to.equal(false);
          expect(conns.get(virtualServerKey(want))?.get(realServerKey(r)), context).to.be.greaterThan(0);
        }
        expect(have.realServers.filter((x) => wanted.has(realServerKey(x))), context).to.deep.equal(want.realServers);
      }
    }
  });

  it('is deterministic: the same inputs give the same plan', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const a = new Rng(seed);
      const desired = randomDesired(a);
      const observed = randomObserved(a, desired);
      expect(planChanges(desired, observed)).to.deep.equal(planChanges(desired, observed));
    }
  });
});
