// The apply engine on the real kernel, read back by the real tools (ipvsadm -Sn, ipset save, ip -j addr,
// iptables-save): a first apply makes the kernel match a state exactly; later applies send only the
// difference (an endpoint change is exactly rs-add + rs-del; a scheduler change one SET_SERVICE that keeps
// the service's connections and counters; a set type change goes through the temporary-set rebuild);
// --dry-run changes nothing; cleanup removes all of ours. Foreign objects (a keepalived-like virtual
// server, a firewall's ipset and iptables chain, a kube-proxy leftover set) survive all of it.
// The tests build on each other, in order. Runs in the e2e VM (npm run e2e); starts from a clean kernel
// and removes exactly what it made.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyCommand } from '../../../lib/cli/apply-command.js';
import { openKernelEngine, type KernelEngine } from '../../../lib/engine/engine.js';
import { describe as describeOp } from '../../../lib/engine/operations.js';
import type { State } from '../../../lib/state/types.js';
import {
  cleanKernelOrSkip, deleteLink, deleteServices, destroySets, ipsetNames, ipsetSave, iptablesSave, iptablesTables, ipvsadmSave,
  linkAddresses, linkDetails, run, runCli, snapshot, type KernelSnapshot, type SavedTable,
} from '../netlink/kernel-tools.js';
import {
  addForeignObjects, addNodeNetwork, chainLedgerEntry, CLUSTER_IP_ACCEPT, EXTERNAL_IP_MASQ, FILTER_CLUSTER_IP, FOREIGN_FW, FOREIGN_INPUT,
  FOREIGN_IPSET, FOREIGN_IPVSADM, FOREIGN_PREROUTING, FOREIGN_SERVICES, FOREIGN_SETS, IPSET_A, IPVS_FILTER_JUMP, IPVSADM_A, LEDGER_A, LOOP_BACK,
  MARK_MASQ, masq, NODE_PORT_TCP, PORTALS, removeForeignObjects, ruleLedgerEntry, stateA, TO_NODE_PORT,
} from './state-fixtures.js';

const EXTERNAL_IP_MASQ_PORT = '-m set --match-set KUBE-EXTERNAL-IP dst,dst -j KUBE-MARK-MASQ';

/** State B: one endpoint of tcp 10.96.0.10:80 replaced (10.244.1.3 -> 10.244.1.7). */
function stateB(): State {
  const s = stateA();
  s.virtualServers[0]!.realServers = [masq('10.244.1.2', 8080), masq('10.244.1.7', 8080)];
  return s;
}

/** State C: B with tcp 10.96.0.10:80 scheduled wlc instead of rr. */
function stateC(): State {
  const s = stateB();
  s.virtualServers[0]!.scheduler = 'wlc';
  return s;
}

/** State F: C with KUBE-EXTERNAL-IP as hash:ip,port (was hash:ip), and the rule using it matching dst,dst. */
function stateF(): State {
  const s = stateC();
  s.ipsets = s.ipsets.map((set) => (set.name === 'KUBE-EXTERNAL-IP' ? { ...set, type: 'hash:ip,port', entries: ['203.0.113.10,tcp:80', '203.0.113.11,tcp:443'] } : set));
  s.iptables!.nat!['KUBE-SERVICES'] = [CLUSTER_IP_ACCEPT, EXTERNAL_IP_MASQ_PORT, TO_NODE_PORT];
  return s;
}

const IPVSADM_B = IPVSADM_A.map((l) => l.replace('10.244.1.3:8080', '10.244.1.7:8080'));
const IPVSADM_C = IPVSADM_B.map((l) => (l === '-A -t 10.96.0.10:80 -s rr' ? '-A -t 10.96.0.10:80 -s wlc' : l));
const IPSET_F = [
  ...IPSET_A.filter((l) => !l.includes(' KUBE-EXTERNAL-IP ')),
  'create KUBE-EXTERNAL-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12',
  'add KUBE-EXTERNAL-IP 203.0.113.10,tcp:80',
  'add KUBE-EXTERNAL-IP 203.0.113.11,tcp:443',
];

