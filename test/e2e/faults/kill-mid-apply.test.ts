// Fault suite, a crash (issue 10, part 2): the proxier, as its own process, is SIGKILLed in the middle of
// applying BULK new Services (seen in /proc/net/ip_vs: some of their virtual servers or real servers there,
// not all), then started again. The second process must converge: every Service exactly once with all its
// real servers, adopting what the first one left (no virtual server deleted or added twice), no duplicate
// iptables rule or address, nothing stale (no temporary set, the ledger naming exactly our virtual
// servers); and the Service programmed before the crash never drops a request of its stream.
// The issue asks for 10,000 Services; the TCG guest lists and applies 2,000 in seconds, 10,000 in minutes
// (README, Performance): BULK keeps the suite within CI's time. Prints a FAULT-RESULT JSON line.
//
//   npm run build && vm-slot e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/faults/kill-mid-apply.test.js
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ENDPOINT_SLICES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import { freePort } from '../../../e2e/monitoring/free-port.js';
import { runProxier } from '../../../lib/cli/run-command.js';
import { ProxierProcess } from '../alerts/proxier-process.js';
import { eventually, stopProxierSuite } from '../proxier/harness.js';
import { ipsetNames, iptablesSave, ipvsadmSave, linkAddresses, run, runAsync } from '../netlink/kernel-tools.js';
import { HTTPD, PODS, Traffic, caseResult, service, setupFaultWorld, slice, type Counters, type FaultWorld, type Svc } from './fault-world.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const BULK = 2000;

function bulk(i: number): Svc {
  return { name: `bulk-${i}`, clusterIP: `10.96.${10 + Math.floor(i / 250)}.${1 + (i % 250)}`, port: 80, targetPort: 80 };
}

/** Virtual and real servers in /proc/net/ip_vs: read by the kernel in one go, cheap enough to poll. */
async function ipvsCounts(): Promise<{ vs: number; rs: number }> {
  const lines = (await readFile('/proc/net/ip_vs', 'utf8')).split('\n');
  return { vs: lines.filter((l) => /^(TCP|UDP|SCTP|FWM) /.test(l)).length, rs: lines.filter((l) => l.startsWith('  -> ') && !l.includes('RemoteAddress')).length };
}

/** The labelled counters of a Prometheus text page, summed by `kind`, and plain values by name. */
async function scrape(url: string): Promise<Counters & { firstSyncS: number }> {
  const text = await (await fetch(url)).text();
  const byKind = (name: string) => {
    const out: Record<string, number> = {};
    for (const m of text.matchAll(new RegExp(`^${name}\\{kind="([^"]+)"\\} (\\S+)$`, 'gm'))) out[m[1]!] = Number(m[2]);
    return out;
  };
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    operations: byKind('ipvs_proxier_kernel_operations_total'),
    drift: byKind('ipvs_proxier_drift_repaired_total'),
    syncErrors: value('ipvs_proxier_sync_errors_total'),
    syncs: value('kubeproxy_sync_proxy_rules_duration_seconds_count'),
    firstSyncS: value('kubeproxy_sync_proxy_rules_duration_seconds_sum'),
  };
}

const NONE: Counters = { operations: {}, drift: {}, syncErrors: 0, syncs: 0 };

