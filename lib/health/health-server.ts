// /healthz and /livez on --healthz-bind-address, as kube-proxy serves them: 200 or 503 with the JSON body
// {"lastUpdated","currentTime","nodeEligible"}. /livez ignores nodeEligible (a draining node is alive).
import { createServer, type Server } from 'node:http';
import type { ProxierMetrics } from '../metrics/proxier-metrics.js';
import type { ProxierHealth } from './proxier-health.js';

export function createHealthServer(health: ProxierHealth, metrics?: ProxierMetrics): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/livez') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const status = health.status();
    // /healthz also fails when the node is no longer eligible, so load balancers drain it.
    const ok = status.healthy && (path === '/livez' || status.body.nodeEligible);
    const code = ok ? 200 : 503;
    (path === '/healthz' ? metrics?.healthzTotal : metrics?.livezTotal)?.inc({ code: String(code) });
    res.writeHead(code, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
    res.end(JSON.stringify(status.body));
  });
}

export function createMetricsServer(metrics: ProxierMetrics): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(String(err)),
    );
  });
}

/** "0.0.0.0:10256" -> { host, port }; "[::]:10256" for IPv6. */
export function parseBindAddress(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(s);
  if (!m) throw new Error(`bind address "${s}" is not HOST:PORT`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`bind address "${s}": port out of range`);
  return { host: m[1]!, port };
}