/** iptables-save's nat and filter tables after a state with these KUBE-SERVICES rules, around the foreign rules. */
function expectedIptables(kubeServices: string[]): Record<string, SavedTable> {
  return {
    nat: {
      chains: ['INPUT', 'IPVS-PROXIER-OWNED', 'KUBE-MARK-MASQ', 'KUBE-NODE-PORT', 'KUBE-SERVICES', 'OUTPUT', 'POSTROUTING', 'PREROUTING'],
      rules: {
        // Ours go to the top of a built-in chain; the foreign rule stays below.
        PREROUTING: [PORTALS, FOREIGN_PREROUTING],
        OUTPUT: [PORTALS],
        POSTROUTING: [LOOP_BACK],
        'IPVS-PROXIER-OWNED': [
          chainLedgerEntry('KUBE-MARK-MASQ'), chainLedgerEntry('KUBE-NODE-PORT'), chainLedgerEntry('KUBE-SERVICES'), ruleLedgerEntry('POSTROUTING', LOOP_BACK),
        ],
        'KUBE-MARK-MASQ': [MARK_MASQ],
        'KUBE-NODE-PORT': [NODE_PORT_TCP],
        'KUBE-SERVICES': kubeServices,
      },
    },
    filter: {
      chains: ['FOREIGN-FW', 'FORWARD', 'INPUT', 'IPVS-PROXIER-OWNED', 'KUBE-IPVS-FILTER', 'OUTPUT'],
      rules: {
        INPUT: [IPVS_FILTER_JUMP, ...FOREIGN_INPUT],
        'FOREIGN-FW': FOREIGN_FW,
        'IPVS-PROXIER-OWNED': [chainLedgerEntry('KUBE-IPVS-FILTER')],
        'KUBE-IPVS-FILTER': [FILTER_CLUSTER_IP],
      },
    },
  };
}

const VIP_ADDRESSES = ['10.96.0.10/32', '10.96.0.20/32', 'fd00:10:96::a/128'];

/** Starts a TCP connection to a virtual server from the node and gives up on it: IPVS schedules and counts it. */
function knock(host: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.on('error', done);
    socket.on('connect', done);
    setTimeout(done, 300);
  });
}

interface ServiceCounters {
  /** Connections the service has scheduled since it was created (ipvsadm --stats "Conns"). */
  conns: number;
  /** Real server -> "ActiveConn InActConn". */
  realServers: Record<string, string>;
}

function serviceCounters(service: string): ServiceCounters {
  const stats = run('ipvsadm', ['-Ln', '--exact', '--stats', '-t', service]).split('\n');
  const head = stats.find((l) => l.startsWith(`TCP  ${service} `));
  const list = run('ipvsadm', ['-Ln', '-t', service]).split('\n');
  const realServers: Record<string, string> = {};
  for (const l of list) {
    const m = /^ {2}-> (\S+) +\S+ +\d+ +(\d+) +(\d+)/.exec(l);
    if (m) realServers[m[1]!] = `${m[2]} ${m[3]}`;
  }
  return { conns: Number(head!.trim().split(/\s+/)[2]), realServers };
}

/**
 * The counters once the kernel has published them. ipvsadm's "Conns" comes from the per-service totals
 * that IPVS's rate estimator folds in from the per-CPU counters every 2 seconds (ip_vs_est.c), so a read
 * right after a connection can still say 0. Waits for a non-zero read that two reads 2.2 s apart agree on.
 */
