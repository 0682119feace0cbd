// The executor's send order and batching: executionOrder keeps every plan valid (the simulator and the
// ordering invariants agree) while putting ledger entries of new/removed virtual servers together, and a
// run of ledger entries for one set travels as one multi-member ipset message (checked at the message level).
import { expect } from 'chai';
import { decodeRequest } from '../../../native-free-netlink/ipset/index.js';
import { NLM_F_ACK } from '../../../native-free-netlink/core/message.js';
import { executePlan, executionOrder, segments } from '../../../lib/engine/execute.js';
import { LEDGER_VS } from '../../../lib/engine/ledger.js';
import { emptyObservedState } from '../../../lib/engine/observed.js';
import type { Operation } from '../../../lib/engine/operations.js';
import { planChanges } from '../../../lib/engine/plan.js';
import { applyOperationsToState } from '../../../lib/engine/simulate.js';
import { IPSET_CMD_ADD, IpsetClient, MEMBER_SLICE } from '../../../lib/kernel/ipset-client.js';
import { IpvsClient } from '../../../lib/kernel/ipvs-client.js';
import { LinkClient } from '../../../lib/kernel/link-client.js';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import { rs, set, state, vs } from './helpers/builders.js';
import { fakeKernels, ipvsHandler } from './helpers/fake-kernels.js';
import { ServiceTableWrites } from '../../../lib/engine/service-table-writes.js';
import { MessageFake } from '../../../lib/netlink/message-fake.js';
import { GENL_ID_CTRL } from '../../../native-free-netlink/genetlink/ctrl.js';
import { IPVS_CMD_NEW_DEST, IPVS_CMD_NEW_SERVICE, decodeIpvsRequest } from '../../../native-free-netlink/ipvs/index.js';
import { orderingViolations } from './helpers/invariants.js';
import { Rng } from './helpers/prng.js';
import { randomDesired, randomObserved } from './helpers/random-states.js';

function kinds(ops: readonly Operation[]): string[] {
  return ops.map((o) => (o.kind === 'ledger-add' || o.kind === 'ledger-del' ? `${o.kind} ${o.entry}` : o.kind === 'vs-add' || o.kind === 'vs-del' ? `${o.kind} ${o.service.address}` : o.kind));
}

describe('executor: send order', () => {
  it('puts the ledger entries of new virtual servers before all of them, and of removed ones after', () => {
    const ops: Operation[] = [
      { kind: 'ledger-add', set: LEDGER_VS, entry: '10.96.0.1,tcp:80', object: 'a' },
      { kind: 'vs-add', service: { protocol: 'tcp', address: '10.96.0.1', port: 80, scheduler: 'rr', flags: [] } },
      { kind: 'ledger-add', set: LEDGER_VS, entry: '10.96.0.2,tcp:80', object: 'b' },
      { kind: 'vs-add', service: { protocol: 'tcp', address: '10.96.0.2', port: 80, scheduler: 'rr', flags: [] } },
      { kind: 'rs-add', service: { protocol: 'tcp', address: '10.96.0.1', port: 80 }, realServer: rs('10.244.0.1:8080') },
      { kind: 'vs-del', service: { protocol: 'tcp', address: '10.96.0.3', port: 80, scheduler: 'rr', flags: [] } },
      { kind: 'ledger-del', set: LEDGER_VS, entry: '10.96.0.3,tcp:80', object: 'c' },
      { kind: 'vs-del', service: { protocol: 'tcp', address: '10.96.0.4', port: 80, scheduler: 'rr', flags: [] } },
      { kind: 'ledger-del', set: LEDGER_VS, entry: '10.96.0.4,tcp:80', object: 'd' },
    ];
    expect(kinds(executionOrder(ops))).to.deep.equal([
      'ledger-add 10.96.0.1,tcp:80', 'ledger-add 10.96.0.2,tcp:80', 'vs-add 10.96.0.1', 'vs-add 10.96.0.2', 'rs-add',
      'vs-del 10.96.0.3', 'vs-del 10.96.0.4', 'ledger-del 10.96.0.3,tcp:80', 'ledger-del 10.96.0.4,tcp:80',
    ]);
    // Two exchanges with the kernel for the additions instead of four, two for the removals instead of four.
    expect(segments(executionOrder(ops)).map((s) => s.backend)).to.deep.equal(['ipset', 'ipvs', 'ipset']);
    expect(segments(ops)).to.have.length(7);
  });

  it('keeps random plans valid: same operations, accepted by the simulator, no ordering violation', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = new Rng(seed);
      const desired = randomDesired(rng);
      const observed = randomObserved(rng, desired);
      const plan = planChanges(desired, observed);
      const sent = executionOrder(plan);
      // The same operation objects, each once.
      expect(sent.length, `seed ${seed}`).to.equal(plan.length);
      expect(new Set(sent).size, `seed ${seed}`).to.equal(plan.length);
      expect(sent.every((op) => plan.includes(op)), `seed ${seed}`).to.equal(true);
      expect(orderingViolations(sent, observed), `seed ${seed}`).to.deep.equal([]);
      expect(applyOperationsToState(observed, sent), `seed ${seed}`).to.deep.equal(applyOperationsToState(observed, plan));
    }
  });
});

