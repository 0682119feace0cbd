// Fault suite, a crash (issue 10, part 2): the proxier, as its own process, is SIGKILLed in the middle of
// applying BULK new Services (seen in /proc/net/ip_vs: some of their virtual servers or real servers there,
// not all), then started again. The second process must converge: every Service exactly once with all its
// real servers, adopting what the first one left (no virtual server deleted or added twice), no duplicate
// iptables rule or address, nothing stale (no temporary set, the ledger naming exactly our virtual
// servers); and the Service programmed before the crash never drops a request of its stream.
// Both processes list 10,000 Services and their EndpointSlices in pages (issue 10, part 1, "10,000
// Services listed in pages"): the first relists after its re-watch's 410, the second at its start, each in
// pages of 500 (limit=500, then continue=...) as the API server's request log shows, and the kernel ends
// with all 10,000 virtual servers. The 10,000 are written once, in-process, behind stalled watches: no
// watch event per object, one relist. Prints two FAULT-RESULT JSON lines (README, Reliability).
//
//   npm run build && vm-slot e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/faults/kill-mid-apply.test.js
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ENDPOINT_SLICES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import { freePort } from '../../../e2e/monitoring/free-port.js';
import { runProxier } from '../../../lib/cli/run-command.js';
import { LIST_PAGE_SIZE } from '../../../lib/kube/paged-list.js';
import { ProxierProcess } from '../alerts/proxier-process.js';
import { eventually, stopProxierSuite } from '../proxier/harness.js';
import { ipsetNames, iptablesSave, ipvsadmSave, linkAddresses, run, runAsync } from '../netlink/kernel-tools.js';
import { HTTPD, PODS, Traffic, capturingLogger, caseResult, service, setupFaultWorld, slice, type Counters, type FaultWorld, type LogEntry, type Svc } from './fault-world.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
/** The figure. Writing, listing and applying them in the TCG guest: see the README's Reliability section. */
const BULK = 10_000;
/** Each resource's list of BULK objects plus httpd's, in pages of LIST_PAGE_SIZE. */
const PAGES = Math.ceil((BULK + 1) / LIST_PAGE_SIZE);

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

/** The list requests (not watches) of one resource the API server answered in [from, to], in order. */
function listRequests(entries: readonly LogEntry[], resource: 'services' | 'endpointslices', from: number, to: number): { at: number; url: URL }[] {
  return entries
    .filter((e) => e.at >= from && e.at <= to && e.message === 'request' && e['method'] === 'GET')
    .map((e) => ({ at: e.at, url: new URL(String(e['url']), 'http://api') }))
    .filter((r) => r.url.pathname.endsWith(`/${resource}`) && r.url.searchParams.get('watch') === null);
}

/** What a run of list requests shows: pages, their limits, whether every page after the first continues. */
function pagesOf(requests: readonly { at: number; url: URL }[]) {
  return {
    pages: requests.length,
    limits: [...new Set(requests.map((r) => r.url.searchParams.get('limit')))],
    continued: requests.filter((r) => (r.url.searchParams.get('continue') ?? '') !== '').length,
    listMs: requests.length ? requests.at(-1)!.at - requests[0]!.at : 0,
  };
}

