// healthCheckNodePort end to end on a real kernel (the e2e VM): the `run` command in-process against the
// stand-in API server, probed with real curl from an outside client on the node's network, as a cloud load
// balancer or MetalLB probes it: 503 while the node has no ready endpoint of the Service, 200 once one is
// local, 503 again when it terminates, connection refused once the Service is gone; a port another process
// holds is logged and taken over on a later sync once freed.
//
//   npm run build && e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/proxier/health-check-node-port.test.js
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import winston from 'winston';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import { NODE_IP, OUTSIDE_CLIENT, runCommand, setupNodeNetwork, teardownNodeNetwork } from '../../../e2e/traffic/index.js';
import { runProxier } from '../../../lib/cli/run-command.js';
import { eventually } from './harness.js';

const SYNC_PERIOD_S = 3;
const CURL_EXIT_CONNECTION_REFUSED = 7;

interface LogEntry {
  level: string;
  message: string;
  [k: string]: unknown;
}

function lbLocal(name: string, nodePort: number, healthCheckNodePort?: number) {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
    spec: {
      type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort }],
      ...(healthCheckNodePort ? { healthCheckNodePort } : {}),
    },
  };
}

interface Ep {
  ip: string;
  node: string;
  ready?: boolean;
  terminating?: boolean;
}

function slice(service: string, endpoints: Ep[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${service}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip], nodeName: e.node,
      conditions: { ready: e.ready ?? true, serving: true, terminating: e.terminating ?? false },
    })),
  };
}

