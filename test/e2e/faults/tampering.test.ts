// Fault suite, tampering (issue 10, part 3): while the proxier runs under two steady request streams
// (node -> ClusterIP, outside client -> NodePort), someone breaks what it programmed, one way per case:
// `ipvsadm -C`, `ipset flush` and `ipset destroy` of each of its sets (where the kernel allows), `ip link
// del kube-ipvs0`, `iptables -t nat -F KUBE-SERVICES`, the PREROUTING jump deleted, a real server's weight
// changed by hand. Each must be put back by the next periodic sync (the kernel as the real tools print it
// equal to before the case) and counted in ipvs_proxier_drift_repaired_total by kind. All the while a
// keepalived-like loop changes its own virtual server, ipset and chain (foreign-churn.ts), and a static
// foreign virtual server, ipset, chain and rules sit next to ours: none of them is ever touched. Each case
// prints a FAULT-RESULT JSON line (README, Reliability).
//
//   npm run build && vm-slot e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/faults/tampering.test.js
import { expect } from 'chai';
import { runCommand } from '../../../e2e/traffic/index.js';
import { eventually, startProxier, stopProxierSuite, type Running } from '../proxier/harness.js';
import { ipvsadmSave, run, snapshot, tryRun, type KernelSnapshot } from '../netlink/kernel-tools.js';
import { FOREIGN_IPSET, FOREIGN_IPTABLES, FOREIGN_IPVS, addForeignIpvs, addForeignObjects, removeForeignObjects } from '../proxier/foreign-objects.js';
import { ForeignChurn, withoutChurn } from './foreign-churn.js';
import { CLUSTER_URL, HTTPD, Traffic, caseResult, readCounters, setupFaultWorld, type CaseResult, type Counters, type FaultWorld } from './fault-world.js';

const SYNC_PERIOD_S = 5;
/** The sync in progress when the tamper happens may have read the kernel just before it; the next one repairs. */
const MAX_SYNCS_TO_REPAIR = 2;
const OURS = /^(KUBE-|IPVS-PROXIER-)/;

/** The snapshot the cases compare: everything but the churn loop's objects (which change by design). */
async function steadyState(): Promise<KernelSnapshot> {
  const s = await snapshot();
  return { ipvs: withoutChurn(s.ipvs), ipsets: withoutChurn(s.ipsets), iptables: withoutChurn(s.iptables), ip6tables: withoutChurn(s.ip6tables), links: s.links };
}

function ourSetNames(): string[] {
  return run('ipset', ['list', '-n']).split('\n').filter((n) => OURS.test(n));
}

