// The healthCheckNodePort servers over real sockets on 127.0.0.1: kube-proxy's answers (status, headers, body),
// opening and closing as the wanted ports change, a taken port logged and retried, never thrown.
import { expect } from 'chai';
import { request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOn, ServiceHealthServers, type ListenFunction } from '../../../lib/health/service-health-servers.js';
import type { HealthCheckPorts } from '../../../lib/proxier/health-check-ports.js';
import { captureLogger } from '../log/capture-logger.js';


interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One GET on a fresh connection; rejects with the socket error (its code: ECONNREFUSED ...). */
function get(host: string, port: number, path = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}:${port}${path}: no answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function refused(host: string, port: number): Promise<string> {
  try {
    const a = await get(host, port);
    return `answered ${a.status}`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** Picks a free port for each wanted port (the wanted number is the key, the kernel chooses the socket's). */
const anyPort: ListenFunction = (server, _port, host) => listenOn(server, 0, host);

function setup(listen: ListenFunction = anyPort) {
  const { log, entries } = captureLogger();
  const state = { healthy: true };
  const servers = new ServiceHealthServers({ log, proxierHealthy: () => state.healthy, listen });
  /** Where wanted port `port` listens (first address). */
  const portOf = (port: number): number => {
    const addrs = servers.listening().get(port);
    if (!addrs || addrs.length === 0) throw new Error(`health check port ${port} is not open`);
    return addrs[0]!.port;
  };
  return { servers, entries, state, portOf };
}

function ports(...entries: [number, string, number][]): HealthCheckPorts {
  return new Map(entries.map(([port, name, localEndpoints]) => [port, { namespace: 'default', name, localEndpoints }]));
}

function listenOnRandomPort(host: string): Promise<Server> {
  const blocker = createServer((_req, res) => res.end('someone else'));
  return listenOn(blocker, 0, host).then(() => blocker);
}

function closeIfListening(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

describe('service health servers (kube-proxy ServiceHealthServer)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('answers 503 without local endpoints and 200 with them, on any path, with kube-proxy\'s body and headers', async () => {
    const t = setup();
    cleanups.push(() => t.servers.close());
    await t.servers.reconcile(ports([32100, 'web', 0]), ['127.0.0.1']);
    const p = t.portOf(32100);

    const none = await get('127.0.0.1', p);
    expect(none.status).to.equal(503);
    expect(none.headers['content-type']).to.equal('application/json');
    expect(none.headers['x-content-type-options']).to.equal('nosniff');
    expect(JSON.parse(none.body)).to.deep.equal({ service: { namespace: 'default', name: 'web' }, localEndpoints: 0, serviceProxyHealthy: true });

    await t.servers.reconcile(ports([32100, 'web', 2]), ['127.0.0.1']);
    expect(t.portOf(32100)).to.equal(p); // updated in place, not reopened
    const two = await get('127.0.0.1', p, '/anything?x=1');
    expect(two.status).to.equal(200);
    // Byte for byte what kube-proxy's dedented template prints: tab indents, no trailing newline.
    expect(two.body).to.equal(
      '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "web"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}',
    );

    await t.servers.reconcile(ports([32100, 'web', 0]), ['127.0.0.1']);
    expect((await get('127.0.0.1', p)).status).to.equal(503);
  });

  it('an unhealthy proxier answers 503 even with local endpoints (serviceProxyHealthy false)', async () => {
    const t = setup();
    cleanups.push(() => t.servers.close());
    await t.servers.reconcile(ports([32100, 'web', 3]), ['127.0.0.1']);
    t.state.healthy = false;
    const a = await get('127.0.0.1', t.portOf(32100));
    expect(a.status).to.equal(503);
    expect(JSON.parse(a.body)).to.deep.equal({ service: { namespace: 'default', name: 'web' }, localEndpoints: 3, serviceProxyHealthy: false });
    t.state.healthy = true;
    expect((await get('127.0.0.1', t.portOf(32100))).status).to.equal(200);
  });

  it('opens one server per port and closes a port when its Service goes: connection refused after', async () => {
    const t = setup();
    cleanups.push(() => t.servers.close());
    await t.servers.reconcile(ports([32100, 'a', 1], [32101, 'b', 0]), ['127.0.0.1']);
    const [pa, pb] = [t.portOf(32100), t.portOf(32101)];
    expect(JSON.parse((await get('127.0.0.1', pa)).body).service.name).to.equal('a');
    expect(JSON.parse((await get('127.0.0.1', pb)).body).service.name).to.equal('b');

    await t.servers.reconcile(ports([32101, 'b', 1]), ['127.0.0.1']);
    expect([...t.servers.listening().keys()]).to.deep.equal([32101]);
    expect(await refused('127.0.0.1', pa)).to.equal('ECONNREFUSED');
    expect((await get('127.0.0.1', pb)).status).to.equal(200);

    await t.servers.reconcile(new Map(), ['127.0.0.1']);
    expect(t.servers.listening().size).to.equal(0);
    expect(await refused('127.0.0.1', pb)).to.equal('ECONNREFUSED');
  });

  it('a port another process holds is logged for that Service (namespace/name, port, errno), not thrown, and retried', async () => {
    const blocker = await listenOnRandomPort('127.0.0.1');
    cleanups.push(() => closeIfListening(blocker));
    const taken = (blocker.address() as AddressInfo).port;
    // The real listen, on the real port number: the wanted port is the socket's port here.
    const t = setup(listenOn);
    cleanups.push(() => t.servers.close());

    await t.servers.reconcile(ports([taken, 'web', 1]), ['127.0.0.1']);
    expect(t.servers.listening().size).to.equal(0);
    const errors = () => t.entries.filter((e) => e.level === 'error');
    expect(errors()).to.have.length(1);
    expect(errors()[0]).to.include({ service: 'default/web', port: taken, address: '127.0.0.1', errno: 'EADDRINUSE' });
    expect((await get('127.0.0.1', taken)).body).to.equal('someone else');

    // Still taken on the next sync: retried, not logged again.
    await t.servers.reconcile(ports([taken, 'web', 1]), ['127.0.0.1']);
    expect(errors()).to.have.length(1);

    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await t.servers.reconcile(ports([taken, 'web', 1]), ['127.0.0.1']);
    expect(t.servers.listening().get(taken)?.map((a) => a.port)).to.deep.equal([taken]);
    const a = await get('127.0.0.1', taken);
    expect(a.status).to.equal(200);
    expect(JSON.parse(a.body).service).to.deep.equal({ namespace: 'default', name: 'web' });
    expect(t.entries.some((e) => e.level === 'info' && e.message.includes('after earlier failures') && e['port'] === taken)).to.equal(true);
  });

  it('one taken port does not stop the other Services\' ports', async () => {
    const blocker = await listenOnRandomPort('127.0.0.1');
    cleanups.push(() => closeIfListening(blocker));
    const taken = (blocker.address() as AddressInfo).port;
    const free = await listenOnRandomPort('127.0.0.1');
    const freePort = (free.address() as AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const t = setup(listenOn);
    cleanups.push(() => t.servers.close());
    await t.servers.reconcile(ports([taken, 'blocked', 1], [freePort, 'fine', 1]), ['127.0.0.1']);
    expect([...t.servers.listening().keys()]).to.deep.equal([freePort]);
    expect((await get('127.0.0.1', freePort)).status).to.equal(200);
  });

  it('when one of several addresses fails, what did open is closed again (no half-open port) and retried later', async () => {
    const t = setup();
    cleanups.push(() => t.servers.close());
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: EADDRNOTAVAIL after 127.0.0.1 opened.
    await t.servers.reconcile(ports([32100, 'web', 1]), ['127.0.0.1', '192.0.2.1']);
    expect(t.servers.listening().size).to.equal(0);
    const error = t.entries.find((e) => e.level === 'error');
    expect(error).to.include({ service: 'default/web', port: 32100, address: '192.0.2.1', errno: 'EADDRNOTAVAIL' });

    await t.servers.reconcile(ports([32100, 'web', 1]), ['127.0.0.1']);
    expect((await get('127.0.0.1', t.portOf(32100))).status).to.equal(200);
  });

  it('listens on each given address, reopens when the addresses change, and on every address when none are given', async () => {
    const t = setup();
    cleanups.push(() => t.servers.close());
    await t.servers.reconcile(ports([32100, 'web', 1]), ['127.0.0.1', '127.0.0.2']);
    expect(t.servers.listening().get(32100)!.map((a) => a.address)).to.deep.equal(['127.0.0.1', '127.0.0.2']);
    const before = t.portOf(32100);

    await t.servers.reconcile(ports([32100, 'web', 1]), ['127.0.0.2']);
    expect(t.servers.listening().get(32100)!.map((a) => a.address)).to.deep.equal(['127.0.0.2']);
    expect(await refused('127.0.0.1', before)).to.equal('ECONNREFUSED');
    expect((await get('127.0.0.2', t.portOf(32100))).status).to.equal(200);

    await t.servers.reconcile(ports([32100, 'web', 1]), undefined);
    const wildcard = t.servers.listening().get(32100)!;
    expect(wildcard).to.have.length(1);
    expect(['::', '0.0.0.0']).to.include(wildcard[0]!.address);
    expect((await get('127.0.0.1', wildcard[0]!.port)).status).to.equal(200);
  });

  it('a port that moves to another Service answers for the new one', async () => {
    const t = setup();
    cleanups.push(() => t.servers.close());
    await t.servers.reconcile(ports([32100, 'old', 1]), ['127.0.0.1']);
    await t.servers.reconcile(ports([32100, 'new', 0]), ['127.0.0.1']);
    const a = await get('127.0.0.1', t.portOf(32100));
    expect(a.status).to.equal(503);
    expect(JSON.parse(a.body).service.name).to.equal('new');
  });

  it('close() closes every port, including kept-alive probe connections', async () => {
    const t = setup();
    await t.servers.reconcile(ports([32100, 'web', 1], [32101, 'other', 1]), ['127.0.0.1']);
    const [p1, p2] = [t.portOf(32100), t.portOf(32101)];
    // A prober's keep-alive connection stays open across requests; close() must not wait for it.
    const res = await fetch(`http://127.0.0.1:${p1}/`);
    expect(res.status).to.equal(200);
    await res.text();
    const closing = t.servers.close();
    const outcome = await Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting after 3 s'), 3000))]);
    expect(outcome).to.equal('closed');
    expect(t.servers.listening().size).to.equal(0);
    expect(await refused('127.0.0.1', p1)).to.equal('ECONNREFUSED');
    expect(await refused('127.0.0.1', p2)).to.equal('ECONNREFUSED');
  });
});
