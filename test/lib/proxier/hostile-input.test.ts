// Property test (issue 10, hostile input): thousands of invalid and extreme Services and EndpointSlices
// (test/hostile/hostile-objects.ts) mixed with a fixed set of good Services, through the pure desired-state
// builder. It must never throw; report every bad object, by namespace/name and field, exactly once; leave
// the good Services' virtual servers, ipset members and addresses exactly as they are without the garbage;
// and produce a state the engine accepts (lib/state/validate.ts). HOSTILE_SEED=n replays one seed.
//
// "Once", precisely: in one build no two problems are equal (namespace, name, field, reason: the identity the
// proxier logs by, lib/proxier/proxier.ts logProblems) unless they name no object (a Service without a name
// has no other identity), and each listed flaw of an object is one problem;
// and the problems do not depend on the order the objects arrive in (a relist reorders them), so the
// proxier, which logs a problem when its identity first appears, does not log it again.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { buildDesiredState } from '../../../lib/proxier/desired-state.js';
import { healthCheckPorts } from '../../../lib/proxier/health-check-ports.js';
import type { DesiredStateResult, NodeConfig } from '../../../lib/proxier/types.js';
import { hostPort } from '../../../lib/state/canonical.js';
import { validateState } from '../../../lib/state/validate.js';
import type { State } from '../../../lib/state/types.js';
import { checkObject, problemId, problemsByObject, sorted } from '../../hostile/expectations.js';
import { generateHostile, isEndpointSlice, isService } from '../../hostile/hostile-objects.js';
import { GOOD_NAMES, goodObjects } from '../../hostile/good-objects.js';
import { seededRandom } from '../../native-free-netlink/rtnetlink/seeded-random.js';
import { node } from './fixtures.js';

const SEEDS = process.env['HOSTILE_SEED'] ? [Number(process.env['HOSTILE_SEED'])] : [1, 2, 3];
const COUNT = 3000;


function build(services: V1Service[], slices: V1EndpointSlice[], config: NodeConfig): DesiredStateResult {
  return buildDesiredState({ services, endpointSlices: slices, node: config });
}

function vsKey(vs: State['virtualServers'][number]): string {
  return `${vs.protocol} ${hostPort(vs.address ?? "", vs.port ?? 0)}`;
}

