// The alert checks: a real Prometheus scrapes a running proxier and evaluates the chart's rules (rendered
// with alert-test-values.yaml); each check breaks the proxier the way the alert is about and waits for
// Prometheus to say so in /api/v1/alerts, then repairs it and waits for the alert to resolve. What is
// scraped is only "a proxier with a metrics address": started in-process, as a child process or as the
// chart's pod, it is reached through the context below.
import type { ClusterWriter, KubeObject } from './cluster-writer.js';
import { formatAlerts, type Alert, type PrometheusServer } from './prometheus-server.js';
import { XTABLES_LOCK, holdXtablesLock, type HeldLock } from './xtables-lock.js';

/** The chart's alert names (templates/prometheusrule.yaml). */
export const ALERTS = {
  down: 'IpvsProxierDown',
  targetDown: 'IpvsProxierTargetDown',
  syncStale: 'IpvsProxierSyncStale',
  syncLatency: 'IpvsProxierSyncLatencyHigh',
  networkProgrammingLatency: 'IpvsProxierNetworkProgrammingLatencyHigh',
  syncErrors: 'IpvsProxierSyncErrors',
} as const;

/** The series the rules read: all must be scraped, or the healthy check would pass for nothing. */
const RULE_SERIES = [
  'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
  'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds',
  'kubeproxy_sync_proxy_rules_duration_seconds_bucket',
  'kubeproxy_network_programming_duration_seconds_bucket',
  'ipvs_proxier_sync_errors_total',
];

export interface AlertCheckContext {
  /** Started with the chart's rules, scraping the proxier (job = the rules' job label). */
  prometheus: PrometheusServer;
  /** The API server the proxier watches. */
  cluster: ClusterWriter;
  /**
   * Make the proxier's metrics address stop answering and answer again: stop/start the process or pod, or
   * freeze/thaw it (SIGSTOP/SIGCONT, podman pause/unpause). Omit to skip the down alerts.
   */
  proxier?: { stop(): Promise<void>; start(): Promise<void> };
  /** The lock file the proxier's iptables-restore takes (default /run/xtables.lock). */
  xtablesLock?: string;
  /** How long "healthy" must hold with no alert firing; default 20 s. */
  healthyWindowMs?: number;
  /** Bound of each wait for an alert to fire or resolve; default 90 s. */
  alertTimeoutMs?: number;
  /** Progress and timings; default console.log. */
  log?: (line: string) => void;
}

/** Step -> milliseconds, e.g. "IpvsProxierSyncStale firing after the change" -> 16800. */
export type AlertTimings = Record<string, number>;

/**
 * All checks in order: healthy, stalled syncs, proxier down (when ctx.proxier is given). Stalled syncs come
 * before down: a proxier frozen mid-sync records that sync as slow as the freeze was long, which would fire
 * IpvsProxierSyncLatencyHigh for its 5m window before the lock could.
 */
export async function checkAlertsFireAndResolve(ctx: AlertCheckContext): Promise<AlertTimings> {
  await checkHealthyNoAlerts(ctx);
  const stalled = await checkStalledSyncAlerts(ctx);
  const down = ctx.proxier ? await checkProxierDownAlerts(ctx) : {};
  return { ...stalled, ...down };
}

/**
 * The proxier is scraped and has synced, every rule evaluates without error, no rule's `for` is longer
 * than the checks wait, and over ctx.healthyWindowMs no alert fires. Start Prometheus once the proxier has
 * synced (/healthz 200): a first sync slower than syncLatency.p99Seconds that Prometheus sees happen keeps
 * IpvsProxierSyncLatencyHigh firing for its 5m rate window.
 */
