import { expect } from 'chai';
import { createProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';

describe('proxier metrics', () => {
  it("uses kube-proxy's names and the sync duration buckets (0.001 x2, 15 buckets)", async () => {
    const m = createProxierMetrics();
    m.syncDuration.observe(0.003);
    const text = await m.registry.metrics();
    for (const name of [
      'kubeproxy_sync_proxy_rules_duration_seconds',
      'kubeproxy_network_programming_duration_seconds',
      'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
      'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds',
      'kubeproxy_sync_proxy_rules_endpoint_changes_pending',
      'kubeproxy_sync_proxy_rules_endpoint_changes_total',
      'kubeproxy_sync_proxy_rules_service_changes_pending',
      'kubeproxy_sync_proxy_rules_service_changes_total',
    ]) expect(text).to.include(`# TYPE ${name} `);
    const les = [...text.matchAll(/kubeproxy_sync_proxy_rules_duration_seconds_bucket\{le="([^"]+)"\}/g)].map((x) => x[1]);
    expect(les[0]).to.equal('0.001');
    expect(les[14]).to.equal('16.384');
    expect(les).to.have.length(16); // 15 buckets + Inf
  });

  it('keeps registries apart (no global state)', async () => {
    const a = createProxierMetrics();
    const b = createProxierMetrics();
    a.syncErrorsTotal.inc();
    expect(await b.registry.metrics()).to.match(/ipvs_proxier_sync_errors_total 0/);
  });

  it("adds the process's own metrics (memory, CPU, V8 heap) only when asked", async () => {
    const plain = await createProxierMetrics().registry.metrics();
    const withProcess = await createProxierMetrics({ processMetrics: true }).registry.metrics();
    expect(plain).not.to.include('process_resident_memory_bytes');
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(withProcess)?.[1]);
    expect(value('process_resident_memory_bytes')).to.be.greaterThan(1 << 20);
    expect(value('nodejs_heap_size_used_bytes')).to.be.greaterThan(1 << 20);
    expect(value('process_cpu_seconds_total')).to.be.greaterThan(0);
  });
});
