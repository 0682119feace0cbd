import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { createHealthServer, parseBindAddress } from '../../../lib/health/health-server.js';
import { ProxierHealth } from '../../../lib/health/proxier-health.js';
import { createProxierMetrics } from '../../../lib/metrics/proxier-metrics.js';

describe('proxier health (kube-proxy rule)', () => {
  let t = 1_000_000;
  const now = () => t;

  it('is unhealthy until the first sync, then healthy', () => {
    const h = new ProxierHealth(now, 60_000);
    expect(h.status().healthy).to.equal(false);
    h.updated(t);
    expect(h.status().healthy).to.equal(true);
  });

  it('turns unhealthy when a queued change waits longer than the timeout, and recovers on a sync', () => {
    const h = new ProxierHealth(now, 60_000);
    h.updated(t);
    h.queued();
    t += 60_000;
    expect(h.status().healthy).to.equal(true);
    t += 1;
    expect(h.status().healthy).to.equal(false);
    const start = t;
    t += 100;
    h.updated(start);
    expect(h.status().healthy).to.equal(true);
  });

  it('keeps a change queued during a sync pending after that sync', () => {
    const h = new ProxierHealth(now, 1000);
    h.updated(t);
    const syncStart = t;
    t += 10;
    h.queued();
    t += 10;
    h.updated(syncStart);
    t += 1001;
    expect(h.status().healthy).to.equal(false);
  });

  it('serves /healthz and /livez with the JSON body and counts codes', async () => {
    const h = new ProxierHealth(now, 1000);
    const metrics = createProxierMetrics();
    const server = createHealthServer(h, metrics).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    try {
      let res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).to.equal(503);
      h.updated(t);
      res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body)).to.deep.equal(['lastUpdated', 'currentTime', 'nodeEligible']);
      h.setNodeEligible(false);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(503);
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).to.equal(200);
      const text = await metrics.registry.metrics();
      expect(text).to.match(/kubeproxy_proxy_healthz_total\{code="503"\} 2/);
      expect(text).to.match(/kubeproxy_proxy_healthz_total\{code="200"\} 1/);
    } finally {
      server.close();
    }
  });

  it('parses bind addresses', () => {
    expect(parseBindAddress('0.0.0.0:10256')).to.deep.equal({ host: '0.0.0.0', port: 10256 });
    expect(parseBindAddress('[::1]:10249')).to.deep.equal({ host: '::1', port: 10249 });
    expect(() => parseBindAddress('10256')).to.throw(/HOST:PORT/);
  });
});