describe(`fault suite: the proxier SIGKILLed in the middle of applying ${BULK} Services, then started again`, function () {
  this.timeout(2_400_000);
  let world: FaultWorld | undefined;
  let traffic: Traffic | undefined;
  let proxier: ProxierProcess | undefined;
  const apiLog = capturingLogger('debug', false);

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
    await p.start(900_000);
    return { process: p, metrics: `http://${metrics}/metrics` };
  }

  before(async function () {
    world = await setupFaultWorld({ logger: apiLog.logger });
  });

  after(async function () {
    await traffic?.stop();
    await proxier?.stop();
    await stopProxierSuite({ servers: world?.servers, api: world?.api });
  });

  it(`converges: every Service once, what was there adopted, no duplicate, nothing stale; no request to httpd dropped; ${BULK} Services listed in pages`, async function () {
    const first = await start();
    proxier = first.process;
    traffic = new Traffic(1_800_000);
    await traffic.started();
    const base = await ipvsCounts();
    const from = Date.now();
    // One big apply rather than many small ones: the watches see nothing while the Services are written,
    // then re-watch from a resourceVersion the history (1,000 changes) no longer holds, and relist.
    world!.api.stallWatches();
    const writeStarted = Date.now();
    for (let i = 0; i < BULK; i++) {
      world!.api.registry.create(SERVICES, service(bulk(i)));
      world!.api.registry.create(ENDPOINT_SLICES, slice(bulk(i), PODS.map((p) => p.ip)));
    }
    const writeMs = Date.now() - writeStarted;
    const relistFrom = Date.now();
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
    }, 'the apply of the bulk Services under way', 900_000);
    proxier = undefined;
    const killedAt = Date.now();
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
    const r = caseResult(`SIGKILL mid-apply of ${BULK} Services, restart`, traffic, { from, to: Date.now() }, convergeMs, NONE, after, {
      services: BULK, writeMs, killedAt: atKill, leftVirtualServers: leftVs, secondFirstSyncS: after.firstSyncS, secondStartMs: convergeMs,
      // When the failed requests were sent, seconds from the kill (the second process starts right after it).
      failedSentS: failed.length ? [failed[0]! - killedAt, failed.at(-1)! - killedAt].map((ms) => Math.round(ms / 100) / 10) : [],
    });

    // Every Service exactly once, with its three real servers.
    const save = ipvsadmSave(await runAsync('ipvsadm', ['-Sn']));
    const bulkVs = save.filter((l) => /^-A -t 10\.96\.([1-4]\d)\.\d+:80 /.test(l));
    expect(bulkVs).to.have.length(BULK);
    expect(new Set(bulkVs).size).to.equal(BULK);
    expect(save.filter((l) => /^-a -t 10\.96\.([1-4]\d)\.\d+:80 /.test(l))).to.have.length(3 * BULK);
    // `ipvsadm -Sn | grep -c '^-A'`: every virtual server, the BULK listed in pages and httpd's two (ClusterIP, NodePort).
    const virtualServers = save.filter((l) => l.startsWith('-A ')).length;
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

    // Listed in pages: the first process's relist after the 410, and the second process's start.
    const paged = {
      relist: { services: pagesOf(listRequests(apiLog.entries, 'services', relistFrom, killedAt)), endpointslices: pagesOf(listRequests(apiLog.entries, 'endpointslices', relistFrom, killedAt)) },
      restart: { services: pagesOf(listRequests(apiLog.entries, 'services', restartedAt, Date.now())), endpointslices: pagesOf(listRequests(apiLog.entries, 'endpointslices', restartedAt, Date.now())) },
    };
    caseResult(`${BULK} Services listed in pages (both processes)`, undefined, { from: relistFrom, to: Date.now() }, convergeMs, NONE, NONE, {
      services: BULK, pageSize: LIST_PAGE_SIZE, paged, ipvsVirtualServers: virtualServers,
    });
    const whole = { pages: PAGES, limits: [String(LIST_PAGE_SIZE)], continued: PAGES - 1 };
    expect(paged.restart.services, 'Services listed by the second process').to.deep.include(whole);
    expect(paged.restart.endpointslices, 'EndpointSlices listed by the second process').to.deep.include(whole);
    // The first process applies the Services as soon as their list is in, and may die before its EndpointSlice list ends.
    expect(paged.relist.services, 'Services relisted by the first process').to.deep.include(whole);
    const slicePages = paged.relist.endpointslices;
    expect(slicePages, 'EndpointSlices relisted by the first process, up to the kill').to.deep.include({ limits: [String(LIST_PAGE_SIZE)], continued: slicePages.pages - 1 });
    expect(virtualServers, "ipvsadm -Sn | grep -c '^-A'").to.equal(base.vs + BULK);

    await traffic.stop();
    traffic = undefined;
    await proxier.stop();
    proxier = undefined;
    expect(await runProxier(['--cleanup'])).to.equal(0);
  });
});