/** Everything the good Services alone contribute is in `all`, unchanged. */
function expectGoodUnaffected(good: State, all: State): void {
  const allVs = new Map(all.virtualServers.map((vs) => [vsKey(vs), vs]));
  for (const vs of good.virtualServers) expect(allVs.get(vsKey(vs)), `good virtual server ${vsKey(vs)}`).to.deep.equal(vs);
  const allSets = new Map(all.ipsets.map((s) => [s.name, new Set(s.entries)]));
  for (const set of good.ipsets) {
    const missing = set.entries.filter((e) => !allSets.get(set.name)?.has(e));
    expect(missing, `good members of ${set.name}`).to.deep.equal([]);
  }
  const addresses = new Set(all.interface?.addresses);
  expect(good.interface!.addresses.filter((a) => !addresses.has(a)), 'good addresses on kube-ipvs0').to.deep.equal([]);
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = seededRandom(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Runs `body`, naming the seed in any failure so it can be replayed with HOSTILE_SEED. */
function withSeed(seed: number, body: () => void): void {
  try {
    body();
  } catch (e) {
    (e as Error).message = `seed ${seed} (replay: HOSTILE_SEED=${seed}): ${(e as Error).message}`;
    throw e;
  }
}

describe('desired state under hostile input (property)', function () {
  this.timeout(120_000);
  const good = goodObjects();

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${COUNT} hostile objects: no throw, each reported once, good Services unaffected, state valid`, () => {
      withSeed(seed, () => {
        const hostile = generateHostile({ seed, count: COUNT, claimable: good.claimable, goodServices: GOOD_NAMES });
        const services = [...good.services, ...hostile.filter(isService).map((h) => h.object)];
        const slices = [...good.slices, ...hostile.filter(isEndpointSlice).map((h) => h.object)];
        const config = node();
        const alone = build(good.services, good.slices, config);
        expect(alone.problems).to.deep.equal([]);

        const result = build(services, slices, config);

        const ids = result.problems.map(problemId);
        // A Service without a (string) namespace or name has no identity to report it under but the empty one:
        // all such Services share one problem identity, so the proxier logs them as one.
        const named = result.problems.filter((p) => p.namespace !== '' && p.name !== '').map(problemId);
        expect(named.length - new Set(named).size, 'problems reported twice').to.equal(0);
        const byObject = problemsByObject(result.problems);
        const vsKeys = new Set(result.state.virtualServers.map(vsKey));
        for (const h of hostile) checkObject(h, byObject, vsKeys);
        // No problem names a good Service, except a garbage slice's labelled with its name.
        for (const p of result.problems) {
          if (GOOD_NAMES.includes(`${p.namespace}/${p.name}`)) expect(p.field, `problem on a good Service: ${problemId(p)}`).to.match(/^EndpointSlice h\d+-g /);
        }
        const skipped = hostile.filter((h) => isService(h) && h.outcome.kind === 'skipped').length;
        const unspecified = hostile.filter((h) => isService(h) && h.outcome.kind === 'unspecified').length;
        expect(result.stats.servicesSkipped, 'Services skipped').to.be.within(skipped, skipped + unspecified);

        expectGoodUnaffected(alone.state, result.state);
        expect(() => validateState(JSON.parse(JSON.stringify(result.state)))).to.not.throw();
        // The proxier's other reader of the same objects (health check node ports) survives them too, and
        // serves the good LoadBalancer's port only: no hostile Service here has a valid one.
        const health = healthCheckPorts({ services, endpointSlices: slices, node: config });
        expect([...health.ports.keys()], 'health check node ports').to.deep.equal([30999]);

        const again = build(shuffled(services, seed), shuffled(slices, seed + 1), config);
        expect(sorted(again.problems.map(problemId)), 'problems independent of input order').to.deep.equal(sorted(ids));
        expect(again.state, 'state independent of input order').to.deep.equal(result.state);
      });
    });
  }

  it('dual-stack node: no throw, good Services unaffected, state valid (outcomes differ: IPv6-only Services program)', () => {
    const seed = SEEDS[0]!;
    withSeed(seed, () => {
      const hostile = generateHostile({ seed, count: COUNT, claimable: good.claimable, goodServices: GOOD_NAMES, maxEndpoints: 1000 });
      const config = node({ ipFamilies: ['inet', 'inet6'], nodeIPs: ['192.168.122.10', 'fd00:122::10'], clusterCIDRs: ['10.244.0.0/16', 'fd00:244::/56'] });
      const alone = build(good.services, good.slices, config);
      const result = build([...good.services, ...hostile.filter(isService).map((h) => h.object)], [...good.slices, ...hostile.filter(isEndpointSlice).map((h) => h.object)], config);
      expectGoodUnaffected(alone.state, result.state);
      expect(() => validateState(JSON.parse(JSON.stringify(result.state)))).to.not.throw();
    });
  });

  it('the generator covers every kind of object in the first objects, and its objects are its seed\'s alone', () => {
    const a = generateHostile({ seed: 7, count: 60, claimable: good.claimable, goodServices: GOOD_NAMES, maxPorts: 10, maxEndpoints: 10 });
    const b = generateHostile({ seed: 7, count: 60, claimable: good.claimable, goodServices: GOOD_NAMES, maxPorts: 10, maxEndpoints: 10 });
    const c = generateHostile({ seed: 8, count: 60, claimable: good.claimable, goodServices: GOOD_NAMES, maxPorts: 10, maxEndpoints: 10 });
    expect(JSON.stringify(a)).to.equal(JSON.stringify(b));
    expect(JSON.stringify(a)).to.not.equal(JSON.stringify(c));
    const outcomes = new Set(a.map((h) => h.outcome.kind));
    expect([...outcomes].sort()).to.deep.equal(['conflict', 'ignored', 'programmed', 'skipped', 'slice-parts-skipped', 'unspecified']);
    const typed = generateHostile({ seed: 7, count: 200, claimable: good.claimable, goodServices: GOOD_NAMES, wellTypedOnly: true, maxPorts: 10, maxEndpoints: 10 });
    expect(typed.every((h) => h.wellTyped)).to.equal(true);
  });
});
