// What every fault suite needs: one NodePort Service over three pods on the node network, the stand-in API
// server, the proxier in-process (test/e2e/proxier/harness.ts), two steady request streams (node ->
// ClusterIP, outside client -> NodePort) whose failures are attributed to each case by time, metric deltas
// by kind, and the one-line JSON result each case prints (collected by the README's Reliability table).
import { ApiServer, type ApiServerOptions } from '../../../e2e/apiserver-src/api-server.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import {
  NODE_IP, inNetns, setupNodeNetwork, startPodServers, steadyStream, type PodServers, type SteadyStream,
} from '../../../e2e/traffic/index.js';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { ProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';
import { metricSum, readySlice } from '../proxier/harness.js';

export const PODS = [
  { name: 'httpd-a', ip: '10.244.1.2' },
  { name: 'httpd-b', ip: '10.244.1.3' },
  { name: 'httpd-c', ip: '10.244.1.4' },
];
export const HTTPD = { name: 'httpd', clusterIP: '10.96.0.50', port: 8080, targetPort: 80, nodePort: 31122 };
export const CLUSTER_URL = `http://${HTTPD.clusterIP}:${HTTPD.port}/`;
export const NODE_PORT_URL = `http://${NODE_IP}:${HTTPD.nodePort}/`;
/** A request every 200 ms per stream: two node processes in the 2-CPU TCG guest next to the proxier. */
const STREAM_INTERVAL_MS = 200;

export interface Svc {
  name: string;
  clusterIP: string;
  port: number;
  targetPort: number;
  nodePort?: number;
  externalIPs?: string[];
}

export function service(s: Svc) {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name: s.name, namespace: 'default' },
    spec: {
      type: s.nodePort ? 'NodePort' : 'ClusterIP', clusterIP: s.clusterIP, selector: { app: s.name },
      ports: [{ name: 'http', port: s.port, targetPort: s.targetPort, ...(s.nodePort ? { nodePort: s.nodePort } : {}) }],
      ...(s.externalIPs ? { externalIPs: s.externalIPs } : {}),
    },
  };
}

/** The Service's one EndpointSlice: every IP ready on node-1 (shared with the proxier suites). */
export const slice = readySlice;

export interface FaultWorld {
  api: ApiServer;
  master: string;
  servers: PodServers;
}

/** The node network with httpd's three pods serving, and an API server holding node-1 and httpd. */
export async function setupFaultWorld(apiOptions: ApiServerOptions = {}): Promise<FaultWorld> {
  const network = setupNodeNetwork({ pods: PODS });
  const servers = await startPodServers(network.pods.map((p) => ({ netns: p.netns, tcpPorts: [80] })));
  const api = new ApiServer({ port: 0, ...apiOptions });
  const master = await api.listen();
  api.registry.create(NODES, {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' },
    status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] },
  });
  api.registry.create(SERVICES, service(HTTPD));
  api.registry.create(ENDPOINT_SLICES, slice(HTTPD, PODS.map((p) => p.ip)));
  return { api, master, servers };
}

/** node -> ClusterIP and outside client -> NodePort, each a steady stream for the whole suite. */
export class Traffic {
  private readonly streams: { name: string; stream: SteadyStream }[];

  constructor(durationMs: number) {
    const options = { intervalMs: STREAM_INTERVAL_MS, durationMs, timeoutMs: 5000 };
    this.streams = [
      { name: 'clusterIP', stream: steadyStream('node', CLUSTER_URL, options) },
      { name: 'nodePort', stream: steadyStream(inNetns('outside-client'), NODE_PORT_URL, options) },
    ];
  }

  async started(): Promise<void> {
    await Promise.all(this.streams.map((s) => s.stream.started));
  }

  /** Requests sent in [from, to] that failed, per stream. */
  droppedBetween(from: number, to: number): Record<string, number> {
    return Object.fromEntries(this.streams.map((s) => [s.name, s.stream.failures.filter((f) => f.at >= from && f.at <= to).length]));
  }

