// The whole `ipvs-proxier run` command in-process: real client-node informers against the stand-in API
// server (behind a small proxy that can hold back one list), a simulated engine, real HTTP servers.
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import { kubeConfigFor, runProxier, type RunDependencies } from '../../../lib/cli/run-command.js';
import { KernelError } from '../../../lib/kernel/kernel-error.js';
import { systemClock } from '../../../lib/sync/clock.js';
import { captureLogger } from '../log/capture-logger.js';
import { SimulatedEngine } from '../proxier/simulated-engine.js';


/** Polls until the condition holds; the limit is a safety net against hangs, not a performance assertion. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Forwards to the API server; LIST requests for the held path wait until released. */
class HoldingProxy {
  private server: Server | undefined;
  private held: Array<() => void> = [];
  holding: string | undefined;
  /** Every Authorization header seen (the credentials the proxier's client sends). */
  readonly authorizations = new Set<string>();

  constructor(private readonly target: string) {}

  async listen(): Promise<string> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      if (req.headers.authorization) this.authorizations.add(req.headers.authorization);
      const forward = (): void => {
        const upstream = request(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (up: IncomingMessage) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            // A watch response has headers long before its first event: pass them on at once.
            res.flushHeaders();
            up.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        res.on('close', () => upstream.destroy());
        // A held GET has been read to its end already: piping it would never end the upstream request.
        if (req.readableEnded) upstream.end();
        else req.pipe(upstream);
      };
      const url = new URL(req.url ?? '/', 'http://x');
      if (this.holding && url.pathname === this.holding && url.searchParams.get('watch') === null) this.held.push(forward);
      else forward();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get heldCount(): number {
    return this.held.length;
  }

  release(): void {
    this.holding = undefined;
    for (const f of this.held.splice(0)) f();
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

function webService(name: string, clusterIP: string, labels?: Record<string, string>) {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
    spec: { clusterIP, selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
}

function webSlice(service: string, ips: string[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${service}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

const NODE = {
  apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' },
  status: { addresses: [{ type: 'InternalIP', address: '192.168.122.10' }] },
};

function vsKeys(engine: SimulatedEngine): string[] {
  return engine.kernel.virtualServers.map((v) => `${v.protocol} ${v.address}:${v.port} -> ${v.realServers.map((r) => `${r.address}:${r.port}`).join(',')}`);
}

async function get(base: string, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(base + path);
  return { status: r.status, body: await r.text() };
}

describe('ipvs-proxier run (in-process, stand-in API server)', function () {
  this.timeout(20_000);
  let api: ApiServer;
  let proxy: HoldingProxy;
  let master: string;

  beforeEach(async () => {
    api = new ApiServer({ port: 0 });
    const url = await api.listen();
    proxy = new HoldingProxy(url);
    master = await proxy.listen();
  });
  afterEach(async () => {
    await proxy.close();
    await api.close();
  });

  function deps(engine: SimulatedEngine, extra: Partial<RunDependencies> = {}) {
    const { log, entries } = captureLogger();
    const signals = new EventEmitter();
    const listening: { healthz?: string; metrics?: string } = {};
    const sysctlWrites: string[] = [];
    const d: Partial<RunDependencies> = {
      openEngine: async () => engine,
      clock: systemClock(),
      hostname: () => 'node-1',
      interfaceAddresses: () => [{ interface: 'eth0', address: '192.168.122.10' }, { interface: 'lo', address: '127.0.0.1' }],
      sysctls: { read: async () => '0', write: async (p, v) => void sysctlWrites.push(`${p}=${v}`) },
      kernelRelease: '6.1.0-28-amd64',
      env: {},
      signals,
      log,
      stdout: () => {},
      stderr: () => {},
      onListening: (a) => {
        if (a.healthz) listening.healthz = `http://127.0.0.1:${a.healthz.port}`;
        if (a.metrics) listening.metrics = `http://127.0.0.1:${a.metrics.port}`;
      },
      ...extra,
    };
    return { d, entries, signals, listening, sysctlWrites };
  }

  const args = () => [
    `--master=${master}`, '--hostname-override=node-1', '--healthz-bind-address=127.0.0.1:0', '--metrics-bind-address=127.0.0.1:0',
    '--cluster-cidr=10.244.0.0/16',
  ];

  it('waits for all three initial lists, syncs, follows adds/updates/deletes, serves health and metrics, stops on SIGTERM', async () => {
    api.registry.create(NODES, NODE);
    api.registry.create(SERVICES, webService('web', '10.96.0.10'));
    api.registry.create(ENDPOINT_SLICES, webSlice('web', ['10.244.1.1']));
    api.registry.create(SERVICES, webService('other-proxy', '10.96.0.20', { 'service.kubernetes.io/service-proxy-name': 'someone-else' }));
    proxy.holding = '/api/v1/nodes';
    const engine = new SimulatedEngine();
    const { d, signals, listening, sysctlWrites } = deps(engine);
    const exit = runProxier(args(), d);

    await eventually(() => proxy.heldCount > 0 && listening.healthz !== undefined, 'the Node list is requested and health listens');
    // Services and EndpointSlices are listed and watched by now; the Node list is held.
    await eventually(() => api.activeWatches >= 2, 'the Service and EndpointSlice watches');
    await new Promise((r) => setTimeout(r, 200));
    expect(engine.calls, 'no sync before the Node list').to.have.length(0);
    expect((await get(listening.healthz!, '/healthz')).status).to.equal(503);
    expect(sysctlWrites).to.include('net/ipv4/vs/conntrack=1');

    proxy.release();
    await eventually(() => engine.calls.length >= 1, 'the first sync');
    expect(engine.sources()[0]).to.equal('read');
    expect(vsKeys(engine)).to.deep.equal(['tcp 10.96.0.10:80 -> 10.244.1.1:8080']);
    const healthz = await get(listening.healthz!, '/healthz');
    expect(healthz.status).to.equal(200);
    expect(JSON.parse(healthz.body)).to.include({ nodeEligible: true });

    // Adds, updates and deletes reach the trackers through the watches.
    api.registry.create(SERVICES, webService('api', '10.96.0.11'));
    api.registry.create(ENDPOINT_SLICES, webSlice('api', ['10.244.2.1']));
    await eventually(() => vsKeys(engine).includes('tcp 10.96.0.11:80 -> 10.244.2.1:8080'), 'the new Service programmed');
    api.registry.update(ENDPOINT_SLICES, webSlice('web', ['10.244.1.1', '10.244.1.2']), { name: 'web-abc', namespace: 'default' });
    await eventually(() => vsKeys(engine).includes('tcp 10.96.0.10:80 -> 10.244.1.1:8080,10.244.1.2:8080'), 'the endpoint update');
    api.registry.delete(SERVICES, 'default', 'api');
    await eventually(() => !vsKeys(engine).some((k) => k.startsWith('tcp 10.96.0.11:80')), 'the deleted Service removed');
    expect(engine.sources().slice(1).every((s) => s === 'record')).to.equal(true);
    // Labelled for another proxy: never ours, and labelling takes a Service away.
    expect(vsKeys(engine).some((k) => k.includes('10.96.0.20'))).to.equal(false);
    const web = api.registry.get(SERVICES, 'default', 'web');
    api.registry.update(SERVICES, { ...web, metadata: { ...web.metadata, labels: { 'service.kubernetes.io/service-proxy-name': 'x' } } }, { name: 'web', namespace: 'default' });
    await eventually(() => vsKeys(engine).length === 0, 'the relabelled Service removed');

    // The Node being drained by the autoscaler: /healthz fails, /livez does not.
    const node = api.registry.get(NODES, undefined, 'node-1');
    api.registry.update(NODES, { ...node, spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } }, { name: 'node-1' });
    await eventually(async () => JSON.parse((await get(listening.healthz!, '/healthz')).body).nodeEligible === false, 'nodeEligible false');
    expect((await get(listening.healthz!, '/healthz')).status).to.equal(503);
    expect((await get(listening.healthz!, '/livez')).status).to.equal(200);

    const metrics = await get(listening.metrics!, '/metrics');
    expect(metrics.status).to.equal(200);
    expect(metrics.body).to.match(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds \d/m);
    expect(metrics.body).to.match(/^kubeproxy_proxy_healthz_total\{code="503"\} [1-9]/m);

    signals.emit('SIGTERM');
    expect(await exit).to.equal(0);
    expect(engine.closed).to.equal(true);
    await eventually(() => api.activeWatches === 0, 'watches closed');
  });

  it("exits 1 with the kernel's reason when IPVS is missing", async () => {
    const { d, entries } = deps(new SimulatedEngine(), {
      openEngine: () => Promise.reject(new KernelError('GETFAMILY', '"IPVS"', 2, 'the kernel has no IPVS: modprobe ip_vs')),
    });
    expect(await runProxier(args(), d)).to.equal(1);
    const error = entries.find((e) => e.level === 'error');
    expect(error?.message).to.equal('cannot open the kernel\'s IPVS, ipset and rtnetlink interfaces: GETFAMILY "IPVS": ENOENT (the kernel has no IPVS: modprobe ip_vs)');
  });

  it('--ipvs-tcp-timeout / --ipvs-udp-timeout set the kernel once at start, in seconds, leaving tcpfin as it is', async () => {
    api.registry.create(NODES, NODE);
    const engine = new SimulatedEngine();
    const { d, entries, signals } = deps(engine);
    const exit = runProxier([...args(), '--ipvs-tcp-timeout=2h', '--ipvs-udp-timeout=45s'], d);
    await eventually(() => engine.calls.length >= 1, 'the first sync');
    expect(engine.timeouts).to.deep.equal({ tcp: 7200, tcpFin: 120, udp: 45 });
    const set = entries.find((e) => e.message === 'IPVS timeouts set');
    expect(set).to.deep.include({ requested: { tcp: 7200, tcpFin: 0, udp: 45 }, kernel: { tcp: 7200, tcpFin: 120, udp: 45 } });
    signals.emit('SIGTERM');
    expect(await exit).to.equal(0);
  });

  it('without timeout flags the kernel timeouts are not touched', async () => {
    api.registry.create(NODES, NODE);
    const engine = new SimulatedEngine();
    engine.setTimeouts = () => Promise.reject(new Error('setTimeouts must not be called'));
    const { d, signals } = deps(engine);
    const exit = runProxier(args(), d);
    await eventually(() => engine.calls.length >= 1, 'the first sync');
    signals.emit('SIGTERM');
    expect(await exit).to.equal(0);
  });

  it('--cleanup removes what we own and exits without the API server', async () => {
    const engine = new SimulatedEngine();
    api.registry.create(NODES, NODE);
    api.registry.create(SERVICES, webService('web', '10.96.0.10'));
    api.registry.create(ENDPOINT_SLICES, webSlice('web', ['10.244.1.1']));
    const first = deps(engine);
    const exit = runProxier(args(), first.d);
    await eventually(() => engine.kernel.virtualServers.length === 1, 'programmed');
    first.signals.emit('SIGTERM');
    expect(await exit).to.equal(0);

    const { d } = deps(engine);
    expect(await runProxier(['--cleanup', '--master=http://127.0.0.1:1'], d)).to.equal(0);
    expect(engine.kernel.virtualServers).to.deep.equal([]);
    expect(engine.kernel.ipsets).to.deep.equal([]);
    expect(engine.kernel.interface?.exists).to.equal(false);
  });

  it('exits 2 naming the flag on a bad command line, 0 on --help', async () => {
    let err = '';
    let out = '';
    const { d } = deps(new SimulatedEngine(), { stderr: (t) => (err += t), stdout: (t) => (out += t) });
    expect(await runProxier(['--ipvs-sync-period=soon'], d)).to.equal(2);
    expect(err).to.match(/^ipvs-proxier: --ipvs-sync-period: invalid duration "soon"/);
    expect(await runProxier(['--help'], d)).to.equal(0);
    expect(out).to.include('Usage: ipvs-proxier');
  });

  describe('with --config (a kube-proxy ConfigMap as kubeadm ships it: config.conf and kubeconfig.conf)', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'kube-proxy-config-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /**
     * kubeconfig.conf as kubeadm writes it (client-go's tokenFile, here relative), pointing at the stand-in
     * (plain http, which client-node accepts only with insecure-skip-tls-verify).
     */
    function writeKubeProxyConfigMap(config: string): string {
      writeFileSync(join(dir, 'token'), 'service-account-token');
      writeFileSync(
        join(dir, 'kubeconfig.conf'),
        `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: ${master}\n    insecure-skip-tls-verify: true\n  name: default\ncontexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\nusers:\n- name: default\n  user:\n    tokenFile: token\n`,
      );
      const file = join(dir, 'config.conf');
      writeFileSync(file, `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nclientConnection:\n  kubeconfig: ${join(dir, 'kubeconfig.conf')}\n${config}`);
      return file;
    }

    it("runs with the file's settings and credentials, logs its warnings and which flags replaced its values", async () => {
      api.registry.create(NODES, NODE);
      api.registry.create(SERVICES, webService('web', '10.96.0.10'));
      api.registry.create(ENDPOINT_SLICES, webSlice('web', ['10.244.1.1']));
      const file = writeKubeProxyConfigMap(
        'hostnameOverride: node-1\nclusterCIDR: 10.244.0.0/16\nhealthzBindAddress: 127.0.0.1:1\nipvs:\n  scheduler: lc\n  strictARP: true\nconntrack:\n  maxPerCore: 32768\n',
      );
      const engine = new SimulatedEngine();
      const { d, entries, signals, listening, sysctlWrites } = deps(engine);
      const exit = runProxier(['--config', file, '--healthz-bind-address=127.0.0.1:0', '--metrics-bind-address=127.0.0.1:0'], d);
      try {
        await eventually(() => engine.calls.length >= 1, 'the first sync');
      } finally {
        // Stop it whatever happened, so that a failure does not leave it watching.
        signals.emit('SIGTERM');
      }
      expect(await exit).to.equal(0);
      expect(engine.kernel.virtualServers.map((v) => `${v.address}:${v.port} ${v.scheduler}`)).to.deep.equal(['10.96.0.10:80 lc']);
      expect(sysctlWrites).to.include('net/ipv4/conf/all/arp_ignore=1');
      // The flag, not the file's port 1, decided where health listened.
      expect(listening.healthz).to.match(/^http:\/\/127\.0\.0\.1:\d+$/).and.not.match(/:1$/);
      expect([...proxy.authorizations]).to.deep.equal(['Bearer service-account-token']);
      expect(entries.find((e) => e.message === 'configuration file read')).to.deep.include({ file, overriddenByFlags: ['--healthz-bind-address'] });
      expect(entries.filter((e) => e.level === 'warn').map((e) => e.message)).to.include(
        `--config ${file}: conntrack.maxPerCore (32768) is not supported and is ignored: ipvs-proxier does not set nf_conntrack_max (set it on the node)`,
      );
    });

    it('exits 2 on a bad file, naming the field, before it opens the kernel or writes a sysctl', async () => {
      const file = writeKubeProxyConfigMap('ipvs:\n  syncPeriod: "30"\n');
      let stderr = '';
      let opened = false;
      const { d, sysctlWrites } = deps(new SimulatedEngine(), {
        stderr: (t) => (stderr += t),
        openEngine: async () => {
          opened = true;
          return new SimulatedEngine();
        },
      });
      expect(await runProxier(['--config', file], d)).to.equal(2);
      expect(stderr).to.equal(`ipvs-proxier: --config ${file}: ipvs.syncPeriod: invalid duration "30" (Go syntax: 30s, 1m, 500ms, 1h30m)\n`);
      expect(opened).to.equal(false);
      expect(sysctlWrites).to.deep.equal([]);
    });
  });

  it('exits 1 when a server cannot bind, naming the flag, and closes the engine', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const engine = new SimulatedEngine();
      const { d, entries } = deps(engine);
      expect(await runProxier([...args(), `--metrics-bind-address=127.0.0.1:${port}`], d)).to.equal(1);
      expect(entries.find((e) => e.level === 'error')?.message).to.match(/^--metrics-bind-address 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      expect(engine.closed).to.equal(true);
    } finally {
      blocker.close();
    }
  });
});

describe('kubeConfigFor', () => {
  it('--master alone outside a cluster: that server, no credentials, http allowed', () => {
    const kc = kubeConfigFor({ master: 'http://127.0.0.1:8080' }, {});
    expect(kc.getCurrentCluster()).to.include({ server: 'http://127.0.0.1:8080', skipTLSVerify: true });
  });

  it('in a pod: the service account, and --master overrides the server', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(kubeConfigFor({}, env).getCurrentCluster()?.server).to.equal('https://10.96.0.1:443');
    const kc = kubeConfigFor({ master: 'https://192.168.122.2:6443' }, env);
    expect(kc.getCurrentCluster()).to.include({ server: 'https://192.168.122.2:6443', skipTLSVerify: false });
    expect(kc.getCurrentUser()?.authProvider?.name).to.equal('tokenFile');
  });

  it("reads client-go's tokenFile of a kubeconfig user (kubeadm's kube-proxy kubeconfig.conf), relative to the kubeconfig", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
    try {
      writeFileSync(join(dir, 'token'), 'token-from-file');
      const kubeconfig = join(dir, 'kubeconfig.conf');
      writeFileSync(
        kubeconfig,
        'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://192.168.122.10:6443\n  name: default\n' +
          'contexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\n' +
          'users:\n- name: default\n  user:\n    tokenFile: token\n',
      );
      const kc = kubeConfigFor({ kubeconfig }, {});
      expect(kc.getCurrentCluster()?.server).to.equal('https://192.168.122.10:6443');
      const opts: { headers?: Record<string, string> } = {};
      await kc.applyToHTTPSOptions(opts);
      expect(opts.headers?.['Authorization']).to.equal('Bearer token-from-file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to guess without --kubeconfig, --master or a pod environment', () => {
    expect(() => kubeConfigFor({}, {})).to.throw(/KUBERNETES_SERVICE_HOST/);
  });
});