describe('fault suite: tampering with what the proxier programmed, foreign objects untouched', function () {
  this.timeout(600_000);
  let world: FaultWorld | undefined;
  let proxier: Running | undefined;
  let traffic: Traffic | undefined;
  let churn: ForeignChurn | undefined;
  let good: KernelSnapshot;
  const results: CaseResult[] = [];

  before(async function () {
    world = await setupFaultWorld();
    addForeignObjects();
    churn = new ForeignChurn();
    proxier = await startProxier(world.master, SYNC_PERIOD_S);
    traffic = new Traffic(480_000);
    await traffic.started();
    good = await steadyState();
    // The static foreign objects are there, next to ours.
    for (const line of FOREIGN_IPVS) expect(good.ipvs).to.include(line);
    expect(good.ipvs.some((l) => l.startsWith(`-A -t ${HTTPD.clusterIP}:${HTTPD.port} `))).to.equal(true);
  });

  after(async function () {
    await traffic?.stop();
    await churn?.stop();
    await stopProxierSuite({ proxier, servers: world?.servers, api: world?.api });
    removeForeignObjects();
  });

  /**
   * Runs one tamper and waits for the kernel to be as before it; returns the case's figures. `tamper`
   * returns extra figures for the result line (what the kernel let it do).
   */
  async function tamperCase(name: string, tamper: () => Record<string, unknown> | void, opts: { pauseChurn?: boolean; afterTamper?: () => void } = {}): Promise<CaseResult> {
    // Pausing the neighbour may take a while in the guest: the counters are read after it, so the syncs
    // counted are those from the tamper to the repair's count (periodic cycles: one sync each).
    if (opts.pauseChurn) await churn!.pause();
    const before = await readCounters(proxier!.metrics);
    const from = Date.now();
    const extra = tamper() ?? {};
    opts.afterTamper?.();
    if (opts.pauseChurn) churn!.resume();
    const tampered = await steadyState();
    expect(tampered, `${name} changed nothing`).to.not.deep.equal(good);
    let last = tampered;
    await eventually(async () => {
      last = await steadyState();
      return JSON.stringify(last) === JSON.stringify(good);
    }, `${name}: the kernel as before (last differences: ${JSON.stringify(diff(good, last))})`, 4 * SYNC_PERIOD_S * 1000 + 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; now differs: ${JSON.stringify(diff(good, last))}`);
    });
    const convergeMs = Date.now() - from;
    // The kernel is repaired before the sync that did it has counted it.
    const driftTotal = (c: Counters) => Object.values(c.drift).reduce((a, b) => a + b, 0);
    await eventually(async () => driftTotal(await readCounters(proxier!.metrics)) > driftTotal(before), `${name}: the repair counted in ipvs_proxier_drift_repaired_total`, 30_000);
    const after = await readCounters(proxier!.metrics);
    // Let the requests sent just before the repair finish (5 s timeout) before counting the case's drops.
    await new Promise((r) => setTimeout(r, 1000));
    const result = caseResult(name, traffic, { from, to: Date.now() }, convergeMs, before, after, extra);
    results.push(result);
    expect(result.syncs, `${name}: repaired by the next periodic sync`).to.be.at.most(MAX_SYNCS_TO_REPAIR + 1);
    return result;
  }

  it('ipvsadm -C: every virtual and real server of ours comes back (the neighbour re-adds its own)', async function () {
    const ours = good.ipvs.filter((l) => !FOREIGN_IPVS.includes(l));
    // The neighbour's loop is paused so that its own checks do not see the flush; it re-adds its static
    // virtual server right after, as keepalived would.
    const r = await tamperCase('ipvsadm -C', () => void run('ipvsadm', ['-C']), { pauseChurn: true, afterTamper: addForeignIpvs });
    expect(r.drift['vs-add']).to.equal(ours.filter((l) => l.startsWith('-A ')).length);
    expect(r.drift['rs-add']).to.equal(ours.filter((l) => l.startsWith('-a ')).length);
  });

  it('ipset flush of each of our sets: every entry comes back', async function () {
    const entries = good.ipsets.filter((l) => l.startsWith('add ') && OURS.test(l.split(' ')[1]!));
    const r = await tamperCase('ipset flush (each of ours)', () => {
      const sets = ourSetNames();
      for (const name of sets) run('ipset', ['flush', name]);
      return { sets: sets.length, entries: entries.length };
    });
    const restored = (r.drift['ipset-add'] ?? 0) + (r.drift['ledger-add'] ?? 0);
    expect(restored).to.equal(entries.length);
  });

  it('ipset destroy of each of our sets, where the kernel allows: what went comes back', async function () {
    const refused: string[] = [];
    const destroyed: string[] = [];
    const r = await tamperCase('ipset destroy (each of ours)', () => {
      // Until nothing more goes: a set freed by destroying the list:set that held it goes in a later round.
      for (let progress = true; progress; ) {
        progress = false;
        for (const name of ourSetNames()) {
          if (tryRun('ipset', ['destroy', name]).status === 0) {
            destroyed.push(name);
            progress = true;
          } else if (!refused.includes(name)) refused.push(name);
        }
      }
      return { destroyed, refused: refused.filter((n) => !destroyed.includes(n)) };
    });
    console.log(`    destroyed: ${destroyed.join(' ') || '(none)'}; refused (in use): ${refused.filter((n) => !destroyed.includes(n)).join(' ')}`);
    expect(destroyed.length, 'the kernel let no set of ours be destroyed: nothing was tested').to.be.above(0);
    expect(r.drift['ipset-create'] ?? r.drift['ledger-create'] ?? 0).to.be.above(0);
  });

  it('ip link del kube-ipvs0: the link and every Service address come back', async function () {
    const addresses = good.links.find((l) => l.startsWith('kube-ipvs0 '))!.split(' ').slice(1);
    const r = await tamperCase('ip link del kube-ipvs0', () => void run('ip', ['link', 'del', 'kube-ipvs0']));
    expect(r.drift['link-create']).to.equal(1);
    expect(r.drift['address-add']).to.equal(addresses.length);
  });

  it('iptables -t nat -F KUBE-SERVICES: the chain is refilled', async function () {
    const r = await tamperCase('iptables -t nat -F KUBE-SERVICES', () => void run('iptables', ['-t', 'nat', '-F', 'KUBE-SERVICES']));
    expect(r.drift['iptables-sync']).to.be.at.least(1);
  });

  it('the PREROUTING jump to KUBE-SERVICES deleted: it comes back in its place', async function () {
    const rules = run('iptables', ['-t', 'nat', '-S', 'PREROUTING']).split('\n').filter((l) => l.startsWith('-A PREROUTING'));
    const position = rules.findIndex((l) => l.endsWith('-j KUBE-SERVICES'));
    expect(position, `no jump to KUBE-SERVICES in PREROUTING: ${rules.join('; ')}`).to.be.at.least(0);
    const r = await tamperCase('PREROUTING jump deleted', () => void run('iptables', ['-t', 'nat', '-D', 'PREROUTING', String(position + 1)]));
    expect(r.drift['iptables-sync']).to.be.at.least(1);
  });

  it("a real server's weight changed by hand: put back, and no request dropped", async function () {
    const vs = `${HTTPD.clusterIP}:${HTTPD.port}`;
    const r = await tamperCase('real server weight changed', () => void run('ipvsadm', ['-e', '-t', vs, '-r', '10.244.1.3:80', '-m', '-w', '5']));
    expect(r.drift['rs-update']).to.equal(1);
    expect(r.dropped).to.deep.equal({ clusterIP: 0, nodePort: 0 });
  });

  it('the foreign objects: the static ones byte-identical, the churning neighbour never disturbed, traffic back', async function () {
    const now = await steadyState();
    for (const line of FOREIGN_IPVS) expect(now.ipvs).to.include(line);
    for (const line of FOREIGN_IPSET.filter((l) => l.startsWith('add '))) expect(now.ipsets).to.include(line);
    // iptables-save prints the rules with their implied matches (-m tcp): compared with the save before.
    const foreignRules = (lines: string[]) => lines.filter((l) => /^:FIREWALL |^-A FIREWALL |-j FIREWALL$|--dport 2222 /.test(l));
    expect(foreignRules(now.iptables)).to.have.length(FOREIGN_IPTABLES.filter((l) => l.startsWith('-A ') || l.startsWith(':')).length);
    expect(foreignRules(now.iptables)).to.deep.equal(foreignRules(good.iptables));
    expect(now).to.deep.equal(good);
    console.log(`    neighbour: ${churn!.rounds} rounds, ${churn!.mismatches.length} mismatches`);
    expect(churn!.mismatches).to.deep.equal([]);
    expect(churn!.rounds).to.be.at.least(10);
    const save = ipvsadmSave();
    expect(save.filter((l) => l.includes('192.168.122.100'))).to.deep.equal([...FOREIGN_IPVS].sort());
    const spread = runCommand(['curl', '-s', '--max-time', '5', CLUSTER_URL], { allowFailure: true }).stdout.trim();
    expect(spread).to.match(/^httpd-[abc]$/);
    console.log(`    FAULT-SUMMARY tampering ${JSON.stringify(results.map((r) => ({ case: r.case, dropped: r.dropped, convergeMs: r.convergeMs })))}`);
  });
});

/** The lines one snapshot has and the other has not, per part: for the failure message. */
function diff(want: KernelSnapshot, got: KernelSnapshot): Record<string, { missing: string[]; extra: string[] }> {
  const out: Record<string, { missing: string[]; extra: string[] }> = {};
  for (const key of Object.keys(want) as (keyof KernelSnapshot)[]) {
    const missing = want[key].filter((l) => !got[key].includes(l));
    const extra = got[key].filter((l) => !want[key].includes(l));
    if (missing.length || extra.length || JSON.stringify(want[key]) !== JSON.stringify(got[key])) out[key] = { missing: missing.slice(0, 10), extra: extra.slice(0, 10) };
  }
  return out;
}