export async function checkHealthyNoAlerts(ctx: AlertCheckContext): Promise<void> {
  const { prometheus } = ctx;
  const log = ctx.log ?? console.log;
  const timeout = ctx.alertTimeoutMs ?? 90_000;
  const job = prometheus.job;

  await until(async () => (await prometheus.query(`up{job="${job}"} == 1`)).length > 0, `a successful scrape of job ${job} (up == 1)`, timeout, async () =>
    JSON.stringify(await prometheus.query(`up`)),
  );
  await until(
    async () => (await prometheus.query(`kubeproxy_sync_proxy_rules_last_timestamp_seconds{job="${job}"} > 0`)).length > 0,
    'a successful sync in the scraped metrics', timeout,
    async () => JSON.stringify(await prometheus.query(`kubeproxy_sync_proxy_rules_last_timestamp_seconds`)),
  );
  for (const name of RULE_SERIES) {
    await until(async () => (await prometheus.query(`${name}{job="${job}"}`)).length > 0, `${name}{job="${job}"} (the rules reading it could never fire without it)`, timeout, async () =>
      JSON.stringify(await prometheus.query(`up`)),
    );
  }
  await until(async () => (await prometheus.rules()).every((r) => r.health === 'ok'), 'every rule evaluated with health ok', timeout, async () =>
    (await prometheus.rules()).map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`).join('; '),
  );
  const rules = await prometheus.rules();
  for (const alert of Object.values(ALERTS)) {
    const rule = rules.find((r) => r.name === alert);
    if (!rule) throw new Error(`the rendered rules have no alert ${alert} (loaded: ${rules.map((r) => r.name).join(', ')})`);
    if ((rule.duration ?? 0) * 1000 >= timeout) {
      throw new Error(`${alert} has for: ${rule.duration}s, longer than the checks wait (${timeout} ms): render the chart with e2e/monitoring/alert-test-values.yaml`);
    }
  }

  const window = ctx.healthyWindowMs ?? 20_000;
  const start = Date.now();
  const firing = new Map<string, Alert>();
  const pending = new Set<string>();
  let polls = 0;
  while (Date.now() - start < window) {
    for (const a of await prometheus.alerts()) {
      const name = a.labels['alertname']!;
      if (a.state === 'firing') firing.set(name, a);
      else pending.add(name);
    }
    polls++;
    await sleep(1000);
  }
  log(`    healthy for ${Date.now() - start} ms: ${polls} polls of /api/v1/alerts, firing: ${[...firing.keys()].join(', ') || 'none'}, pending at some point: ${[...pending].join(', ') || 'none'}`);
  if (firing.size > 0) {
    const busy = firing.has(ALERTS.syncLatency) || firing.has(ALERTS.targetDown)
      ? '\n(SyncLatencyHigh or TargetDown on a healthy proxier: a sync slower than 4.096 s, or a scrape slower than its timeout; is the machine overloaded?)'
      : '';
    throw new Error(`alerts fired while the proxier was healthy:\n${formatAlerts([...firing.values()])}${busy}`);
  }
}

/** A proxier that answers no scrape fires TargetDown (its target) and Down (no proxier up); once back, both resolve. */
export async function checkProxierDownAlerts(ctx: AlertCheckContext): Promise<AlertTimings> {
  const { prometheus } = ctx;
  const proxier = ctx.proxier;
  if (!proxier) throw new Error('checkProxierDownAlerts needs ctx.proxier');
  const log = ctx.log ?? console.log;
  const timeout = ctx.alertTimeoutMs ?? 90_000;
  const timings: AlertTimings = {};
  const names = [ALERTS.targetDown, ALERTS.down];

  const stoppedAt = Date.now();
  await proxier.stop();
  log(`    proxier stopped (${Date.now() - stoppedAt} ms)`);
  try {
    await Promise.all(names.map(async (name) => {
      await prometheus.waitForAlert(name, 'firing', timeout, 'up == 0 for the stopped proxier');
      timings[`${name} firing after the proxier stopped`] = Date.now() - stoppedAt;
      log(`    ${name} firing ${seconds(Date.now() - stoppedAt)} after the proxier stopped`);
    }));
  } catch (err) {
    await proxier.start(); // the checks after this one need it
    throw err;
  }

  const startedAt = Date.now();
  await proxier.start();
  log(`    proxier started (${Date.now() - startedAt} ms)`);
  await Promise.all(names.map(async (name) => {
    await prometheus.waitForAlert(name, 'inactive', timeout, 'the restarted proxier should be scraped again');
    timings[`${name} resolved after the proxier started`] = Date.now() - startedAt;
    log(`    ${name} resolved ${seconds(Date.now() - startedAt)} after the proxier started`);
  }));
  return timings;
}

/** A Service with an external IP (and its EndpointSlice): its first one adds iptables rules (KUBE-EXTERNAL-IP). */
export function probeObjects(triggerTime: Date): KubeObject[] {
  const name = 'alert-probe';
  return [
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
      spec: { type: 'ClusterIP', selector: { app: name }, externalIPs: ['192.0.2.10'], ports: [{ name: 'http', protocol: 'TCP', port: 8090, targetPort: 80 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: {
        name: `${name}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': name },
        // What the EndpointSlice controller records: network programming latency is measured from here.
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': triggerTime.toISOString() },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      endpoints: [{ addresses: ['10.244.1.20'], conditions: { ready: true }, nodeName: 'node-1' }],
    },
  ];
}

