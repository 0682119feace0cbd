// The kernel engine's own reads over message-level fakes: readConnections (graceful termination's counts
// without a full read) asks for exactly the virtual servers given, one GET_DEST dump each, all at once.
import { expect } from 'chai';
import { describeServiceKey, IPVS_CMD_GET_CONFIG, IPVS_CMD_GET_DEST, IPVS_CMD_SET_CONFIG, decodeIpvsRequest } from '../../../native-free-netlink/ipvs/index.js';
import { KernelEngine } from '../../../lib/engine/engine.js';
import { FakeIptablesRunner } from '../../../lib/iptables/fake-runner.js';
import { rs, state, vs } from './helpers/builders.js';
import { fakeKernels } from './helpers/fake-kernels.js';

async function engineOverFakes() {
  const { ipvsKernel, ipvsConn, ipsetConn, routeConn } = fakeKernels();
  const engine = await KernelEngine.open({
    connections: { ipvs: ipvsConn, ipset: ipsetConn, route: routeConn },
    iptables: new FakeIptablesRunner(),
  });
  return { engine, ipvsKernel, ipvsConn };
}

describe('KernelEngine.readConnections', () => {
  it('reads the active + inactive connections of the given virtual servers only, one GET_DEST dump each', async () => {
    const { engine, ipvsKernel, ipvsConn } = await engineOverFakes();
    const a = vs('tcp 10.96.0.10:80', [rs('10.244.1.1:8080'), rs('10.244.1.2:8080')]);
    const b = vs('tcp 10.96.0.11:80', [rs('10.244.2.1:8080')]);
    const c = vs('tcp 10.96.0.12:443', [rs('10.244.3.1:8443')]);
    const report = await engine.apply(state({ virtualServers: [a, b, c] }));
    expect(report.failures).to.deep.equal([]);
    ipvsKernel.connections.set('tcp 10.96.0.10:80 10.244.1.2:8080', { active: 2, inactive: 3 });
    ipvsKernel.connections.set('tcp 10.96.0.12:443 10.244.3.1:8443', { active: 7, inactive: 0 });
    const before = ipvsConn.requests.length;

    const counts = await engine.readConnections([a, c]);

    expect(Object.fromEntries([...counts].map(([k, m]) => [k, Object.fromEntries(m)]))).to.deep.equal({
      'tcp 10.96.0.10:80': { '10.244.1.1:8080': 0, '10.244.1.2:8080': 5 },
      'tcp 10.96.0.12:443': { '10.244.3.1:8443': 7 },
    });
    const sent = ipvsConn.requests.slice(before).map((m) => decodeIpvsRequest(m));
    expect(sent.map((r) => r.cmd)).to.deep.equal([IPVS_CMD_GET_DEST, IPVS_CMD_GET_DEST]);
    expect(sent.map((r) => describeServiceKey(r.service!))).to.deep.equal(['tcp 10.96.0.10:80', 'tcp 10.96.0.12:443']);
    // A sync waits for these: asked all at once (each on a socket of its own, on a real connection).
    expect(ipvsConn.options.slice(before).map((o) => o.parallel === true)).to.deep.equal([true, true]);
  });

  it('a virtual server the kernel does not have reads as having no connections', async () => {
    const { engine } = await engineOverFakes();
    const counts = await engine.readConnections([vs('tcp 10.96.0.99:80', [rs('10.244.9.9:80')])]);
    expect([...counts].map(([k, m]) => [k, m.size])).to.deep.equal([['tcp 10.96.0.99:80', 0]]);
  });
});

describe('KernelEngine.setTimeouts', () => {
  it('sends one SET_CONFIG with the three timeouts, 0 keeping the kernel value, and returns what GET_CONFIG reads', async () => {
    const { engine, ipvsKernel, ipvsConn } = await engineOverFakes();
    const before = ipvsConn.requests.length;
    const now = await engine.setTimeouts({ tcp: 7200, tcpFin: 0, udp: 45 });
    expect(now).to.deep.equal({ tcp: 7200, tcpFin: 120, udp: 45 });
    expect(ipvsKernel.timeouts).to.deep.equal({ tcp: 7200, tcpFin: 120, udp: 45 });
    const sent = ipvsConn.requests.slice(before).map((m) => decodeIpvsRequest(m));
    expect(sent.map((r) => r.cmd)).to.deep.equal([IPVS_CMD_SET_CONFIG, IPVS_CMD_GET_CONFIG]);
    expect(sent[0]!.timeouts).to.deep.equal({ tcp: 7200, tcpFin: 0, udp: 45 });
  });
});

describe('KernelEngine.apply with a scope', () => {
  it('plans by scope against a record, also one left by a kernel read that found nothing to do', async () => {
    const { engine, ipvsConn } = await engineOverFakes();
    const a = vs('tcp 10.96.0.10:80', [rs('10.244.1.1:8080'), rs('10.244.1.2:8080')]);
    const b = vs('tcp 10.96.0.11:80', [rs('10.244.2.1:8080')]);
    const first = state({ virtualServers: [a, b] });
    await engine.apply(first);
    const quiet = await engine.apply(first);
    expect(quiet.readKernel).to.equal(true);
    expect(quiet.operations).to.deep.equal([]);
    expect(quiet.after.sorted, 'the record of a quiet kernel-read apply is sorted').to.equal(true);

    // b gains a real server; the scope names only b, and a's real servers are never compared or sent.
    const next = state({ virtualServers: [a, vs('tcp 10.96.0.11:80', [rs('10.244.2.1:8080'), rs('10.244.2.2:8080')])] });
    const before = ipvsConn.requests.length;
    const report = await engine.apply(next, {
      observed: quiet.after,
      scope: { virtualServers: new Set(['tcp 10.96.0.11:80']), ipsetMembers: new Map(), addresses: new Set() },
    });
    expect(report.failures).to.deep.equal([]);
    expect(report.readKernel).to.equal(false);
    expect(ipvsConn.requests.length - before, 'one NEW_DEST, no reads').to.equal(1);
    expect(report.after.virtualServers.map((v) => v.realServers.length)).to.deep.equal([2, 2]);
    expect(report.after.sorted).to.equal(true);
  });
});
