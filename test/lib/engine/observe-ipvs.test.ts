// The IPVS part of a kernel read over the message-level fake: destinations dumped a slice of services per
// exchange, real servers sorted (the kernel lists them newest first), connection counts only where > 0.
import { expect } from 'chai';
import { IPVS_CMD_GET_DEST, IPVS_CMD_GET_SERVICE, decodeIpvsRequest } from '../../../native-free-netlink/ipvs/index.js';
import { KernelEngine } from '../../../lib/engine/engine.js';
import { readVirtualServers, virtualServersFromKernel } from '../../../lib/engine/observe-ipvs.js';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import { isCanonicalVirtualServer } from '../../../lib/state/canonical.js';
import { rs, state, vs } from './helpers/builders.js';
import { fakeKernels, ipvsHandler } from './helpers/fake-kernels.js';
import { ServiceTableWrites } from '../../../lib/engine/service-table-writes.js';
import { IpvsClient } from '../../../lib/kernel/ipvs-client.js';
import { MessageFake } from '../../../lib/netlink/message-fake.js';
import { GENL_ID_CTRL } from '../../../native-free-netlink/genetlink/ctrl.js';

async function kernelWith5Services() {
  const k = fakeKernels();
  const engine = await KernelEngine.open({ connections: { ipvs: k.ipvsConn, ipset: k.ipsetConn, route: k.routeConn }, iptables: new FakeIptablesRunner() });
  const services = [0, 1, 2, 3, 4].map((i) => vs(`tcp 10.96.0.${10 + i}:80`, [rs(`10.244.${i}.1:8080`), rs(`10.244.${i}.2:8080`), rs(`10.244.${i}.10:8080`)]));
  const report = await engine.apply(state({ virtualServers: services }));
  expect(report.failures).to.deep.equal([]);
  // The kernel lists a service's destinations newest first: make the fake do the same.
  for (const entry of k.ipvsKernel.services.values()) {
    const dests = [...entry.dests].reverse();
    entry.dests.clear();
    for (const [key, d] of dests) entry.dests.set(key, d);
  }
  return { ...k, engine, services: state({ virtualServers: services }).virtualServers };
}