/**
 * Holds the xtables lock and queues a change that needs an iptables update: every sync then waits for the
 * lock and fails, so SyncStale, SyncErrors and SyncLatencyHigh fire. Releasing the lock lets the next sync
 * through: SyncStale resolves, and the change's late arrival fires NetworkProgrammingLatencyHigh.
 * (SyncErrors and SyncLatencyHigh keep firing afterwards until their 5m rate windows have passed.)
 * Needs a proxier on the legacy iptables backend and a cluster with no Service with external IPs yet.
 */
export async function checkStalledSyncAlerts(ctx: AlertCheckContext): Promise<AlertTimings> {
  const { prometheus, cluster } = ctx;
  const log = ctx.log ?? console.log;
  const timeout = ctx.alertTimeoutMs ?? 90_000;
  const job = prometheus.job;
  const timings: AlertTimings = {};
  const probe = probeObjects(new Date());
  const stallHint = 'is the proxier on the legacy iptables backend (IPVS_PROXIER_IPTABLES=legacy)? iptables-nft ignores the xtables lock';

  await prometheus.waitForAlert(ALERTS.syncStale, 'inactive', timeout, 'before the lock was taken');
  // These resolve only after their 5m windows: if one is already active, the lock could not be what fires it.
  const windowed = new Set<string>([ALERTS.syncErrors, ALERTS.syncLatency, ALERTS.networkProgrammingLatency]);
  const already = (await prometheus.alerts()).filter((a) => windowed.has(a.labels['alertname'] ?? ''));
  if (already.length > 0) throw new Error(`alerts already active before the lock was taken (run this check before anything else slows syncs):\n${formatAlerts(already)}`);
  let lock: HeldLock | undefined = await holdXtablesLock(ctx.xtablesLock ?? XTABLES_LOCK);
  try {
    for (const o of probe) await cluster.create(o);
    const queuedAt = Date.now();
    log(`    xtables lock held; ${probe.map((o) => `${o.kind} ${o.metadata.name}`).join(' and ')} created`);
    await Promise.all([ALERTS.syncStale, ALERTS.syncErrors, ALERTS.syncLatency].map(async (name) => {
      await prometheus.waitForAlert(name, 'firing', timeout, stallHint);
      timings[`${name} firing after the change was queued`] = Date.now() - queuedAt;
      log(`    ${name} firing ${seconds(Date.now() - queuedAt)} after the change was queued under the lock`);
    }));

    const releasedAt = Date.now();
    await lock.release();
    lock = undefined;
    log(`    xtables lock released after ${seconds(releasedAt - queuedAt)}`);
    await Promise.all([
      (async () => {
        await prometheus.waitForAlert(ALERTS.syncStale, 'inactive', timeout, 'the next sync after the release should succeed');
        timings[`${ALERTS.syncStale} resolved after the lock was released`] = Date.now() - releasedAt;
        log(`    ${ALERTS.syncStale} resolved ${seconds(Date.now() - releasedAt)} after the release`);
      })(),
      (async () => {
        await prometheus.waitForAlert(ALERTS.networkProgrammingLatency, 'firing', timeout, 'the queued EndpointSlice change reached the kernel only after the release');
        timings[`${ALERTS.networkProgrammingLatency} firing after the lock was released`] = Date.now() - releasedAt;
        log(`    ${ALERTS.networkProgrammingLatency} firing ${seconds(Date.now() - releasedAt)} after the release`);
      })(),
    ]);
    // Resolved because a sync succeeded after the release, not because the series went away.
    const synced = await prometheus.query(`kubeproxy_sync_proxy_rules_last_timestamp_seconds{job="${job}"} > ${releasedAt / 1000}`);
    if (synced.length === 0) throw new Error(`${ALERTS.syncStale} resolved, but Prometheus has no successful sync after the release`);
    const still = (await prometheus.alerts()).filter((a) => a.state === 'firing');
    log(`    firing now (SyncErrors and SyncLatencyHigh until their 5m windows pass):\n${formatAlerts(still)}`);
  } finally {
    await lock?.release();
    for (const o of [...probe].reverse()) await cluster.delete(o);
  }
  return timings;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs: number, lastSeen: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${await lastSeen()}`);
    await sleep(500);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