async function settledCounters(service: string): Promise<ServiceCounters> {
  let last = serviceCounters(service);
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 2200));
    const now = serviceCounters(service);
    if (now.conns > 0 && JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

describe('engine e2e: apply, minimal re-apply, dry run and cleanup, around foreign objects', function () {
  this.timeout(300_000);
  let baseline: KernelSnapshot | undefined;
  let foreignOnly: KernelSnapshot;
  let engine: KernelEngine | undefined;
  let dir: string;

  before(async function () {
    baseline = await cleanKernelOrSkip(this);
    addNodeNetwork();
    addForeignObjects();
    foreignOnly = await snapshot();
    engine = await openKernelEngine();
    dir = mkdtempSync(join(tmpdir(), 'ipvs-proxier-e2e-'));
  });

  after(async function () {
    if (!baseline) return;
    if (engine) {
      // Only ours goes; a no-op when the cleanup test ran.
      await engine.cleanup('kube-ipvs0').catch(() => undefined);
      engine.close();
    }
    rmSync(dir, { recursive: true, force: true });
    removeForeignObjects();
    deleteServices(FOREIGN_SERVICES);
    destroySets(FOREIGN_SETS);
    deleteLink('kube-ipvs0');
    deleteLink('node0');
    expect(await snapshot(), 'the kernel after cleanup').to.deep.equal(baseline);
  });

  it('the foreign objects are in place before anything is applied', () => {
    expect(ipvsadmSave()).to.deep.equal([...FOREIGN_IPVSADM].sort());
    expect(ipsetSave()).to.deep.equal([...FOREIGN_IPSET].sort());
    expect(iptablesTables().filter!.rules['INPUT']).to.deep.equal(FOREIGN_INPUT);
  });

  it('apply A: ipvsadm, ipset, ip and iptables-save print exactly A (and our ledger) beside the untouched foreign objects', async () => {
    const report = await engine!.apply(stateA());
    expect(report.failures.map((f) => f.error.message)).to.deep.equal([]);
    // No operation is about a foreign object.
    const lines = report.operations.map(describeOp);
    for (const foreign of ['192.168.122.100', 'fwmark inet 1 ', 'FOREIGN', 'KUBE-LOAD-BALANCER ']) {
      expect(lines.filter((l) => l.includes(foreign)), foreign).to.deep.equal([]);
    }
    expect(ipvsadmSave()).to.deep.equal([...FOREIGN_IPVSADM, ...IPVSADM_A].sort());
    expect(ipsetSave()).to.deep.equal([...FOREIGN_IPSET, ...IPSET_A, ...LEDGER_A].sort());
    expect(linkAddresses('kube-ipvs0')).to.deep.equal(VIP_ADDRESSES);
    expect(linkDetails('kube-ipvs0')).to.deep.equal({ kind: 'dummy', operstate: 'DOWN', up: false });
    expect(linkAddresses('node0')).to.deep.equal(['192.168.122.10/24']);
    expect(iptablesTables()).to.deep.equal(expectedIptables([CLUSTER_IP_ACCEPT, EXTERNAL_IP_MASQ, TO_NODE_PORT]));
    expect(iptablesSave('ip6')).to.deep.equal(foreignOnly.ip6tables);
  });

  it('apply A again: 0 operations, no message sent', async () => {
    const report = await engine!.apply(stateA());
    expect(report.operations.map(describeOp)).to.deep.equal([]);
    expect(report.messagesSent).to.equal(0);
    expect(report.iptablesRestores).to.equal(0);
  });

  it('apply B (one endpoint replaced): exactly rs-add + rs-del, and ipvsadm shows the new endpoint', async () => {
    const report = await engine!.apply(stateB());
    expect(report.failures).to.deep.equal([]);
    const service = { protocol: 'tcp', address: '10.96.0.10', port: 80 };
    expect(report.operations).to.deep.equal([
      { kind: 'rs-add', service, realServer: masq('10.244.1.7', 8080) },
      { kind: 'rs-del', service, realServer: masq('10.244.1.3', 8080) },
    ]);
    expect(report.messagesSent).to.equal(2);
    expect(ipvsadmSave()).to.deep.equal([...FOREIGN_IPVSADM, ...IPVSADM_B].sort());
    expect(ipsetSave()).to.deep.equal([...FOREIGN_IPSET, ...IPSET_A, ...LEDGER_A].sort());
  });

  it('apply C (scheduler rr -> wlc): one vs-update; the service is changed in place, its connections and counters stay', async () => {
    for (let i = 0; i < 4; i++) await knock('10.96.0.10', 80);
    const before = await settledCounters('10.96.0.10:80');
    expect(before.conns, 'connections IPVS scheduled before the change').to.be.greaterThan(0);
    expect(Object.values(before.realServers).some((c) => c !== '0 0'), JSON.stringify(before)).to.equal(true);

    const report = await engine!.apply(stateC());
    expect(report.failures).to.deep.equal([]);
    expect(report.operations).to.deep.equal([
      {
        kind: 'vs-update',
        service: { protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'wlc', flags: [] },
        previous: { protocol: 'tcp', address: '10.96.0.10', port: 80, scheduler: 'rr', flags: [] },
        changes: ['scheduler'],
      },
    ]);
    expect(report.operations.map(describeOp)).to.deep.equal(['~ virtual server tcp 10.96.0.10:80 scheduler rr -> wlc']);
    expect(run('ipvsadm', ['-Ln', '-t', '10.96.0.10:80']).split('\n')).to.include('TCP  10.96.0.10:80 wlc');
    // A re-created service would start from zero.
    expect(await settledCounters('10.96.0.10:80')).to.deep.equal(before);
    expect(ipvsadmSave()).to.deep.equal([...FOREIGN_IPVSADM, ...IPVSADM_C].sort());
    expect(ipsetSave(), 'the ledger is not touched').to.deep.equal([...FOREIGN_IPSET, ...IPSET_A, ...LEDGER_A].sort());
  });

  it('apply F (KUBE-EXTERNAL-IP hash:ip -> hash:ip,port): rebuilt through a temporary set while rules point at it, ends right', async () => {
    const report = await engine!.apply(stateF());
    expect(report.failures.map((f) => f.error.message)).to.deep.equal([]);
    expect(report.operations.map(describeOp)).to.deep.equal([
      '+ ipset IPVS-PROXIER-TMP-0 hash:ip,port inet',
      '+ ipset 2 entries IPVS-PROXIER-TMP-0 203.0.113.10,tcp:80 203.0.113.11,tcp:443',
      '~ iptables sync, interim: rules use KUBE-EXTERNAL-IP -> IPVS-PROXIER-TMP-0 while the sets are re-created',
      '- ledger IPVS-PROXIER-SETS KUBE-EXTERNAL-IP (ipset KUBE-EXTERNAL-IP)',
      '- ipset KUBE-EXTERNAL-IP',
      '+ ipset KUBE-EXTERNAL-IP hash:ip,port inet',
      '+ ledger IPVS-PROXIER-SETS KUBE-EXTERNAL-IP (ipset KUBE-EXTERNAL-IP)',
      '+ ipset 2 entries KUBE-EXTERNAL-IP 203.0.113.10,tcp:80 203.0.113.11,tcp:443',
      '~ iptables sync nat (6 chains), filter (2 chains)',
      '- ipset IPVS-PROXIER-TMP-0',
    ]);
    expect(ipsetSave()).to.deep.equal([...FOREIGN_IPSET, ...IPSET_F, ...LEDGER_A].sort());
    expect(ipsetNames().filter((n) => n.startsWith('IPVS-PROXIER-TMP-'))).to.deep.equal([]);
    expect(iptablesTables()).to.deep.equal(expectedIptables([CLUSTER_IP_ACCEPT, EXTERNAL_IP_MASQ_PORT, TO_NODE_PORT]));
    expect(ipvsadmSave()).to.deep.equal([...FOREIGN_IPVSADM, ...IPVSADM_C].sort());
    const again = await engine!.apply(stateF());
    expect(again.operations.map(describeOp)).to.deep.equal([]);
  });

  it('the CLI: `ipvs-proxier apply -f F` on the converged kernel prints "0 operations" and exits 0', async () => {
    const file = join(dir, 'f.json');
    writeFileSync(file, JSON.stringify(stateF()));
    const before = await snapshot();
    const r = runCli(['apply', '-f', file]);
    expect(r.stderr).to.equal('');
    expect(r.stdout.trimEnd().split('\n').at(-1)).to.equal('0 operations');
    expect(r.status).to.equal(0);
    expect(await snapshot()).to.deep.equal(before);
  });

  it('apply --dry-run (the apply command) prints the plan and changes nothing', async () => {
    const file = join(dir, 'a.json');
    writeFileSync(file, JSON.stringify(stateA()));
    const before = await snapshot();
    let out = '';
    let err = '';
    const code = await applyCommand(['-f', file, '--dry-run'], (s) => void (out += s), (s) => void (err += s));
    expect(err).to.equal('');
    expect(code).to.equal(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).to.include('~ virtual server tcp 10.96.0.10:80 scheduler wlc -> rr');
    expect(lines).to.include('+ real server tcp 10.96.0.10:80 -> 10.244.1.3:8080 masq weight 1');
    expect(lines.at(-1)).to.equal(`${lines.length - 1} operations (dry run: nothing changed)`);
    expect(await snapshot()).to.deep.equal(before);
  });

  it('cleanup removes everything of ours (kube-ipvs0, ledgers included) and leaves exactly the foreign objects', async () => {
    const report = await engine!.cleanup('kube-ipvs0');
    expect(report.failures.map((f) => f.error.message)).to.deep.equal([]);
    expect(await snapshot()).to.deep.equal(foreignOnly);
    expect(linkDetails('kube-ipvs0')).to.equal(undefined);
    expect(ipsetNames()).to.deep.equal([...FOREIGN_SETS].sort());
  });
});