describe('readVirtualServers', () => {
  it('dumps destinations a slice of services per exchange and returns canonical virtual servers', async () => {
    const { engine, ipvsConn, services } = await kernelWith5Services();
    const exchanges = ipvsConn.exchanges;
    const sent = ipvsConn.requests.length;

    const read = await readVirtualServers(engine.backends.ipvs, { slice: 2 });

    expect(read.virtualServers).to.deep.equal(services);
    for (const v of read.virtualServers) expect(isCanonicalVirtualServer(v)).to.equal(true);
    const cmds = ipvsConn.requests.slice(sent).map((m) => decodeIpvsRequest(m).cmd);
    expect(cmds).to.deep.equal([IPVS_CMD_GET_SERVICE, ...Array(5).fill(IPVS_CMD_GET_DEST)]);
    // One exchange for the services, then 2 + 2 + 1 destination dumps.
    expect(ipvsConn.exchanges - exchanges).to.equal(4);
  });

  it('keeps connection counts only for real servers with connections', async () => {
    const { engine, ipvsKernel } = await kernelWith5Services();
    ipvsKernel.connections.set('tcp 10.96.0.11:80 10.244.1.2:8080', { active: 1, inactive: 2 });
    ipvsKernel.connections.set('tcp 10.96.0.13:80 10.244.3.1:8080', { active: 0, inactive: 4 });
    const read = await readVirtualServers(engine.backends.ipvs);
    expect(Object.fromEntries([...read.connections].map(([k, m]) => [k, Object.fromEntries(m)]))).to.deep.equal({
      'tcp 10.96.0.11:80': { '10.244.1.2:8080': 3 },
      'tcp 10.96.0.13:80': { '10.244.3.1:8080': 4 },
    });
  });

  it('returns the caller\'s object for a virtual server read exactly as held, a fresh one otherwise', async () => {
    const { engine, ipvsKernel, services } = await kernelWith5Services();
    // The kernel's weight of one real server of the second service differs from the held state.
    const entry = ipvsKernel.services.get('tcp 10.96.0.11:80')!;
    const [k, d] = [...entry.dests][0]!;
    entry.dests.set(k, { ...d, weight: 7 });
    const read = await readVirtualServers(engine.backends.ipvs, { known: services });
    expect(read.virtualServers.map((v, i) => v === services[i])).to.deep.equal([true, false, true, true, true]);
    expect(read.virtualServers[1]!.realServers.map((r) => r.weight).sort()).to.deep.equal([1, 1, 7]);
    // A held object that is not canonical is never handed back, even when its values match.
    const loose = services.map((v) => ({ ...v, realServers: [...v.realServers].reverse() }));
    const again = await readVirtualServers(engine.backends.ipvs, { known: loose });
    expect(again.virtualServers.some((v, i) => v === loose[i])).to.equal(false);
    expect(again.virtualServers[0]).to.deep.equal(services[0]);
  });

  it('hands back the held object whatever order the kernel lists its destinations in, and only an equal one', async () => {
    const { engine, ipvsKernel, services } = await kernelWith5Services();
    const reorder = (key: string, order: (keys: string[]) => string[]): void => {
      const entry = ipvsKernel.services.get(key)!;
      const byKey = new Map(entry.dests);
      entry.dests.clear();
      for (const k of order([...byKey.keys()])) entry.dests.set(k, byKey.get(k)!);
    };
    reorder('tcp 10.96.0.11:80', (keys) => [...keys].reverse()); // oldest first (insertion order)
    reorder('tcp 10.96.0.12:80', (keys) => [keys[1]!, keys[0]!, keys[2]!]); // neither: compared sorted
    const entry = ipvsKernel.services.get('tcp 10.96.0.13:80')!;
    const [k, d] = [...entry.dests][1]!;
    entry.dests.set(k, { ...d, upperThreshold: 5 }); // one value differs
    const read = await readVirtualServers(engine.backends.ipvs, { known: services });
    expect(read.virtualServers.map((v, i) => v === services[i])).to.deep.equal([true, true, true, false, true]);
    expect(read.virtualServers[3]!.realServers.map((r) => r.upperThreshold ?? 0).sort()).to.deep.equal([0, 0, 5]);
    expect(read.virtualServers.every(isCanonicalVirtualServer)).to.equal(true);
    // A caller that vouches for its objects (the engine, after canonicalizing) gets them back unchecked.
    const loose = services.map((v) => ({ ...v, realServers: [...v.realServers].reverse() }));
    const trusted = await readVirtualServers(engine.backends.ipvs, { known: loose, knownAreCanonical: true });
    expect(trusted.virtualServers[0]).to.equal(loose[0]);
  });

  it('a re-apply of an unchanged state plans nothing and records the desired objects as they are', async () => {
    const { engine, services } = await kernelWith5Services();
    const desired = state({ virtualServers: services });
    const report = await engine.apply(desired);
    expect(report.operations).to.deep.equal([]);
    expect(report.after.virtualServers.every((v) => desired.virtualServers.includes(v))).to.equal(true);
    // What the engine produces says it is canonical (the planner and simulator then skip re-checking it),
    // and is.
    const read = await engine.observe('kube-ipvs0');
    for (const o of [report.after, read]) {
      expect(o.canonical).to.equal(true);
      expect(o.virtualServers.every(isCanonicalVirtualServer)).to.equal(true);
    }
  });

  it('an apply\'s record shares the desired objects, changed services included (partial sync)', async () => {
    const { engine, services } = await kernelWith5Services();
    const first = await engine.apply(state({ virtualServers: services }));
    // A new desired state built afresh (other objects, same values), one real server moved.
    const next = state({ virtualServers: structuredClone(services) });
    next.virtualServers[2]!.realServers[0]!.address = '10.244.2.3';
    const fresh = state({ virtualServers: next.virtualServers });
    const report = await engine.apply(fresh, { observed: first.after });
    expect(report.operations.map((o) => o.kind)).to.deep.equal(['rs-add', 'rs-del']);
    expect(report.after.virtualServers).to.deep.equal(fresh.virtualServers);
    expect(report.after.virtualServers.every((v, i) => v === fresh.virtualServers[i])).to.equal(true);
  });

  it('reads the same as virtualServersFromKernel over one listing', async () => {
    const { engine } = await kernelWith5Services();
    const listed = await engine.backends.ipvs.listAll({ counters: false });
    const read = await readVirtualServers(engine.backends.ipvs, { slice: 3 });
    expect(virtualServersFromKernel(listed)).to.deep.equal(read);
  });

  it('dumps services and destinations apart from the socket a sync\'s changes go over', async () => {
    const { engine, ipvsConn, services } = await kernelWith5Services();
    const sent = ipvsConn.requests.length;
    const writes = new ServiceTableWrites();
    const read = await readVirtualServers(engine.backends.ipvs, { writes });
    expect(read.virtualServers).to.deep.equal(services);
    const asked = ipvsConn.requests.slice(sent).map((m, i) => `${decodeIpvsRequest(m).cmd === IPVS_CMD_GET_SERVICE ? 'services' : 'dests'} ${ipvsConn.options[sent + i]!.apart ? 'apart' : 'here'}`);
    expect(asked).to.deep.equal(['services apart', ...Array(5).fill('dests apart')]);
  });

  it('dumps the services again on the connection\'s own socket when our own virtual server adds or deletes ran beside the first dump', async () => {
    const { ipvsConn, ipvsKernel, services } = await kernelWith5Services();
    const writes = new ServiceTableWrites();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // A sync's vs-add starts while the first service dump is in flight (and is still in flight after it).
    const first = ipvsConn.requests.length;
    const handle = ipvsHandler(ipvsKernel);
    let inFlight: Promise<unknown> | undefined;
    const fake = new MessageFake(16, (m) => {
      if (!inFlight && m.type !== GENL_ID_CTRL && decodeIpvsRequest(m).cmd === IPVS_CMD_GET_SERVICE) inFlight = writes.during(() => held);
      return handle(m);
    });
    const ipvs = await IpvsClient.open(fake);
    const read = await readVirtualServers(ipvs, { writes });
    release();
    await inFlight;
    expect(read.virtualServers).to.deep.equal(services);
    const serviceDumps = (from: number) => fake.requests.flatMap((m, i) => (i >= from && m.type !== GENL_ID_CTRL && decodeIpvsRequest(m).cmd === IPVS_CMD_GET_SERVICE ? [{ cmd: IPVS_CMD_GET_SERVICE, apart: fake.options[i]!.apart === true }] : []));
    const dumps = serviceDumps(0);
    expect(dumps).to.deep.equal([{ cmd: IPVS_CMD_GET_SERVICE, apart: true }, { cmd: IPVS_CMD_GET_SERVICE, apart: false }]);
    expect(ipvsConn.requests.length).to.equal(first);
    // With a write still in flight when the read starts, the services are dumped only on the own socket.
    let release2: () => void = () => undefined;
    const pending = writes.during(() => new Promise<void>((r) => (release2 = r)));
    const before = fake.requests.length;
    await readVirtualServers(ipvs, { writes });
    release2();
    await pending;
    const second = serviceDumps(before);
    expect(second).to.deep.equal([{ cmd: IPVS_CMD_GET_SERVICE, apart: false }]);
  });

  it('gives way before the service dump and before each slice of destination dumps, when asked', async () => {
    const { engine, ipvsConn, services } = await kernelWith5Services();
    const sent = ipvsConn.requests.length;
    const sentAtEachTurn: number[] = [];
    const read = await readVirtualServers(engine.backends.ipvs, { slice: 2, yieldTo: async () => void sentAtEachTurn.push(ipvsConn.requests.length - sent) });
    expect(read.virtualServers).to.deep.equal(services);
    // Before the services, then before the slices of 2 + 2 + 1 destination dumps.
    expect(sentAtEachTurn).to.deep.equal([0, 1, 3, 5]);
  });

  it('a whole read waits at each part for the way to be given: nothing is dumped while it is held', async () => {
    const { engine, ipvsConn, ipsetConn, services } = await kernelWith5Services();
    const before = { ipvs: ipvsConn.requests.length, ipset: ipsetConn.requests.length };
    let open!: () => void;
    let gate = new Promise<void>((r) => (open = r));
    const reading = engine.observe('kube-ipvs0', false, undefined, false, () => gate);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(ipvsConn.requests.length - before.ipvs).to.equal(0);
    expect(ipsetConn.requests.length - before.ipset).to.equal(0);
    open();
    gate = Promise.resolve();
    const read = await reading;
    expect(read.virtualServers).to.deep.equal(services);
    expect(ipsetConn.requests.length - before.ipset).to.be.greaterThan(0);
  });

  it('reads one part after another in the background (all IPVS, then the sets), and all at once otherwise', async () => {
    const { ipvsKernel, ipsetKernel, routeConn } = fakeKernels();
    const order: string[] = [];
    const handleIpvs = ipvsHandler(ipvsKernel);
    const ipvsConn = new MessageFake(16, (m) => (order.push('ipvs'), handleIpvs(m)));
    const ipsetConn = new MessageFake(12, (m) => (order.push('ipset'), ipsetKernel.handle(m)));
    const engine = await KernelEngine.open({ connections: { ipvs: ipvsConn, ipset: ipsetConn, route: routeConn }, iptables: new FakeIptablesRunner() });
    const services = [0, 1, 2].map((i) => vs(`tcp 10.96.0.${10 + i}:80`, [rs(`10.244.${i}.1:8080`)]));
    expect((await engine.apply(state({ virtualServers: services }))).failures).to.deep.equal([]);
    const runs = (o: string[]) => o.filter((x, i) => i === 0 || x !== o[i - 1]);
    order.length = 0;
    await engine.observe('kube-ipvs0', false, undefined, false, async () => undefined);
    expect(runs(order)).to.deep.equal(['ipvs', 'ipset']);
    order.length = 0;
    await engine.observe('kube-ipvs0', false);
    expect(runs(order)).to.deep.equal(['ipvs', 'ipset', 'ipvs']);
  });
});