describe(`fault suite: the proxier SIGKILLed in the middle of applying ${BULK} Services, then started again`, function () {
  this.timeout(900_000);
  let world: FaultWorld | undefined;
  let traffic: Traffic | undefined;
  let proxier: ProxierProcess | undefined;

  async function start(): Promise<{ process: ProxierProcess; metrics: string }> {
    const [healthz, metrics] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const p = new ProxierProcess(
      {
        command: ['ipvs-proxier'],
        args: [
          `--master=${world!.master}`, '--hostname-override=node-1', '--cluster-cidr=10.244.0.0/16', '--ipvs-sync-period=30s',
          `--healthz-bind-address=${healthz}`, `--metrics-bind-address=${metrics}`, '-v', '2',
        ],
        env: {}, healthzBindAddress: healthz, metricsBindAddress: metrics,
      },
      REPO,
    );
    await p.start(300_000);
    return { process: p, metrics: `http://${metrics}/metrics` };
  }

  before(async function () {
    world = await setupFaultWorld();
  });

  after(async function () {
    await traffic?.stop();
    await proxier?.stop();
    await stopProxierSuite({ servers: world?.servers, api: world?.api });
  });

  it('converges: every Service once, what was there adopted, no duplicate, nothing stale; no request to httpd dropped', async function () {
    const first = await start();
    proxier = first.process;
    traffic = new Traffic(600_000);
    await traffic.started();
    const base = await ipvsCounts();
    const from = Date.now();
    // One big apply rather than many small ones: the watches see nothing while the Services are written,
    // then re-watch from a resourceVersion the history (1,000 changes) no longer holds, and relist.
    world!.api.stallWatches();
    for (let i = 0; i < BULK; i++) {
      world!.api.registry.create(SERVICES, service(bulk(i)));
      world!.api.registry.create(ENDPOINT_SLICES, slice(bulk(i), PODS.map((p) => p.ip)));
    }
    world!.api.closeWatches();
    // Kill as soon as the apply is seen under way: some of the new virtual or real servers, not all.
    let atKill: { vs: number; rs: number } | undefined;
    await eventually(async () => {
      const now = await ipvsCounts();
      const vs = now.vs - base.vs;
      const rs = now.rs - base.rs;
      if (vs === BULK && rs === 3 * BULK) throw new Error(`the apply of ${BULK} Services finished before it was seen under way: raise BULK`);
      if (vs === 0) return false;
      await first.process.kill();
      atKill = { vs, rs };
      return true;
    }, 'the apply of the bulk Services under way', 300_000);
    proxier = undefined;
    const left = await ipvsCounts();
    const leftVs = left.vs - base.vs;
    console.log(`    SIGKILL with ${atKill!.vs}/${BULK} virtual servers and ${atKill!.rs}/${3 * BULK} real servers applied; left after the kill: ${leftVs} / ${left.rs - base.rs}`);

    const restartedAt = Date.now();
    const second = await start();
    proxier = second.process;
    const convergeMs = Date.now() - restartedAt;
    const after = await scrape(second.metrics);
    await new Promise((r) => setTimeout(r, 1000));
    const failed = traffic.failureTimes(from, Date.now());
    const killedAt = restartedAt;
    const r = caseResult(`SIGKILL mid-apply of ${BULK} Services, restart`, traffic, { from, to: Date.now() }, convergeMs, NONE, after, {
      services: BULK, killedAt: atKill, leftVirtualServers: leftVs, secondFirstSyncS: after.firstSyncS,
      // When the failed requests were sent, seconds from the kill (the second process starts right after it).
      failedSentS: failed.length ? [failed[0]! - killedAt, failed.at(-1)! - killedAt].map((ms) => Math.round(ms / 100) / 10) : [],
    });

    // Every Service exactly once, with its three real servers.
    const save = ipvsadmSave(await runAsync('ipvsadm', ['-Sn']));
    const bulkVs = save.filter((l) => /^-A -t 10\.96\.(1\d)\.\d+:80 /.test(l));
    expect(bulkVs).to.have.length(BULK);
    expect(new Set(bulkVs).size).to.equal(BULK);
    expect(save.filter((l) => /^-a -t 10\.96\.(1\d)\.\d+:80 /.test(l))).to.have.length(3 * BULK);
    // What the first process left was adopted, not deleted and re-added.
    expect(r.operations['vs-add'] ?? 0, 'virtual servers added by the second process').to.equal(BULK - leftVs);
    for (const kind of ['vs-del', 'rs-del', 'vs-update']) expect(r.operations[kind], kind).to.equal(undefined);
    // No duplicate rule, one address per ClusterIP, no leftover temporary set, the ledger names exactly our virtual servers.
    // Per table: a chain such as KUBE-NODE-PORT exists in nat and in filter, each table with its ledger rule.
    let table = '';
    const rules = iptablesSave('ip4').map((l) => (l.startsWith('*') ? (table = l) : `${table} ${l}`)).filter((l) => / -A /.test(l));
    expect(rules.length, 'iptables rules').to.be.greaterThan(10);
    expect(rules.filter((l, i) => rules.indexOf(l) !== i), 'duplicate iptables rules').to.deep.equal([]);
    const addresses = linkAddresses('kube-ipvs0')!;
    expect(addresses).to.have.length(BULK + 1);
    expect(addresses).to.include(`${HTTPD.clusterIP}/32`);
    expect(ipsetNames().filter((n) => n.startsWith('IPVS-PROXIER-TMP'))).to.deep.equal([]);
    const ledger = run('ipset', ['list', 'IPVS-PROXIER-VS']).split('\n').filter((l) => /^\d+\.\d+\.\d+\.\d+,tcp:\d+$/.test(l));
    const ours = save.filter((l) => l.startsWith('-A -t ')).map((l) => l.split(' ')[2]!);
    expect(ledger.sort()).to.deep.equal(ours.map((vs) => vs.replace(/:(\d+)$/, ',tcp:$1')).sort());
    expect(r.dropped).to.deep.equal({ clusterIP: 0, nodePort: 0 });

    await traffic.stop();
    traffic = undefined;
    await proxier.stop();
    proxier = undefined;
    expect(await runProxier(['--cleanup'])).to.equal(0);
  });
});
