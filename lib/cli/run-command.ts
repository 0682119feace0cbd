// `ipvs-proxier` / `ipvs-proxier run`: the long-running proxier. Parses kube-proxy's flags, opens the
// kernel engine (fails fast without IPVS), sets the sysctls, serves /healthz, /livez and /metrics, watches
// Services, EndpointSlices and this Node, and syncs once all three initial lists are in. SIGTERM/SIGINT
// stop it cleanly: the sync in progress finishes, watches close, servers close, exit 0.
// `--cleanup` removes everything we programmed and exits, without talking to the API server.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, release } from 'node:os';
import { KubeConfig, type V1EndpointSlice, type V1Node, type V1Service } from '@kubernetes/client-node';
import type { Engine } from '../engine/engine-api.js';
import { openKernelEngine } from '../engine/engine.js';
import { createHealthServer, createMetricsServer } from '../health/health-server.js';
import { ProxierHealth } from '../health/proxier-health.js';
import { ServiceHealthServers } from '../health/service-health-servers.js';
import { objectKey } from '../kube/change-tracker.js';
import { clusterLists } from '../kube/cluster-lists.js';
import { ResourceWatcher } from '../kube/watcher.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createProxierMetrics, type ProxierMetrics } from '../metrics/proxier-metrics.js';
import { DUMMY_INTERFACE } from '../proxier/desired-state.js';
import { nodeAddresses, nodeFamilies, nodeInternalIPs, osInterfaceAddresses, type InterfaceAddress } from '../proxier/node-addresses.js';
import { Proxier, type NodeFacts } from '../proxier/proxier.js';
import { applySysctls, procSysIo, procSysRoot, proxierSysctls, type SysctlIo } from '../proxier/sysctls.js';
import { systemClock, type Clock } from '../sync/clock.js';
import { formatDuration } from './duration.js';
import { FlagError, parseProxierFlags, type BindAddress, type ConfigFileReport, type ProxierFlags } from './flags.js';
import { tokenFileUsers } from './kubeconfig-token-file.js';
import { errorText } from '../log/error-text.js';

