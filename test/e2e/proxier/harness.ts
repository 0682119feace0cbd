// What both proxier e2e suites need: the run command started in-process against the stand-in API server
// (waiting for its first sync), polling, and metric sums.
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { runProxier, type RunDependencies } from '../../../lib/cli/run-command.js';
import type { ProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';
import type { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { teardownNodeNetwork, type PodServers } from '../../../e2e/traffic/index.js';

export interface Running {
  exit: Promise<number>;
  signals: EventEmitter;
  healthz: string;
  metrics: ProxierMetrics;
}

/**
 * `ipvs-proxier` as node-1, in-process; resolves once /healthz says the first sync is done. `options`:
 * run-command dependencies to replace (a logger whose lines the test reads: it replaces the -v 2 stderr
 * logger), and `firstSyncMs`, the bound on the wait for that sync.
 */
export async function startProxier(
  master: string, syncPeriodS: number, extraArgs: readonly string[] = [],
  options: Partial<RunDependencies> & { firstSyncMs?: number } = {},
): Promise<Running> {
  const { firstSyncMs, ...overrides } = options;
  const signals = new EventEmitter();
  let healthz = '';
  let metrics: ProxierMetrics | undefined;
  const exit = runProxier(
    [
      `--master=${master}`, '--hostname-override=node-1', '--cluster-cidr=10.244.0.0/16', `--ipvs-sync-period=${syncPeriodS}s`,
      '--healthz-bind-address=127.0.0.1:0', '--metrics-bind-address=', '-v', '2', ...extraArgs,
    ],
    {
      ...overrides,
      signals,
      onListening: (a: { healthz?: AddressInfo }) => (healthz = `http://127.0.0.1:${a.healthz!.port}`),
      onProxier: (_p, m) => (metrics = m),
    },
  );
  await eventually(async () => {
    if (!healthz) return false;
    return (await fetch(`${healthz}/healthz`)).status === 200;
  }, 'the first sync (/healthz 200)', firstSyncMs);
  return { exit, signals, healthz, metrics: metrics! };
}

/** A Service's one EndpointSlice (`<name>-abc`, port `http`/TCP): every IP ready on node-1. */
export function readySlice(s: { name: string; targetPort: number }, ips: readonly string[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${s.name}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': s.name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: s.targetPort, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' })),
  };
}

export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sum of a metric's samples (a histogram's `_count`/`_sum` by name) that carry these labels. */
export async function metricSum(m: ProxierMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum)$/, '');
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === base);
  return (metric?.values ?? [])
    .filter((v) => ((v as { metricName?: string }).metricName ?? base) === name)
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .reduce((n, v) => n + v.value, 0);
}

/**
 * The end of a proxier suite: the proxier stopped as on SIGTERM, everything it programmed removed
 * (--cleanup), the pods' servers, the API server and the node network gone. Each part may be missing
 * (a before() that failed half-way).
 */
export async function stopProxierSuite(parts: { proxier?: Running; servers?: PodServers; api?: ApiServer }): Promise<void> {
  parts.proxier?.signals.emit('SIGTERM');
  await parts.proxier?.exit;
  await runProxier(['--cleanup']);
  await parts.servers?.stop();
  await parts.api?.close();
  teardownNodeNetwork();
}
