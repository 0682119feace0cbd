// The engine's record of an apply (its `after`) shares the desired state's ipset objects where the sets are
// equal: a proxier builds its desired state afresh each sync and keeps the record, so without sharing it held
// the record's own sorted copy of every member string (110,000 at 10,000 services) next to the desired ones.
import { expect } from 'chai';
import { encodeAck } from '../../../native-free-netlink/core/ack.js';
import { MessageFake } from '../../../lib/netlink/message-fake.js';
import { KernelEngine } from '../../../lib/engine/engine.js';
import { sameIpset, type ModelSet } from '../../../lib/engine/kernel-model.js';
import { planChanges } from '../../../lib/engine/plan.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import type { IpsetState } from '../../../lib/state/types.js';
import { set, state } from './helpers/builders.js';
import { fakeKernels } from './helpers/fake-kernels.js';
import { Rng } from './helpers/prng.js';
import { randomDesired, randomObserved } from './helpers/random-states.js';

function model(s: IpsetState, extra: Partial<ModelSet> = {}): ModelSet {
  const m: ModelSet = { name: s.name, type: s.type, family: s.family, entries: new Set(s.entries) };
  if (s.hashsize !== undefined) m.hashsize = s.hashsize;
  if (s.maxelem !== undefined) m.maxelem = s.maxelem;
  return { ...m, ...extra };
}

describe('the record of an apply shares the desired ipsets', () => {
  const held = state({ ipsets: [set('KUBE-LOOP-BACK', 'hash:ip,port,ip', ['10.244.0.2,tcp:80,10.244.0.2', '10.244.0.10,tcp:80,10.244.0.10'], { maxelem: 131072 })] }).ipsets[0]!;

  it('sameIpset: equal members and attributes of a canonical set', () => {
    expect(sameIpset(held, model(held))).to.equal(true);
    // The model's members in any order.
    expect(sameIpset(held, model({ ...held, entries: [...held.entries].reverse() }))).to.equal(true);
  });

  it('sameIpset: anything different, or a held set that is not canonical, is not the same', () => {
    expect(sameIpset(held, model({ ...held, entries: held.entries.slice(1) }))).to.equal(false);
    expect(sameIpset(held, model({ ...held, entries: [held.entries[0]!, '10.244.0.3,tcp:80,10.244.0.3'] }))).to.equal(false);
    expect(sameIpset(held, model(held, { maxelem: 65536 }))).to.equal(false);
    expect(sameIpset(held, model(held, { hashsize: 1024 }))).to.equal(false);
    expect(sameIpset(held, model(held, { family: 'inet6' }))).to.equal(false);
    expect(sameIpset(held, model(held, { type: 'hash:ip,port' }))).to.equal(false);
    expect(sameIpset(held, model(held, { size: 8 }))).to.equal(false);
    const unsorted: IpsetState = { ...held, entries: [...held.entries].reverse() };
    expect(sameIpset(unsorted, model(held))).to.equal(false);
  });

  it('random plans: the record with sharing deep-equals the record without, shared sets are the desired objects', () => {
    let shared = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rng = new Rng(seed);
      const desired = randomDesired(rng);
      const before = randomObserved(rng, desired);
      const ops = planChanges(desired, before);
      const plain = applyOperationsToState(before, ops);
      const sharing = applyOperationsToState(before, ops, desired.virtualServers, desired.ipsets);
      expect(sharing, `seed ${seed}`).to.deep.equal(plain);
      for (const s of sharing.ipsets) {
        const d = desired.ipsets.find((x) => x.name === s.name);
        if (d && s === d) shared++;
        // A set of the desired state's name that was not shared differs from it (or it was foreign and left).
        if (d && s !== d) expect(s, `seed ${seed} ${s.name}`).not.to.deep.equal(d);
      }
    }
    expect(shared).to.be.greaterThan(100);
  });

  it('engine: a partial sync\'s record holds the new desired set objects, and the next partial sync plans from it', async () => {
    const k = fakeKernels();
    // The fake cannot hold list:set members (the ledger's IPVS-PROXIER-SETS): those adds are acked and
    // forgotten, which the partial syncs here never read back.
    const ipset = new MessageFake(12, (m) => {
      try {
        return k.ipsetKernel.handle(m);
      } catch {
        return [encodeAck(m, 0)];
      }
    });
    const engine = await KernelEngine.open({ connections: { ipvs: k.ipvsConn, ipset, route: k.routeConn }, iptables: new FakeIptablesRunner() });
    const members = (changed: string) => ['10.244.0.1,tcp:80,10.244.0.1', changed, '10.244.0.10,tcp:80,10.244.0.10'];
    const first = await engine.apply(state({ ipsets: [set('KUBE-LOOP-BACK', 'hash:ip,port,ip', members('10.244.0.2,tcp:80,10.244.0.2'))] }));
    expect(first.failures).to.deep.equal([]);
    // Built afresh, as a proxier's next desired state is: other objects, one member replaced.
    const next = state({ ipsets: [set('KUBE-LOOP-BACK', 'hash:ip,port,ip', members('10.244.0.3,tcp:80,10.244.0.3'))] });
    const report = await engine.apply(next, { observed: first.after });
    expect(report.operations.map((o) => o.kind).sort()).to.deep.equal(['ipset-add', 'ipset-del']);
    expect(report.after.ipsets).to.have.length(1);
    expect(report.after.ipsets[0]).to.equal(next.ipsets[0]);
    // The kernel agrees with the record.
    const read = await engine.observe('kube-ipvs0', false);
    expect([...read.ipsets[0]!.entries].sort()).to.deep.equal(next.ipsets[0]!.entries);
    const again = await engine.apply(state({ ipsets: [set('KUBE-LOOP-BACK', 'hash:ip,port,ip', members('10.244.0.3,tcp:80,10.244.0.3'))] }), { observed: report.after });
    expect(again.operations).to.deep.equal([]);
    engine.close();
  });
});
