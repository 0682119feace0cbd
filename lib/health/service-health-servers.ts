// One HTTP server per healthCheckNodePort, as kube-proxy's ServiceHealthServer (pkg/proxy/healthcheck/
// service_health.go): load balancers probe it to learn whether this node has ready endpoints of a
// LoadBalancer Service with externalTrafficPolicy: Local. Any path answers 200 when the node has local
// ready endpoints and the proxier is healthy, else 503, with kube-proxy's JSON body and headers.
//
// reconcile() is called after each successful sync with the wanted ports (lib/proxier/health-check-ports.ts):
// servers open and close as Services come and go, counts are updated in place. A port that cannot be
// opened (taken by another process, address gone) is logged as that Service's problem and retried on the
// next reconcile; it never fails the sync.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { HealthCheckPorts, HealthCheckService } from '../proxier/health-check-ports.js';

/** Binds `server` to port (on host; undefined = every address, IPv4 and IPv6). Injected by tests. */
export type ListenFunction = (server: Server, port: number, host: string | undefined) => Promise<void>;

export interface ServiceHealthServersOptions {
  log: Logger;
  /**
   * kube-proxy's serviceProxyHealthy: the proxier's own health (ProxyHealthServer.IsHealthy), which ignores
   * the Node's eligibility. A stale proxier answers 503 even where endpoints exist.
   */
  proxierHealthy: () => boolean;
  listen?: ListenFunction;
}

interface OpenPort {
  /** Read by the request handler at each request; updated in place by reconcile(). */
  service: HealthCheckService;
  /** The addresses it was opened on ("" = all), to reopen when they change. */
  hostsKey: string;
  servers: Server[];
}

export class ServiceHealthServers {
  private readonly open = new Map<number, OpenPort>();
  /** Port -> the last failure logged for it, so a port taken for hours is not logged every sync. */
  private readonly failures = new Map<number, string>();
  private readonly listen: ListenFunction;
  /** reconcile() and close() run one at a time, in call order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: ServiceHealthServersOptions) {
    this.listen = o.listen ?? listenOn;
  }

  /**
   * Makes the open servers match `wanted`. `hosts`: the node addresses to listen on (--nodeport-addresses),
   * or undefined for every address (kube-proxy listens on the wildcard when the flag is unset).
   */
  reconcile(wanted: HealthCheckPorts, hosts: readonly string[] | undefined): Promise<void> {
    return this.enqueue(() => this.apply(wanted, hosts));
  }

  /** Closes every server (shutdown). */
  close(): Promise<void> {
    return this.enqueue(async () => {
      await Promise.all([...this.open.keys()].map((port) => this.closePort(port)));
      this.failures.clear();
    });
  }

  /** Ports open now, with the addresses they listen on (tests; ports picked for 0 by an injected listen). */
  listening(): Map<number, AddressInfo[]> {
    return new Map([...this.open].map(([port, p]) => [port, p.servers.map((s) => s.address() as AddressInfo)]));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async apply(wanted: HealthCheckPorts, hosts: readonly string[] | undefined): Promise<void> {
    const hostsKey = hosts === undefined ? '' : [...hosts].sort().join(',');
    for (const [port, p] of this.open) {
      if (wanted.has(port) && p.hostsKey === hostsKey) continue;
      this.o.log.verbose('closing health check node port', { service: serviceName(p.service), port });
      await this.closePort(port);
    }
    for (const port of this.failures.keys()) if (!wanted.has(port)) this.failures.delete(port);

    for (const [port, service] of wanted) {
      const p = this.open.get(port);
      if (p) {
        if (serviceName(p.service) !== serviceName(service)) {
          this.o.log.verbose('health check node port changed Service', { port, from: serviceName(p.service), to: serviceName(service) });
        }
        p.service = { ...service };
        continue;
      }
      await this.openPort(port, { ...service }, hosts, hostsKey);
    }
  }

  private async openPort(port: number, service: HealthCheckService, hosts: readonly string[] | undefined, hostsKey: string): Promise<void> {
    const entry: OpenPort = { service, hostsKey, servers: [] };
    for (const host of hosts ?? [undefined]) {
      const server = createServer((req, res) => this.answer(entry, req, res));
      try {
        await this.listen(server, port, host);
      } catch (err) {
        // Whatever opened must close, or the retry would find its own half-open port taken.
        await Promise.all(entry.servers.map(closeServer));
        this.failed(port, service, host, err);
        return;
      }
      // After listen, an error on the listening socket is rare (EMFILE on accept): log it, never crash.
      server.on('error', (err) => this.o.log.error('health check node port server error', { service: serviceName(entry.service), port, error: String(err) }));
      entry.servers.push(server);
    }
    this.open.set(port, entry);
    if (this.failures.delete(port)) {
      this.o.log.info('health check node port open after earlier failures', { service: serviceName(service), port, addresses: hosts ?? 'all' });
    } else {
      this.o.log.verbose('opened health check node port', { service: serviceName(service), port, addresses: hosts ?? 'all' });
    }
  }

  private failed(port: number, service: HealthCheckService, host: string | undefined, err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    const errno = e.code ?? (e.errno !== undefined ? String(e.errno) : 'unknown');
    const key = `${serviceName(service)} ${host ?? ''} ${errno}`;
    if (this.failures.get(port) === key) return;
    this.failures.set(port, key);
    this.o.log.error('cannot open health check node port; retrying on the next sync', {
      service: serviceName(service), port, address: host ?? 'all', errno, error: e.message ?? String(err),
    });
  }

  private async closePort(port: number): Promise<void> {
    const p = this.open.get(port);
    if (!p) return;
    this.open.delete(port);
    await Promise.all(p.servers.map(closeServer));
  }

  private answer(entry: OpenPort, _req: IncomingMessage, res: ServerResponse): void {
    const { namespace, name, localEndpoints } = entry.service;
    const healthy = this.o.proxierHealthy();
    res.writeHead(localEndpoints > 0 && healthy ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
    res.end(healthCheckBody({ namespace, name, localEndpoints }, healthy));
  }
}

/**
 * kube-proxy's body, byte for byte: its Go template is dedented to one tab per level with no trailing
 * newline, which is what JSON.stringify writes with a tab indent. Clients parse it as JSON either way.
 */
export function healthCheckBody(service: HealthCheckService, serviceProxyHealthy: boolean): string {
  return JSON.stringify(
    { service: { namespace: service.namespace, name: service.name }, localEndpoints: service.localEndpoints, serviceProxyHealthy },
    null,
    '\t',
  );
}

function serviceName(s: HealthCheckService): string {
  return `${s.namespace}/${s.name}`;
}

/** The default listen: rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL, EACCES) instead of emitting it. */
export function listenOn(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Probes use keep-alive: cut those connections so a deleted Service stops answering at once.
    server.closeAllConnections();
  });
}