interface Probe {
  /** curl's exit code: 0, or 7 for connection refused. */
  exit: number | null;
  status?: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What a load balancer sees: curl from the outside client to the node IP's port. Asynchronous: the servers
 * under test run in this process, and a synchronous spawn would block the event loop they answer from.
 */
function probe(port: number): Promise<Probe> {
  const argv = ['netns', 'exec', OUTSIDE_CLIENT.name, 'curl', '-sS', '-i', '--max-time', '10', `http://${NODE_IP}:${port}/`];
  return new Promise((resolve) => {
    execFile('ip', argv, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof err.code === 'number' ? err.code : null;
        resolve({ exit: code, headers: {}, body: stderr.trim() || err.message });
        return;
      }
      const [head, ...rest] = stdout.split('\r\n\r\n');
      const lines = head!.split('\r\n');
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ exit: 0, status: Number(lines[0]!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

function json(p: Probe): unknown {
  try {
    return JSON.parse(p.body);
  } catch {
    return `not JSON: ${p.body}`;
  }
}

/** Waits until the probe shows `status` and `localEndpoints`; the last probe is in the timeout's message. */
async function probeUntil(port: number, status: number, localEndpoints: number, what: string): Promise<Probe> {
  let last: Probe | undefined;
  try {
    await eventually(async () => {
      last = await probe(port);
      const body = json(last) as { localEndpoints?: number };
      return last.status === status && body.localEndpoints === localEndpoints;
    }, what, 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last probe: ${JSON.stringify(last)}`);
  }
  return last!;
}

describe('healthCheckNodePort on a real node: probed as a load balancer does', function () {
  this.timeout(300_000);
  let api: ApiServer;
  let master: string;
  const signals = new EventEmitter();
  let exit: Promise<number> | undefined;
  let exited: number | undefined;
  const logs: LogEntry[] = [];
  let blocker: Server | undefined;
  let webPort = 0;

  before(async function () {
    setupNodeNetwork({ pods: [] });
    api = new ApiServer({ port: 0 });
    master = await api.listen();
    api.registry.create(NODES, {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' },
      status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] },
    });
    // No healthCheckNodePort given: the stand-in API server allocates one, as kube-apiserver does.
    const created = api.registry.create(SERVICES, lbLocal('web', 31201)) as unknown as { spec: { healthCheckNodePort?: number } };
    webPort = created.spec.healthCheckNodePort ?? 0;
    expect(webPort, 'allocated healthCheckNodePort').to.be.within(30000, 32767);
    api.registry.create(ENDPOINT_SLICES, slice('web', [{ ip: '10.244.2.2', node: 'node-2' }]));

    const stream = new Writable({ objectMode: true, write: (info: LogEntry, _e, done) => (logs.push(info), done()) });
    const log = winston.createLogger({ level: 'verbose', transports: [new winston.transports.Stream({ stream })] });
    let healthz = '';
    exit = runProxier(
      [`--master=${master}`, '--hostname-override=node-1', '--cluster-cidr=10.244.0.0/16', `--ipvs-sync-period=${SYNC_PERIOD_S}s`,
        '--healthz-bind-address=127.0.0.1:0', '--metrics-bind-address='],
      { signals, log, onListening: (a) => (healthz = `http://127.0.0.1:${a.healthz!.port}`) },
    );
    void exit.then((code) => (exited = code));
    await eventually(async () => healthz !== '' && (await fetch(`${healthz}/healthz`)).status === 200, 'the first sync (/healthz 200)');
  });

  after(async function () {
    await new Promise<void>((resolve) => (blocker?.listening ? blocker.close(() => resolve()) : resolve()));
    signals.emit('SIGTERM');
    await exit;
    await runProxier(['--cleanup']);
    await api?.close();
    teardownNodeNetwork();
  });

  it('answers 503 with localEndpoints 0 while the only endpoint is on another node, with kube-proxy\'s headers', async function () {
    const p = await probeUntil(webPort, 503, 0, 'the health check port answering 503');
    expect(p.headers['content-type']).to.equal('application/json');
    expect(p.headers['x-content-type-options']).to.equal('nosniff');
    expect(json(p)).to.deep.equal({ service: { namespace: 'default', name: 'web' }, localEndpoints: 0, serviceProxyHealthy: true });
  });

  it('answers 200 once an endpoint on this node is ready', async function () {
    api.registry.update(ENDPOINT_SLICES, slice('web', [{ ip: '10.244.2.2', node: 'node-2' }, { ip: '10.244.1.2', node: 'node-1' }]), { name: 'web-abc', namespace: 'default' });
    const p = await probeUntil(webPort, 200, 1, 'the health check port answering 200 with one local endpoint');
    expect(json(p)).to.deep.equal({ service: { namespace: 'default', name: 'web' }, localEndpoints: 1, serviceProxyHealthy: true });
  });

  it('answers 503 again when the local endpoint terminates (load balancers drain the node)', async function () {
    api.registry.update(
      ENDPOINT_SLICES,
      slice('web', [{ ip: '10.244.2.2', node: 'node-2' }, { ip: '10.244.1.2', node: 'node-1', ready: false, terminating: true }]),
      { name: 'web-abc', namespace: 'default' },
    );
    await probeUntil(webPort, 503, 0, 'the health check port answering 503 after the local endpoint left');
  });

  it('refuses connections once the Service is deleted', async function () {
    api.registry.delete(SERVICES, 'default', 'web');
    let last: Probe | undefined;
    await eventually(async () => (last = await probe(webPort)).exit === CURL_EXIT_CONNECTION_REFUSED, `connection refused on ${NODE_IP}:${webPort}`).catch((err: Error) => {
      throw new Error(`${err.message}; last probe: ${JSON.stringify(last)}`);
    });
    // Exit 7 is any failed connect; the node answered at once (RST), it did not time out or lack a route.
    expect(last!.body).to.match(/Connection refused|Couldn't connect to server/);
    expect(last!.body).to.not.match(/No route|timed out/i);
  });

  it('a port another process holds is logged for that Service and served once freed, without disturbing the proxier', async function () {
    const taken = 32000;
    blocker = createServer((_req, res) => res.end('someone else'));
    await new Promise<void>((resolve, reject) => blocker!.once('error', reject).listen(taken, '0.0.0.0', () => resolve()));
    api.registry.create(SERVICES, lbLocal('blocked', 31202, taken));
    api.registry.create(ENDPOINT_SLICES, slice('blocked', [{ ip: '10.244.1.3', node: 'node-1' }]));

    await eventually(
      () => logs.some((e) => e.level === 'error' && e['port'] === taken),
      'the proxier logging that it cannot open the taken port',
    );
    const error = logs.find((e) => e.level === 'error' && e['port'] === taken)!;
    expect(error).to.include({ service: 'default/blocked', port: taken, errno: 'EADDRINUSE' });
    // The rest of the Service is programmed all the same.
    expect(runCommand(['ipvsadm', '-Ln', '-t', `${NODE_IP}:31202`]).stdout).to.contain('10.244.1.3:8080');
    expect((await probe(taken)).body).to.equal('someone else');
    expect(exited, 'the proxier exited').to.equal(undefined);

    await new Promise<void>((resolve) => blocker!.close(() => resolve()));
    // Retried on the next sync (the periodic one at the latest).
    const p = await probeUntil(taken, 200, 1, 'the freed port served by the proxier');
    expect(json(p)).to.deep.equal({ service: { namespace: 'default', name: 'blocked' }, localEndpoints: 1, serviceProxyHealthy: true });
    expect(logs.filter((e) => e.level === 'error' && e['port'] === taken), 'logged once while it lasted').to.have.length(1);
  });
});
