// Metrics under kube-proxy's names (pkg/proxy/metrics), so existing dashboards, the kubernetes-mixin
// alerts (KubeProxyDown, sync latency) and recording rules work unchanged, plus our own under
// ipvs_proxier_. Everything lives in one Registry instance: no global prom-client state.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets, linearBuckets } from 'prom-client';

export interface ProxierMetrics {
  registry: Registry;
  syncDuration: Histogram;
  networkProgrammingDuration: Histogram;
  lastSyncTimestamp: Gauge;
  lastQueuedTimestamp: Gauge;
  endpointChangesPending: Gauge;
  endpointChangesTotal: Counter;
  serviceChangesPending: Gauge;
  serviceChangesTotal: Counter;
  noLocalEndpointsTotal: Gauge<'traffic_policy' | 'ip_family'>;
  healthzTotal: Counter<'code'>;
  livezTotal: Counter<'code'>;
  kernelOperationsPerSync: Histogram;
  kernelOperationsTotal: Counter<'kind'>;
  driftRepairedTotal: Counter<'kind'>;
  syncErrorsTotal: Counter;
}

/** kube-proxy's network programming buckets: 0.25 s steps to 0.5 s, 1 s steps to 59 s, then coarser. */
function networkProgrammingBuckets(): number[] {
  return [...linearBuckets(0.25, 0.25, 2), ...linearBuckets(1, 1, 59), ...linearBuckets(60, 5, 12), ...linearBuckets(120, 30, 7)];
}

/**
 * `processMetrics`: also the process's own (`process_resident_memory_bytes`, `process_cpu_seconds_total`,
 * `nodejs_heap_size_used_bytes`, ...), as kube-proxy exposes Go's process and runtime metrics. Only for the
 * running proxier: they watch GC and the event loop, which a test's many instances need not.
 */
export function createProxierMetrics(o: { processMetrics?: boolean } = {}): ProxierMetrics {
  const registry = new Registry();
  if (o.processMetrics) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    syncDuration: new Histogram({
      name: 'kubeproxy_sync_proxy_rules_duration_seconds',
      help: 'SyncProxyRules latency in seconds',
      buckets: exponentialBuckets(0.001, 2, 15),
      registers: r,
    }),
    networkProgrammingDuration: new Histogram({
      name: 'kubeproxy_network_programming_duration_seconds',
      help: 'In Cluster Network Programming Latency in seconds',
      buckets: networkProgrammingBuckets(),
      registers: r,
    }),
    lastSyncTimestamp: new Gauge({
      name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
      help: 'The last time proxy rules were successfully synced',
      registers: r,
    }),
    lastQueuedTimestamp: new Gauge({
      name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds',
      help: 'The last time a sync of proxy rules was queued',
      registers: r,
    }),
    endpointChangesPending: new Gauge({
      name: 'kubeproxy_sync_proxy_rules_endpoint_changes_pending',
      help: 'Pending proxy rules Endpoint changes',
      registers: r,
    }),
    endpointChangesTotal: new Counter({
      name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total',
      help: 'Cumulative proxy rules Endpoint changes',
      registers: r,
    }),
    serviceChangesPending: new Gauge({
      name: 'kubeproxy_sync_proxy_rules_service_changes_pending',
      help: 'Pending proxy rules Service changes',
      registers: r,
    }),
    serviceChangesTotal: new Counter({
      name: 'kubeproxy_sync_proxy_rules_service_changes_total',
      help: 'Cumulative proxy rules Service changes',
      registers: r,
    }),
    noLocalEndpointsTotal: new Gauge({
      name: 'kubeproxy_sync_proxy_rules_no_local_endpoints_total',
      help: 'Number of services with a Local traffic policy and no endpoints',
      labelNames: ['traffic_policy', 'ip_family'],
      registers: r,
    }),
    healthzTotal: new Counter({
      name: 'kubeproxy_proxy_healthz_total',
      help: 'Cumulative proxy healthz HTTP status',
      labelNames: ['code'],
      registers: r,
    }),
    livezTotal: new Counter({
      name: 'kubeproxy_proxy_livez_total',
      help: 'Cumulative proxy livez HTTP status',
      labelNames: ['code'],
      registers: r,
    }),
    kernelOperationsPerSync: new Histogram({
      name: 'ipvs_proxier_kernel_operations_per_sync',
      help: 'Kernel changes (IPVS, ipset, address, iptables operations) applied by one sync',
      buckets: [0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000],
      registers: r,
    }),
    kernelOperationsTotal: new Counter({
      name: 'ipvs_proxier_kernel_operations_total',
      help: 'Kernel changes applied, by kind of operation',
      labelNames: ['kind'],
      registers: r,
    }),
    driftRepairedTotal: new Counter({
      name: 'ipvs_proxier_drift_repaired_total',
      help: 'Kernel objects found changed by someone else on a periodic re-read and put back, by kind',
      labelNames: ['kind'],
      registers: r,
    }),
    syncErrorsTotal: new Counter({
      name: 'ipvs_proxier_sync_errors_total',
      help: 'Syncs that failed (they are retried)',
      registers: r,
    }),
  };
}