  /** When (ms since the epoch) the requests that failed in [from, to] were sent, every stream's. */
  failureTimes(from: number, to: number): number[] {
    return this.streams.flatMap((s) => s.stream.failures.filter((f) => f.at >= from && f.at <= to).map((f) => f.at)).sort((a, b) => a - b);
  }

  /** Why the requests sent in [from, to] failed: "stream: error" -> count. */
  errorsBetween(from: number, to: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.streams) {
      for (const f of s.stream.failures.filter((x) => x.at >= from && x.at <= to)) {
        const key = `${s.name}: ${f.error}`;
        out[key] = (out[key] ?? 0) + 1;
      }
    }
    return out;
  }

  /** About how many requests each stream sent in [from, to]. */
  static sentBetween(from: number, to: number): number {
    return Math.floor((to - from) / STREAM_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.streams.map((s) => s.stream.stop()));
  }
}

/** A labelled counter's values by its `kind` label. */
export async function byKind(metrics: ProxierMetrics, name: string): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) {
    const kind = String((v.labels as Record<string, unknown>)['kind']);
    out[kind] = (out[kind] ?? 0) + v.value;
  }
  return out;
}

export function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** The counters a case reports, read at its start and at its end. */
export interface Counters {
  operations: Record<string, number>;
  drift: Record<string, number>;
  syncErrors: number;
  syncs: number;
}

export async function readCounters(metrics: ProxierMetrics): Promise<Counters> {
  return {
    operations: await byKind(metrics, 'ipvs_proxier_kernel_operations_total'),
    drift: await byKind(metrics, 'ipvs_proxier_drift_repaired_total'),
    syncErrors: await metricSum(metrics, 'ipvs_proxier_sync_errors_total'),
    syncs: await metricSum(metrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count'),
  };
}

export interface CaseResult {
  case: string;
  dropped: Record<string, number>;
  /** Requests each stream sent during the case (about). */
  sent: number;
  convergeMs: number;
  operations: Record<string, number>;
  drift: Record<string, number>;
  syncErrors: number;
  syncs: number;
  [extra: string]: unknown;
}

/** The case's figures from its counters and the traffic in its window; printed as one JSON line. */
export function caseResult(
  name: string, traffic: Traffic | undefined, window: { from: number; to: number }, convergeMs: number, before: Counters, after: Counters, extra: Record<string, unknown> = {},
): CaseResult {
  const result: CaseResult = {
    case: name,
    dropped: traffic ? traffic.droppedBetween(window.from, window.to) : {},
    ...(traffic && Object.keys(traffic.errorsBetween(window.from, window.to)).length ? { errors: traffic.errorsBetween(window.from, window.to) } : {}),
    sent: traffic ? Traffic.sentBetween(window.from, window.to) : 0,
    convergeMs,
    operations: delta(after.operations, before.operations),
    drift: delta(after.drift, before.drift),
    syncErrors: after.syncErrors - before.syncErrors,
    syncs: after.syncs - before.syncs,
    ...extra,
  };
  console.log(`FAULT-RESULT ${JSON.stringify(result)}`);
  return result;
}

export interface LogEntry {
  at: number;
  level: string;
  message: string;
  [field: string]: unknown;
}

/**
 * A winston logger that keeps every entry (for assertions on what was logged) and, with `echo`, also
 * prints it as JSON lines on stderr as the proxier's own logger does.
 */
export function capturingLogger(level: string, echo: boolean): { logger: winston.Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: { level: string; message: string }, _enc, done) {
      entries.push({ ...info, at: Date.now() });
      done();
    },
  });
  const transports: winston.transport[] = [new winston.transports.Stream({ stream })];
  if (echo) transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'verbose', 'debug', 'silly'] }));
  return { logger: winston.createLogger({ level, format: winston.format.combine(winston.format.timestamp(), winston.format.json()), transports }), entries };
}