describe('executor: batching over message-level fakes', () => {
  async function backends() {
    const { ipvsKernel, ipsetKernel, ipsetConn, ipvsConn, routeConn } = fakeKernels();
    return {
      ipvsKernel, ipsetKernel, ipsetConn, ipvsConn,
      b: { ipvs: await IpvsClient.open(ipvsConn), ipset: await IpsetClient.open(ipsetConn), links: new LinkClient(routeConn), iptables: new FakeIptablesRunner() },
    };
  }

  it('sends the ledger entries of three new virtual servers as one ipset ADD with three members', async () => {
    const { b, ipsetConn, ipvsConn, ipvsKernel, ipsetKernel } = await backends();
    const desired = state({ virtualServers: ['tcp 10.96.0.1:80', 'tcp 10.96.0.2:80', 'tcp 10.96.0.3:80'].map((k) => vs(k, [rs('10.244.0.1:8080')])) });
    const plan = planChanges(desired, emptyObservedState());
    const before = { ipset: ipsetConn.requests.length, ipvs: ipvsConn.requests.length, ipvsExchanges: ipvsConn.exchanges };
    const r = await executePlan(plan, b);
    expect(r.failures).to.deep.equal([]);
    expect(r.applied).to.equal(plan.length);
    const adds = ipsetConn.requests.slice(before.ipset).map((m) => decodeRequest(m).request).flatMap((q) => (q.cmd === 'add' ? [q] : []));
    expect(adds).to.have.length(1);
    expect(adds[0]!.setName).to.equal(LEDGER_VS);
    expect(adds[0]!.entries).to.have.length(3);
    expect(ipsetKernel.members(LEDGER_VS)).to.deep.equal(['10.96.0.1,tcp:80', '10.96.0.2,tcp:80', '10.96.0.3,tcp:80']);
    // All IPVS requests (3 services, 3 real servers) in one exchange, each asking for an ack (the transport
    // decides which ones really do).
    expect(ipvsConn.exchanges - before.ipvsExchanges).to.equal(1);
    expect(ipvsConn.requests.slice(before.ipvs).every((m) => (m.flags & NLM_F_ACK) !== 0)).to.equal(true);
    expect(ipvsKernel.services.size).to.equal(3);
  });

  it('encodes a set of more members than one parse slice with line numbers running on across slices', async () => {
    const { b, ipsetConn, ipsetKernel } = await backends();
    const n = MEMBER_SLICE + 1500;
    const entries = Array.from({ length: n }, (_, i) => `10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255},tcp:8080`).sort();
    const desired = state({ ipsets: [set('KUBE-LOOP-BACK-ISH', 'hash:ip,port', entries, { maxelem: 131072 })] });
    const before = ipsetConn.requests.length;
    // Without the ledger (the fake cannot hold list:set members): the set's create and its members.
    const r = await executePlan(planChanges(desired, emptyObservedState()).filter((o) => !o.kind.startsWith('ledger-')), b);
    expect(r.failures).to.deep.equal([]);
    const adds = ipsetConn.requests.slice(before).map((m) => decodeRequest(m).request).flatMap((q) => (q.cmd === 'add' && q.setName === 'KUBE-LOOP-BACK-ISH' ? [q] : []));
    const linenos = adds.flatMap((q) => q.batch?.linenos ?? []);
    expect(linenos).to.deep.equal(Array.from({ length: n }, (_, i) => i + 1));
    expect(adds.map((q) => q.batch?.lineno)).to.deep.equal(adds.map((q) => q.batch?.linenos[0]));
    expect([...ipsetKernel.members('KUBE-LOOP-BACK-ISH')].sort()).to.deep.equal(entries);
  });

  it('maps every request of a sliced member list to the members it carries', async () => {
    const { b } = await backends();
    const members = Array.from({ length: 2 * MEMBER_SLICE + 7 }, (_, i) => `10.96.${i >> 8}.${i & 255},tcp:80`);
    const requests = b.ipset.members(IPSET_CMD_ADD, 'S', 'hash:ip,port', 'inet', members);
    expect(requests.flatMap((q) => q.members ?? [])).to.deep.equal(members);
    for (const q of requests) expect(members.indexOf(q.members![0]!)).to.equal(q.firstLineno! - 1);
    // Slices start new messages: the first request of the second slice begins at member MEMBER_SLICE.
    expect(requests.map((q) => q.firstLineno)).to.include(MEMBER_SLICE + 1);
  });

  it('reports a failed multi-member ledger request on its first operation and stops', async () => {
    const { b } = await backends();
    const desired = state({ virtualServers: ['tcp 10.96.0.1:80', 'tcp 10.96.0.2:80'].map((k) => vs(k)) });
    // Without its ledger-create the ledger set does not exist: the kernel answers ENOENT for the batch.
    const plan = planChanges(desired, emptyObservedState()).filter((o) => o.kind !== 'ledger-create');
    const r = await executePlan(plan, b);
    expect(r.failures).to.have.length(1);
    expect(r.failures[0]!.operation).to.include({ kind: 'ledger-add', entry: '10.96.0.1,tcp:80' });
    expect(r.applied).to.equal(0);
  });

  it('counts the IPVS exchanges that add or delete virtual servers as service table writes, and only those', async () => {
    const { ipvsKernel, ipsetConn, routeConn } = fakeKernels();
    const writes = new ServiceTableWrites();
    // What the kernel is asked while each IPVS request is in flight: is a service table write under way?
    const seen: string[] = [];
    const handle = ipvsHandler(ipvsKernel);
    const ipvsConn = new MessageFake(16, (m) => {
      if (m.type !== GENL_ID_CTRL) seen.push(`${decodeIpvsRequest(m).cmd === IPVS_CMD_NEW_SERVICE ? 'vs-add' : decodeIpvsRequest(m).cmd === IPVS_CMD_NEW_DEST ? 'rs-add' : 'other'} ${writes.quietMark() === undefined ? 'write' : 'quiet'}`);
      return handle(m);
    });
    const b = { ipvs: await IpvsClient.open(ipvsConn), ipset: await IpsetClient.open(ipsetConn), links: new LinkClient(routeConn), iptables: new FakeIptablesRunner(), serviceWrites: writes };
    const service = vs('tcp 10.96.0.1:80');
    expect((await executePlan([{ kind: 'vs-add', service: { protocol: 'tcp', address: '10.96.0.1', port: 80, scheduler: 'rr', flags: [] } }], b)).failures).to.deep.equal([]);
    expect((await executePlan([{ kind: 'rs-add', service, realServer: rs('10.244.0.1:8080') }], b)).failures).to.deep.equal([]);
    expect(seen).to.deep.equal(['vs-add write', 'rs-add quiet']);
    expect(writes.quietMark()).to.equal(1);
  });
});
