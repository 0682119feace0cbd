// The apply engine when things go wrong, on the real kernel: a bad state file changes nothing (the CLI
// exits 2 and names every bad field); a kernel refusal in the middle of an apply is reported with the
// operation and the errno, what came before it stays applied, and once the cause is fixed the next apply
// sends only what is missing and converges. Two refusals: a real server the kernel will not route
// (224.0.0.1, multicast: NEW_DEST EINVAL) and a foreign set of the wrong type in use by a foreign
// iptables rule where the state wants a set of that name (ipset destroy: IPSET_ERR_BUSY).
// The tests build on each other, in order. Runs in the e2e VM (npm run e2e); starts from a clean kernel
// and removes exactly what it made.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpvsError } from '../../../native-free-netlink/ipvs/index.js';
import { IpsetError } from '../../../native-free-netlink/ipset/index.js';
import { applyCommand } from '../../../lib/cli/apply-command.js';
import { openKernelEngine, type KernelEngine } from '../../../lib/engine/engine.js';
import { describe as describeOp } from '../../../lib/engine/operations.js';
import type { State } from '../../../lib/state/types.js';
import {
  cleanKernelOrSkip, deleteLink, destroySets, ipsetNames, ipsetSave, iptablesTables, ipvsadmSave, linkAddresses, run, runCli, snapshot,
  tryRun, type KernelSnapshot,
} from '../netlink/kernel-tools.js';
import { addNodeNetwork, CLUSTER_IP_ACCEPT, MARK_MASQ, masq, PORTALS } from './state-fixtures.js';

const EINVAL = 22;
const IPSET_ERR_BUSY = 4100;

const NODE_PORT_UDP = '-p udp -m set --match-set KUBE-NODE-PORT-UDP dst -j KUBE-MARK-MASQ';
/** Someone else's rule using a set of the name the state will want. */
const FOREIGN_RULE = ['-m', 'set', '--match-set', 'KUBE-NODE-PORT-UDP', 'src', '-j', 'ACCEPT'];

/** G0: the starting point. */
function state0(): State {
  return {
    interface: { name: 'kube-ipvs0', addresses: ['10.96.9.10/32'] },
    virtualServers: [{ protocol: 'tcp', address: '10.96.9.10', port: 80, scheduler: 'rr', flags: [], realServers: [masq('10.244.9.1', 80)] }],
    ipsets: [{ name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 'inet', entries: ['10.96.9.10,tcp:80', '10.96.9.11,tcp:80'] }],
    iptables: { nat: { PREROUTING: [PORTALS], 'KUBE-SERVICES': [CLUSTER_IP_ACCEPT], 'KUBE-MARK-MASQ': [MARK_MASQ] } },
  };
}

/** G1: a new service whose second real server is `bad` (224.0.0.1 first, then fixed), and set members changed. */
function state1(bad: string): State {
  const s = state0();
  s.interface!.addresses.push('10.96.9.20/32');
  s.virtualServers.push({ protocol: 'tcp', address: '10.96.9.20', port: 80, scheduler: 'rr', flags: [], realServers: [masq('10.244.9.2', 80), masq(bad, 80)] });
  s.ipsets[0]!.entries = ['10.96.9.10,tcp:80', '10.96.9.20,tcp:80'];
  return s;
}

