// Fault suite, contention (issue 10, part 4): the xtables lock held by another process for LOCK_S while a
// change that needs both IPVS and iptables arrives (a Service with an external IP: its virtual servers and
// KUBE-EXTERNAL-IP entry, and the KUBE-EXTERNAL-IP rules, which exist only while that set has members).
// As kube-proxy: iptables-restore --wait=5 gives up, the sync fails with a log line naming the lock, is
// counted in ipvs_proxier_sync_errors_total and retried. The IPVS and ipset parts are not held back (the
// plan applies them before iptables); /healthz turns 503 only once the change has waited 2 x sync period;
// on release the rules follow. The NLM_F_DUMP_INTR and ENOBUFS half of part 4 is unit-tested at the message
// level (test/lib/kernel/dump-interrupted.test.ts, test/lib/netlink/socket-transport.test.ts).
//
// iptables-nft takes no lock: this suite runs its proxier on the legacy backend (IPVS_PROXIER_IPTABLES=legacy,
// set for the suite only, its --cleanup included).
//
//   npm run build && vm-slot e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/faults/xtables-lock.test.js
import { expect } from 'chai';
import { ENDPOINT_SLICES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import { holdXtablesLock, type HeldLock } from '../../../e2e/monitoring/xtables-lock.js';
import { IPTABLES_BACKEND_ENV } from '../../../lib/iptables/runner.js';
import { eventually, startProxier, stopProxierSuite, type Running } from '../proxier/harness.js';
import { ipvsadmSave, runAsync } from '../netlink/kernel-tools.js';
import { PODS, Traffic, capturingLogger, caseResult, readCounters, service, setupFaultWorld, slice, type FaultWorld, type Svc } from './fault-world.js';

const SYNC_PERIOD_S = 5;
const THRESHOLD_MS = 2 * SYNC_PERIOD_S * 1000;
const LOCK_S = 30;
const EXT: Svc = { name: 'ext', clusterIP: '10.96.0.62', port: 8083, targetPort: 80, externalIPs: ['192.168.122.50'] };

async function extRealServers(): Promise<number> {
  const save = ipvsadmSave(await runAsync('ipvsadm', ['-Sn']));
  return save.filter((l) => l.startsWith(`-a -t ${EXT.clusterIP}:${EXT.port} `)).length;
}

async function externalIpRules(): Promise<string[]> {
  return (await runAsync('iptables-legacy-save', ['-t', 'nat'])).split('\n').filter((l) => l.startsWith('-A ') && l.includes('KUBE-EXTERNAL-IP'));
}

async function extInIpset(): Promise<boolean> {
  return (await runAsync('ipset', ['list', 'KUBE-EXTERNAL-IP']).catch(() => '')).includes(`${EXT.externalIPs![0]},tcp:${EXT.port}`);
}

describe('fault suite: the xtables lock held for 30 s by another process', function () {
  this.timeout(600_000);
  let world: FaultWorld | undefined;
  let proxier: Running | undefined;
  let traffic: Traffic | undefined;
  let lock: HeldLock | undefined;
  const proxierLog = capturingLogger('verbose', true);
  const backendBefore = process.env[IPTABLES_BACKEND_ENV];

  before(async function () {
    process.env[IPTABLES_BACKEND_ENV] = 'legacy';
    world = await setupFaultWorld();
    proxier = await startProxier(world.master, SYNC_PERIOD_S, [], { log: proxierLog.logger });
    traffic = new Traffic(240_000);
    await traffic.started();
  });

  after(async function () {
    await lock?.release();
    await traffic?.stop();
    await stopProxierSuite({ proxier, servers: world?.servers, api: world?.api });
    if (backendBefore === undefined) delete process.env[IPTABLES_BACKEND_ENV];
    else process.env[IPTABLES_BACKEND_ENV] = backendBefore;
  });

  it('IPVS and ipset go ahead, iptables waits and retries with a log line, /healthz 503 only past 2 x sync period, all applied on release', async function () {
    expect(await externalIpRules(), 'no external-IP rules before (the set is empty)').to.deep.equal([]);
    const before = await readCounters(proxier!.metrics);
    lock = await holdXtablesLock();
    const lockedAt = Date.now();
    world!.api.registry.create(SERVICES, service(EXT));
    world!.api.registry.create(ENDPOINT_SLICES, slice(EXT, PODS.map((p) => p.ip)));
    const queuedAt = Date.now();

    let ipvsAfterMs: number | undefined;
    let ipsetAfterMs: number | undefined;
    let first503Ms: number | undefined;
    const healthz: { afterMs: number; status: number }[] = [];
    while (Date.now() - lockedAt < LOCK_S * 1000) {
      const t = Date.now() - queuedAt;
      if (ipvsAfterMs === undefined && (await extRealServers()) === 3) ipvsAfterMs = t;
      if (ipsetAfterMs === undefined && (await extInIpset())) ipsetAfterMs = t;
      const status = (await fetch(`${proxier!.healthz}/healthz`)).status;
      healthz.push({ afterMs: t, status });
      if (status === 503 && first503Ms === undefined) first503Ms = t;
      await new Promise((r) => setTimeout(r, 500));
    }
    const rulesWhileHeld = await externalIpRules();
    const releasedAt = Date.now();
    await lock.release();
    lock = undefined;
    await eventually(async () => (await externalIpRules()).length > 0, 'the KUBE-EXTERNAL-IP rules after the lock was released', 60_000);
    const convergeMs = Date.now() - releasedAt;
    await eventually(async () => (await fetch(`${proxier!.healthz}/healthz`)).status === 200, '/healthz 200 again', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await readCounters(proxier!.metrics);
    const lockLines = proxierLog.entries.filter((e) => e.at >= lockedAt && e.at <= releasedAt + 5000 && /xtables lock/.test(JSON.stringify(e)));
    const r = caseResult('xtables lock held 30 s', traffic, { from: lockedAt, to: Date.now() }, convergeMs, before, after, {
      lockS: LOCK_S, ipvsAfterMs, ipsetAfterMs, first503AfterMs: first503Ms, thresholdMs: THRESHOLD_MS, lockLogLines: lockLines.length,
    });
    console.log(`    a lock log line: ${JSON.stringify(lockLines[0])}`);

    expect(ipvsAfterMs, 'the virtual server with its 3 real servers while the lock was held').to.be.a('number');
    expect(ipsetAfterMs, 'the KUBE-EXTERNAL-IP entry while the lock was held').to.be.a('number');
    expect(rulesWhileHeld, 'no external-IP rule could be written under the lock').to.deep.equal([]);
    expect(r.syncErrors, 'failed syncs, retried').to.be.at.least(1);
    expect(lockLines.length, 'a log line naming the xtables lock').to.be.at.least(1);
    expect(first503Ms, '/healthz went 503 while the change waited').to.be.a('number');
    expect(first503Ms!, '/healthz 503 only past the threshold').to.be.at.least(THRESHOLD_MS);
    expect(healthz.filter((h) => h.afterMs < THRESHOLD_MS && h.status !== 200), '/healthz before the threshold').to.deep.equal([]);
    expect(r.dropped).to.deep.equal({ clusterIP: 0, nodePort: 0 });
  });
});
