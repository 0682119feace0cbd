// The chart's alerts, evaluated by a real Prometheus (Debian's prometheus 2.42) against the real proxier
// on a real kernel (the e2e VM). The chart is rendered with real Helm (e2e/helm) and
// e2e/monitoring/alert-test-values.yaml (short `for:`, sync period 10 s); its PrometheusRule becomes
// Prometheus's rule file and its DaemonSet's command line runs the proxier (a child process, watching the
// stand-in API server loaded with e2e/examples). The checks themselves live in e2e/monitoring/alert-checks.ts
// so that they can run against the proxier as the chart's pod too.
//
//   npm run build && e2e/run-in-vm node_modules/.bin/mocha --timeout 600000 dist/test/e2e/alerts/alerts.test.js
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { loadObjectsFile } from '../../../e2e/apiserver-src/object-loader.js';
import { checkAlertsFireAndResolve, type AlertCheckContext, type AlertTimings } from '../../../e2e/monitoring/alert-checks.js';
import { connectAddress, proxierCommandFromManifests } from '../../../e2e/monitoring/chart-proxier-command.js';
import { restClusterWriter } from '../../../e2e/monitoring/cluster-writer.js';
import { PrometheusServer } from '../../../e2e/monitoring/prometheus-server.js';
import { ruleFileFromManifests } from '../../../e2e/monitoring/rule-file.js';
import { setupNodeNetwork, teardownNodeNetwork } from '../../../e2e/traffic/index.js';
import { openKernelEngine } from '../../../lib/engine/engine.js';
import { CommandIptablesRunner, backendFromEnv } from '../../../lib/iptables/runner.js';
import { DUMMY_INTERFACE } from '../../../lib/proxier/desired-state.js';
import { ProxierProcess } from './proxier-process.js';
import { SyncLog } from './sync-log.js';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const VALUES = `${REPO}e2e/monitoring/alert-test-values.yaml`;
const EXAMPLES = ['node.yaml', 'httpd.yaml', 'nodeport.yaml'].map((f) => `${REPO}e2e/examples/${f}`);
const NODE = 'node-1';

describe('alerts: a real Prometheus fires and resolves the chart\'s alerts against the real proxier', function () {
  // The proxier's start alone (mostly loading @kubernetes/client-node) took 30-90 s in the emulated VM,
  // longer the busier the machine.
  this.timeout(480_000);
  let api: ApiServer | undefined;
  let proxier: ProxierProcess | undefined;
  let prometheus: PrometheusServer | undefined;
  let ctx: AlertCheckContext;
  let proxierEnv: Record<string, string> = {};
  const timings: AlertTimings = {};
  const syncLog = new SyncLog((line) => console.log(`    [proxier] ${line}`));
  let failed = false;

  before(async function () {
    const started = Date.now();
    const step = (what: string): void => console.log(`    ${what} (${((Date.now() - started) / 1000).toFixed(1)} s into the setup)`);
    // The Node's InternalIP (e2e/examples/node.yaml) on the node, as on a real node.
    setupNodeNetwork({ pods: [], clients: [] });
    api = new ApiServer({ port: 0 });
    const master = await api.listen();
    for (const file of EXAMPLES) await loadObjectsFile(api.registry, file);
    step('stand-in API server up with e2e/examples');

    const { stdout: manifests } = await exec(
      `${REPO}e2e/helm`,
      ['template', 'ipvs-proxier', `${REPO}charts/ipvs-proxier`, '-f', VALUES, '--set', `master=${master}`, '--set', 'clusterCIDR=10.244.0.0/16'],
      { maxBuffer: 16 << 20 },
    );
    const ruleFile = ruleFileFromManifests(manifests);
    const cmd = proxierCommandFromManifests(manifests, NODE);
    proxierEnv = cmd.env;
    step(`chart rendered; the DaemonSet runs: ${[...cmd.command, ...cmd.args].join(' ')} (env ${JSON.stringify(cmd.env)})`);

    const values = parse(await readFile(VALUES, 'utf8')) as { serviceMonitor: { jobName: string } };
    proxier = new ProxierProcess(cmd, REPO, (line) => syncLog.add(line));
    await proxier.start(240_000);
    step('proxier synced (/healthz 200)');
    // Only now: Prometheus's first scrape then already holds the first sync in the duration histogram, so
    // rate() does not count it. A first sync slower than syncLatency.p99Seconds (it reads and adopts the whole
    // kernel; seconds in the emulated VM) would otherwise keep IpvsProxierSyncLatencyHigh firing for 5m.
    prometheus = await PrometheusServer.start({
      ruleFile,
      job: values.serviceMonitor.jobName,
      targets: [connectAddress(cmd.metricsBindAddress)],
      // What the chart's ServiceMonitor adds (relabeled from the pod's node name).
      targetLabels: { node: NODE },
    });
    step(`prometheus ready at ${prometheus.url}`);
    const running = proxier;
    ctx = {
      prometheus,
      cluster: restClusterWriter(master),
      proxier: { stop: async () => running.freeze(), start: async () => running.thaw() },
      // With the time, to match the proxier's log ("slower than" syncs in the summary) to the steps.
      log: (l) => console.log(`${l} [${new Date().toISOString().slice(11, 23)}]`),
    };
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    const rows = Object.entries(timings);
    if (rows.length > 0) console.log(`\n    alert timings:\n${rows.map(([k, ms]) => `      ${(ms / 1000).toFixed(1).padStart(6)} s  ${k}`).join('\n')}`);
    console.log(`    proxier syncs: ${syncLog.summary()}`);
    if (failed && prometheus) console.log(`    prometheus's last log lines:\n${prometheus.logTail()}`);
    await prometheus?.stop();
    await proxier?.stop();
    // What `ipvs-proxier --cleanup` does, in-process (the command would load its modules for half a minute),
    // with iptables on the backend the proxier used.
    const engine = await openKernelEngine({ iptables: new CommandIptablesRunner({ backend: backendFromEnv(proxierEnv) }) });
    try {
      const report = await engine.cleanup(DUMMY_INTERFACE);
      if (report.failures.length > 0) console.log(`    cleanup: ${report.failures.length} operations failed: ${report.failures[0]!.error.message}`);
    } finally {
      engine.close();
    }
    await api?.close();
    teardownNodeNetwork();
  });

  // The checks in e2e/monitoring/alert-checks.ts, in their order: healthy (20 s, nothing fires); xtables
  // lock held under a queued change (SyncStale, SyncErrors, SyncLatencyHigh fire; on release SyncStale
  // resolves and NetworkProgrammingLatencyHigh fires); proxier frozen with SIGSTOP (TargetDown and Down
  // fire; SIGCONT resolves them).
  it('fires none of its alerts while healthy, and each alert on its failure, resolving SyncStale, TargetDown and Down once repaired', async function () {
    Object.assign(timings, await checkAlertsFireAndResolve(ctx));
  });
});