/** G2: G1 fixed, plus KUBE-NODE-PORT-UDP (bitmap:port) and a rule using it. */
function state2(): State {
  const s = state1('10.244.9.3');
  s.ipsets.push({ name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', family: 'inet', entries: ['30053'] });
  s.iptables!.nat!['KUBE-NODE-PORT'] = [NODE_PORT_UDP];
  return s;
}

describe('engine e2e: bad input, kernel errors mid-apply, and converging after the fix', function () {
  this.timeout(300_000);
  let baseline: KernelSnapshot | undefined;
  let engine: KernelEngine | undefined;
  let dir: string;

  before(async function () {
    baseline = await cleanKernelOrSkip(this);
    addNodeNetwork();
    engine = await openKernelEngine();
    dir = mkdtempSync(join(tmpdir(), 'ipvs-proxier-e2e-'));
  });

  after(async function () {
    if (!baseline) return;
    tryRun('iptables', ['-D', 'INPUT', ...FOREIGN_RULE]);
    if (engine) {
      await engine.cleanup('kube-ipvs0').catch(() => undefined);
      engine.close();
    }
    rmSync(dir, { recursive: true, force: true });
    destroySets(['KUBE-NODE-PORT-UDP']);
    deleteLink('kube-ipvs0');
    deleteLink('node0');
    expect(await snapshot(), 'the kernel after cleanup').to.deep.equal(baseline);
  });

  it('applies the starting state', async () => {
    const report = await engine!.apply(state0());
    expect(report.failures.map((f) => f.error.message)).to.deep.equal([]);
    expect(ipvsadmSave()).to.deep.equal(['-A -t 10.96.9.10:80 -s rr', '-a -t 10.96.9.10:80 -r 10.244.9.1:80 -m -w 1']);
  });

  it('the CLI refuses a bad state file: exit 2, every bad field named, nothing in the kernel changed', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        interface: { name: 'kube-ipvs0', addresses: ['10.96.9.10/33'] },
        virtualServers: [
          { protocol: 'tcp', address: '10.96.9.10', port: 70000, scheduler: 'rr', flags: ['sh-port'], realServers: [{ address: '10.244.9.1', port: 80, weight: -1, forward: 'masq' }] },
        ],
        ipsets: [{ name: 'KUBE-CLUSTER-IP', type: 'hash:foo', family: 'inet', entries: [] }],
      }),
    );
    const before = await snapshot();
    const r = runCli(['apply', '-f', file]);
    expect(r.status).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.include(`apply: ${file} is not a valid state; nothing was changed:`);
    for (const field of ['interface.addresses[0]: ', 'virtualServers[0].port: ', 'virtualServers[0].flags', 'virtualServers[0].realServers[0].weight: ', 'ipsets[0].type: ']) {
      expect(r.stderr, field).to.include(field);
    }
    expect(await snapshot()).to.deep.equal(before);
  });

  it('a real server the kernel refuses (224.0.0.1): the failure names the operation and EINVAL, the rest of its batch is applied, later steps are not', async () => {
    const file = join(dir, 'g1-bad.json');
    writeFileSync(file, JSON.stringify(state1('224.0.0.1')));
    let out = '';
    let err = '';
    const code = await applyCommand(['-f', file], (s) => void (out += s), (s) => void (err += s));
    expect(code).to.equal(1);
    expect(out.trimEnd().split('\n')).to.deep.equal([
      '+ address 10.96.9.20/32 on kube-ipvs0',
      '+ ipset entry KUBE-CLUSTER-IP 10.96.9.20,tcp:80',
      '+ ledger IPVS-PROXIER-VS 10.96.9.20,tcp:80 (virtual server tcp 10.96.9.20:80)',
      '+ virtual server tcp 10.96.9.20:80 rr',
      '+ real server tcp 10.96.9.20:80 -> 10.244.9.2:80 masq weight 1',
      '+ real server tcp 10.96.9.20:80 -> 224.0.0.1:80 masq weight 1   FAILED',
      '- ipset entry KUBE-CLUSTER-IP 10.96.9.11,tcp:80',
      '5 of 7 operations applied; run again to converge after fixing the cause',
    ]);
    expect(err).to.equal(
      'error: + real server tcp 10.96.9.20:80 -> 224.0.0.1:80 masq weight 1: ' +
        'NEW_DEST tcp 10.96.9.20:80 -> 224.0.0.1:80: EINVAL (address not unicast or local, or mixed-family destination without tunnel forwarding?)\n',
    );
    // What came before the failure (and the rest of its batch) is in the kernel; the later member removal is not.
    expect(ipvsadmSave()).to.deep.equal([
      '-A -t 10.96.9.10:80 -s rr',
      '-A -t 10.96.9.20:80 -s rr',
      '-a -t 10.96.9.10:80 -r 10.244.9.1:80 -m -w 1',
      '-a -t 10.96.9.20:80 -r 10.244.9.2:80 -m -w 1',
    ]);
    expect(ipsetSave().filter((l) => l.startsWith('add KUBE-CLUSTER-IP '))).to.deep.equal([
      'add KUBE-CLUSTER-IP 10.96.9.10,tcp:80', 'add KUBE-CLUSTER-IP 10.96.9.11,tcp:80', 'add KUBE-CLUSTER-IP 10.96.9.20,tcp:80',
    ]);
    expect(linkAddresses('kube-ipvs0')).to.deep.equal(['10.96.9.10/32', '10.96.9.20/32']);
  });

  it('run again unfixed: only what is missing is planned, and it fails the same way (typed IpvsError with errno)', async () => {
    const report = await engine!.apply(state1('224.0.0.1'));
    expect(report.operations.map(describeOp)).to.deep.equal([
      '+ real server tcp 10.96.9.20:80 -> 224.0.0.1:80 masq weight 1',
      '- ipset entry KUBE-CLUSTER-IP 10.96.9.11,tcp:80',
    ]);
    expect(report.applied).to.equal(0);
    expect(report.failures).to.have.length(1);
    const { operation, error } = report.failures[0]!;
    expect(operation).to.equal(report.operations[0]);
    expect(error).to.be.instanceOf(IpvsError);
    expect((error as IpvsError).errno).to.equal(EINVAL);
    expect(error.message).to.match(/^NEW_DEST tcp 10\.96\.9\.20:80 -> 224\.0\.0\.1:80: EINVAL/);
  });

  it('fixed (224.0.0.1 -> 10.244.9.3): the apply sends exactly what is missing and converges', async () => {
    const report = await engine!.apply(state1('10.244.9.3'));
    expect(report.failures.map((f) => f.error.message)).to.deep.equal([]);
    expect(report.operations.map(describeOp)).to.deep.equal([
      '+ real server tcp 10.96.9.20:80 -> 10.244.9.3:80 masq weight 1',
      '- ipset entry KUBE-CLUSTER-IP 10.96.9.11,tcp:80',
    ]);
    expect(ipvsadmSave()).to.deep.equal([
      '-A -t 10.96.9.10:80 -s rr',
      '-A -t 10.96.9.20:80 -s rr',
      '-a -t 10.96.9.10:80 -r 10.244.9.1:80 -m -w 1',
      '-a -t 10.96.9.20:80 -r 10.244.9.2:80 -m -w 1',
      '-a -t 10.96.9.20:80 -r 10.244.9.3:80 -m -w 1',
    ]);
    expect(ipsetSave().filter((l) => l.startsWith('add KUBE-CLUSTER-IP '))).to.deep.equal(['add KUBE-CLUSTER-IP 10.96.9.10,tcp:80', 'add KUBE-CLUSTER-IP 10.96.9.20,tcp:80']);
    expect((await engine!.apply(state1('10.244.9.3'))).operations.map(describeOp)).to.deep.equal([]);
  });

  it('a foreign set of the wanted name but another type, in use by a foreign rule: ipset destroy fails with IPSET_ERR_BUSY, the foreign rule and set are intact', async () => {
    run('ipset', ['create', 'KUBE-NODE-PORT-UDP', 'hash:ip']);
    run('ipset', ['add', 'KUBE-NODE-PORT-UDP', '192.0.2.1']);
    run('iptables', ['-A', 'INPUT', ...FOREIGN_RULE]);
    const report = await engine!.apply(state2());
    expect(report.failures.length).to.be.greaterThan(0);
    const { operation, error } = report.failures[0]!;
    expect(describeOp(operation)).to.equal('- ipset KUBE-NODE-PORT-UDP');
    expect(error).to.be.instanceOf(IpsetError);
    expect((error as IpsetError).errno).to.equal(IPSET_ERR_BUSY);
    expect(error.message).to.equal('ipset destroy KUBE-NODE-PORT-UDP: Set cannot be destroyed: it is in use by a kernel component (IPSET_ERR_BUSY, errno 4100)');
    // The rebuild got as far as the interim step: a filled temporary copy that our rule uses.
    expect(report.operations.map(describeOp).slice(0, 3)).to.deep.equal([
      '+ ipset IPVS-PROXIER-TMP-0 bitmap:port',
      '+ ipset entry IPVS-PROXIER-TMP-0 30053',
      '~ iptables sync, interim: rules use KUBE-NODE-PORT-UDP -> IPVS-PROXIER-TMP-0 while the sets are re-created',
    ]);
    expect(iptablesTables().nat!.rules['KUBE-NODE-PORT']).to.deep.equal([NODE_PORT_UDP.replace('KUBE-NODE-PORT-UDP', 'IPVS-PROXIER-TMP-0')]);
    expect(iptablesTables().filter!.rules['INPUT']).to.deep.equal([FOREIGN_RULE.join(' ')]);
    expect(ipsetSave().filter((l) => l.includes(' KUBE-NODE-PORT-UDP '))).to.deep.equal([
      'add KUBE-NODE-PORT-UDP 192.0.2.1',
      'create KUBE-NODE-PORT-UDP hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12',
    ]);
  });

  it('the foreign rule removed: the next apply rebuilds the set, drops the leftover temporary set, and converges', async () => {
    run('iptables', ['-D', 'INPUT', ...FOREIGN_RULE]);
    const report = await engine!.apply(state2());
    expect(report.failures.map((f) => f.error.message)).to.deep.equal([]);
    expect(report.operations.map(describeOp)).to.include('- ipset IPVS-PROXIER-TMP-0');
    expect(ipsetNames().filter((n) => n.startsWith('IPVS-PROXIER-TMP-'))).to.deep.equal([]);
    expect(ipsetSave().filter((l) => l.includes(' KUBE-NODE-PORT-UDP'))).to.deep.equal([
      'add IPVS-PROXIER-SETS KUBE-NODE-PORT-UDP',
      'add KUBE-NODE-PORT-UDP 30053',
      'create KUBE-NODE-PORT-UDP bitmap:port range 0-65535',
    ]);
    expect(iptablesTables().nat!.rules['KUBE-NODE-PORT']).to.deep.equal([NODE_PORT_UDP]);
    expect((await engine!.apply(state2())).operations.map(describeOp)).to.deep.equal([]);
  });

  it('cleanup removes all of ours, and nothing else is left', async () => {
    const report = await engine!.cleanup('kube-ipvs0');
    expect(report.failures.map((f) => f.error.message)).to.deep.equal([]);
    expect(ipvsadmSave()).to.deep.equal([]);
    expect(ipsetNames()).to.deep.equal([]);
    expect(linkAddresses('kube-ipvs0')).to.equal(undefined);
  });
});