/** Everything that touches the outside world, replaceable in tests. */
export interface RunDependencies {
  openEngine: () => Promise<Engine>;
  clock: Clock;
  hostname: () => string;
  interfaceAddresses: () => InterfaceAddress[];
  sysctls: SysctlIo;
  kernelRelease: string;
  env: NodeJS.ProcessEnv;
  /** Where SIGTERM/SIGINT arrive (process). */
  signals: EventEmitter;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Defaults to a logger at the -v level. */
  log?: Logger;
  /** Called once the servers listen (tests read the ports picked for ":0"). */
  onListening?: (addresses: { healthz?: AddressInfo; metrics?: AddressInfo }) => void;
  /** Called once the proxier exists (tests drive and inspect it). */
  onProxier?: (proxier: Proxier, metrics: ProxierMetrics, health: ProxierHealth) => void;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function defaultDependencies(): RunDependencies {
  return {
    openEngine: () => openKernelEngine(),
    clock: systemClock(),
    hostname,
    interfaceAddresses: () => osInterfaceAddresses(),
    sysctls: procSysIo(procSysRoot(process.env)),
    kernelRelease: release(),
    env: process.env,
    signals: process,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  };
}

/** The command: flags in (after the subcommand; a leading "run" is accepted), exit code out. */
export async function runProxier(argv: string[], overrides: Partial<RunDependencies> = {}): Promise<number> {
  const deps = { ...defaultDependencies(), ...overrides };
  let flags: ProxierFlags;
  let config: ConfigFileReport | undefined;
  try {
    // Flags and --config are read and checked in full here, before anything touches the kernel.
    const parsed = parseProxierFlags(argv, deps.hostname);
    if (parsed.kind === 'help') {
      deps.stdout(parsed.text);
      return EXIT_OK;
    }
    flags = parsed.flags;
    config = parsed.config;
  } catch (err) {
    if (err instanceof FlagError) {
      deps.stderr(`ipvs-proxier: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  const log = deps.log ?? createLogger(flags.verbosity);
  if (config) {
    log.info('configuration file read', { file: config.file, overriddenByFlags: config.overriddenBy });
    for (const warning of config.warnings) log.warn(`--config ${config.file}: ${warning}`);
  }
  try {
    return await (flags.cleanup ? cleanup(deps, log) : serve(flags, deps, log));
  } catch (err) {
    log.error(errorText(err));
    return EXIT_FAILURE;
  }
}

/** The name the brief's dispatcher may use. */
export const runCommand = runProxier;

async function openEngine(deps: RunDependencies): Promise<Engine> {
  try {
    return await deps.openEngine();
  } catch (err) {
    // e.g. GETFAMILY "IPVS": ENOENT (the kernel has no IPVS ...): nothing to retry, say so and exit.
    throw new Error(`cannot open the kernel's IPVS, ipset and rtnetlink interfaces: ${errorText(err)}`);
  }
}

async function cleanup(deps: RunDependencies, log: Logger): Promise<number> {
  const engine = await openEngine(deps);
  try {
    const report = await engine.cleanup(DUMMY_INTERFACE);
    for (const f of report.failures) log.error('cleanup operation failed', { error: errorText(f.error) });
    log.info('cleanup done', { operations: report.operations.length, applied: report.applied, failures: report.failures.length });
    return report.failures.length === 0 ? EXIT_OK : EXIT_FAILURE;
  } finally {
    engine.close();
  }
}

async function serve(flags: ProxierFlags, deps: RunDependencies, log: Logger): Promise<number> {
  const kubeConfig = kubeConfigFor(flags, deps.env);
  const engine = await openEngine(deps);
  const closers: Array<() => Promise<void> | void> = [() => engine.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log.warn('error while stopping', { error: errorText(err) });
      }
    }
  };
  try {
    // After the engine: resolving the IPVS family loads ip_vs, which creates /proc/sys/net/ipv4/vs.
    const changes = await applySysctls(proxierSysctls({ strictARP: flags.strictARP, kernelRelease: deps.kernelRelease }), deps.sysctls);
    for (const c of changes) log.info('sysctl set', { sysctl: c.path.replaceAll('/', '.'), from: c.from, to: c.to });
    await applyIpvsTimeouts(flags, engine, log);

    const metrics = createProxierMetrics({ processMetrics: true });
    const health = new ProxierHealth(() => deps.clock.now(), 2 * flags.syncPeriodMs);
    const listening: { healthz?: AddressInfo; metrics?: AddressInfo } = {};
    if (flags.healthzBindAddress) {
      const server = createHealthServer(health, metrics);
      listening.healthz = await listen(server, flags.healthzBindAddress, '--healthz-bind-address');
      closers.push(() => closeServer(server));
    }
    if (flags.metricsBindAddress) {
      const server = createMetricsServer(metrics);
      listening.metrics = await listen(server, flags.metricsBindAddress, '--metrics-bind-address');
      closers.push(() => closeServer(server));
    }
    deps.onListening?.(listening);

    const serviceHealth = new ServiceHealthServers({ log, proxierHealthy: () => health.status().healthy });
    closers.push(() => serviceHealth.close());

    let fatal: Error | undefined;
    const stopRequested = new EventEmitter();
    const proxier = new Proxier({
      engine, clock: deps.clock, log, metrics, health,
      config: {
        nodeName: flags.hostname, clusterCIDRs: flags.clusterCIDRs, masqueradeAll: flags.masqueradeAll,
        scheduler: flags.scheduler, excludeCIDRs: flags.excludeCIDRs, strictARP: flags.strictARP,
      },
      nodeFacts: nodeFactsReader(flags, deps, log),
      syncPeriodMs: flags.syncPeriodMs,
      minSyncPeriodMs: flags.minSyncPeriodMs,
      onFatal: (err) => {
        fatal ??= err;
        stopRequested.emit('stop');
      },
      // kube-proxy: healthCheckNodePorts listen on the --nodeport-addresses node IPs, on every address when unset.
      serviceHealth: (wanted, facts) => serviceHealth.reconcile(wanted, flags.nodePortAddresses.length > 0 ? facts.nodeIPs : undefined),
    });
    closers.push(() => proxier.stop());
    deps.onProxier?.(proxier, metrics, health);

    const watchers = watchCluster(kubeConfig, flags.hostname, proxier, log);
    closers.push(() => watchers.forEach((w) => w.stop()));

    const stopped = new Promise<string>((resolve) => {
      const onSignal = (name: string) => () => resolve(name);
      const term = onSignal('SIGTERM');
      const int = onSignal('SIGINT');
      deps.signals.once('SIGTERM', term);
      deps.signals.once('SIGINT', int);
      stopRequested.once('stop', () => resolve('fatal error'));
      closers.push(() => {
        deps.signals.off('SIGTERM', term);
        deps.signals.off('SIGINT', int);
      });
    });

    log.info('starting', {
      node: flags.hostname, scheduler: flags.scheduler, syncPeriod: formatDuration(flags.syncPeriodMs),
      minSyncPeriod: formatDuration(flags.minSyncPeriodMs), healthz: addressText(listening.healthz), metrics: addressText(listening.metrics),
    });
    // Never sync from a partial view: a sync before every list is in would delete what the rest needs.
    const listed = Promise.all(watchers.map((w) => w.ready)).then(() => 'listed');
    const first = await Promise.race([listed, stopped]);
    if (first === 'listed') {
      log.info('initial lists complete; syncing');
      proxier.start();
    }
    const why = first === 'listed' ? await stopped : first;
    log.info('stopping', { reason: why });
    await closeAll();
    if (fatal) {
      log.error(fatal.message);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * Services, EndpointSlices (discovery.k8s.io/v1) and this node's Node. kube-proxy's informers skip objects
 * labelled service.kubernetes.io/service-proxy-name (they belong to another proxy); we treat them as absent,
 * so adding the label removes the Service from this node and removing it brings the Service back.
 */
function watchCluster(kubeConfig: KubeConfig, nodeName: string, proxier: Proxier, log: Logger): Array<{ ready: Promise<void>; stop(): void }> {
  const lists = clusterLists(kubeConfig, nodeName, log);
  const services = new ResourceWatcher<V1Service>(
    { kubeConfig, path: '/api/v1/services', list: lists.services, what: 'services', log, key: objectKey },
    { onChange: (key, svc) => proxier.onServiceChange(key, svc && !hasOtherProxy(svc) ? svc : undefined) },
  );
  const slices = new ResourceWatcher<V1EndpointSlice>(
    { kubeConfig, path: '/apis/discovery.k8s.io/v1/endpointslices', list: lists.endpointSlices, what: 'endpointslices', log, key: objectKey },
    { onChange: (key, slice) => proxier.onEndpointSliceChange(key, slice && !hasOtherProxy(slice) ? slice : undefined) },
  );
  const fieldSelector = lists.nodeFieldSelector;
  const node = new ResourceWatcher<V1Node>(
    { kubeConfig, path: '/api/v1/nodes', list: lists.node, fieldSelector, what: 'node', log, key: objectKey },
    { onChange: (_key, obj) => proxier.onNodeChange(obj) },
  );
  services.start();
  slices.start();
  node.start();
  return [services, slices, node];
}

export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';

export function hasOtherProxy(obj: { metadata?: { labels?: Record<string, string> } }): boolean {
  return obj.metadata?.labels?.[SERVICE_PROXY_NAME_LABEL] !== undefined;
}

/** Node IPs and local addresses from the host at every sync; warnings logged once while they last. */
function nodeFactsReader(flags: ProxierFlags, deps: RunDependencies, log: Logger): (node: V1Node | undefined) => NodeFacts {
  let warned = new Set<string>();
  return (node) => {
    const addrs = nodeAddresses(deps.interfaceAddresses(), {
      nodePortAddresses: flags.nodePortAddresses,
      dummyInterface: DUMMY_INTERFACE,
      primaryIPs: nodeInternalIPs(node),
    });
    for (const w of addrs.warnings) if (!warned.has(w)) log.warn(w);
    warned = new Set(addrs.warnings);
    return { nodeIPs: addrs.nodeIPs, localAddresses: addrs.localAddresses, ipFamilies: nodeFamilies(node, flags.clusterCIDRs) };
  };
}

/**
 * --ipvs-tcp-timeout, --ipvs-tcpfin-timeout, --ipvs-udp-timeout, as kube-proxy: set once at start when any
 * is non-zero, in whole seconds (0 keeps the kernel's value, as `ipvsadm --set` does).
 */
async function applyIpvsTimeouts(flags: ProxierFlags, engine: Engine, log: Logger): Promise<void> {
  const wanted = { tcp: Math.floor(flags.tcpTimeoutMs / 1000), tcpFin: Math.floor(flags.tcpFinTimeoutMs / 1000), udp: Math.floor(flags.udpTimeoutMs / 1000) };
  if (wanted.tcp === 0 && wanted.tcpFin === 0 && wanted.udp === 0) return;
  try {
    const now = await engine.setTimeouts(wanted);
    log.info('IPVS timeouts set', { requested: wanted, kernel: now });
  } catch (err) {
    throw new Error(`cannot set the IPVS timeouts (--ipvs-tcp-timeout, --ipvs-tcpfin-timeout, --ipvs-udp-timeout): ${errorText(err)}`);
  }
}

/**
 * --kubeconfig, else the in-cluster service account; --master overrides the server either way (as
 * kube-proxy's BuildConfigFromFlags). An http:// master is allowed (client-node 2 wants skipTLSVerify for it).
 * Users with client-go's `tokenFile` (kubeadm's kube-proxy kubeconfig) get client-node's token file auth.
 */
export function kubeConfigFor(flags: Pick<ProxierFlags, 'kubeconfig' | 'master'>, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new KubeConfig();
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  let server = flags.master;
  if (flags.kubeconfig) {
    kc.loadFromFile(flags.kubeconfig);
    const tokenFiles = tokenFileUsers(readFileSync(flags.kubeconfig, 'utf8'), flags.kubeconfig);
    if (tokenFiles.size > 0) {
      kc.loadFromOptions({
        clusters: kc.clusters,
        users: kc.users.map((u) => {
          const tokenFile = tokenFiles.get(u.name);
          return tokenFile === undefined ? u : { ...u, token: undefined, authProvider: { name: 'tokenFile', config: { tokenFile } } };
        }),
        contexts: kc.contexts,
        currentContext: kc.currentContext,
      });
    }
  } else if (host && port) {
    // Token, CA and namespace files from client-node; the address from `env` (client-node reads process.env).
    kc.loadFromCluster();
    server ??= `${['80', '8080', '8001'].includes(port) ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  } else if (flags.master) {
    kc.loadFromClusterAndUser({ name: 'master', server: flags.master, skipTLSVerify: flags.master.startsWith('http:') }, { name: 'anonymous' });
    return kc;
  } else {
    throw new Error('no --kubeconfig or --master given and not running in a pod (KUBERNETES_SERVICE_HOST is not set)');
  }
  if (server) {
    const to = server;
    const current = kc.getCurrentCluster();
    if (!current) throw new Error(`--kubeconfig ${flags.kubeconfig}: no current cluster to point at ${to}`);
    kc.loadFromOptions({
      clusters: kc.clusters.map((c) => (c.name === current.name ? { ...c, server: to, skipTLSVerify: c.skipTLSVerify || to.startsWith('http:') } : c)),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
  }
  return kc;
}

function listen(server: Server, bind: BindAddress, flag: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`${flag} ${bind.host}:${bind.port}: ${errorText(err)}`)));
    server.listen(bind.port, bind.host, () => resolve(server.address() as AddressInfo));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function addressText(a: AddressInfo | undefined): string {
  if (!a) return 'disabled';
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
