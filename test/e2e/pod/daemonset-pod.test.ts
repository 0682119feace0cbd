// The chart's DaemonSet pod on the real kernel: the image built by `npm run image`, loaded by the host's
// podman (e2e/pod/load-image-store, E2E_POD_IMAGE_STORE) into a store the guest's Debian podman reads as a
// node's pre-pulled images, the chart rendered by real Helm, and the DaemonSet's pod template played as
// the Pod of node-1 (podman 4.3 cannot play a DaemonSet; e2e/pod/pod-manifests.ts), with a kubeadm
// kube-proxy ConfigMap (kubeProxyConfigFor below) mounted for --config as the chart does with
// kubeProxyConfig.configMapName. This proves the manifest's least privileges (not privileged: only the
// capabilities it adds, no module loading of its own, the sysctls through the node's /proc/sys/net mount),
// host network, mounts, downward-API env, args and kube-proxy's configuration file work with the image:
// the example Services are programmed into IPVS (with the file's scheduler), ipsets, iptables and kube-ipvs0,
// requests are answered through a ClusterIP and a NodePort, the probes answer as the manifest asks,
// `ipvsadm -Ln` works inside the pod, a real Prometheus scraping the pod fires and resolves the chart's
// alerts, and after the pod is removed the cleanup pod of NOTES.txt leaves the node as it found it.
//
//   npm run build && E2E_POD_IMAGE_STORE=$(e2e/pod/load-image-store "$(npm run --silent image | tail -n 1)" | tail -n 1) \
//     e2e/run-in-vm node_modules/.bin/mocha --timeout 600000 dist/test/e2e/pod/daemonset-pod.test.js
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseDocument, stringify } from 'yaml';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { loadObjectsFile } from '../../../e2e/apiserver-src/object-loader.js';
import { checkHealthyNoAlerts, checkProxierDownAlerts, checkStalledSyncAlerts, type AlertCheckContext, type AlertTimings } from '../../../e2e/monitoring/alert-checks.js';
import { connectAddress } from '../../../e2e/monitoring/chart-proxier-command.js';
import { restClusterWriter } from '../../../e2e/monitoring/cluster-writer.js';
import { PrometheusServer } from '../../../e2e/monitoring/prometheus-server.js';
import { ruleFileFromManifests } from '../../../e2e/monitoring/rule-file.js';
import { EXAMPLE_PODS } from '../../../e2e/examples/example-pods.js';
import { capabilityNames, statusField } from '../../../e2e/pod/capabilities.js';
import { GuestPodman } from '../../../e2e/pod/guest-podman.js';
import { cleanupPodFromNotes, namedPorts, podFromDaemonSet, probeUrl, type ContainerSpec, type PodManifest } from '../../../e2e/pod/pod-manifests.js';
import { NODE_IP, httpSpread, inNetns, setupNodeNetwork, startPodServers, teardownNodeNetwork, type NodeNetwork, type PodServers } from '../../../e2e/traffic/index.js';
import { run, runAsync, snapshot, type KernelSnapshot } from '../netlink/kernel-tools.js';
import { parseKubeProxyConfig } from '../../../lib/cli/kube-proxy-config.js';
import type { ProxierFlags } from '../../../lib/cli/flags.js';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
// Short `for:`, a 5 s sync period and the legacy iptables backend (the stalled-sync check holds the
// xtables lock, which only legacy iptables-restore takes): e2e/monitoring/alert-test-values.yaml.
const ALERT_VALUES = `${REPO}e2e/monitoring/alert-test-values.yaml`;
const EXAMPLES = ['node.yaml', 'httpd.yaml', 'nodeport.yaml'].map((f) => `${REPO}e2e/examples/${f}`);
// The config.conf of kubeadm's kube-proxy ConfigMap; the chart mounts the ConfigMap and runs --config.
const KUBEADM_CONFIG = `${REPO}test/fixtures/kube-proxy/kubeadm-ipvs.conf`;
// The sysctls the proxier sets at start that a freshly booted node has at 0: set back to 0 before the pod
// starts, so that 1 afterwards is the pod's write through its /proc/sys/net mount.
const VS_SYSCTLS = ['net/ipv4/vs/conntrack', 'net/ipv4/vs/expire_nodest_conn', 'net/ipv4/vs/expire_quiescent_template'];
const NODE = 'node-1';
const PODS = EXAMPLE_PODS;
const SLOW_GUEST = { timeoutMs: 10_000, concurrency: 3 };

interface AlertValues {
  ipvs: { syncPeriod: string };
  verbosity: number;
  serviceMonitor: { jobName: string };
}

/**
 * kubeadm's config.conf as an operator with this suite's values edits it: the lc scheduler (visible in
 * ipvsadm -Ln, and not the flags' default rr), the sync period and verbosity of the alert values (the
 * alerts' threshold follows ipvs.syncPeriod), the metrics address spelled out (the suite's Prometheus
 * reads it here), and no clientConnection.kubeconfig: kubeadm's kubeconfig.conf names the service
 * account's token and CA, which podman does not mount; the suite passes --master instead (the stand-in
 * API server's port is picked at start).
 */
function kubeProxyConfigFor(kubeadm: string, values: AlertValues): string {
  const doc = parseDocument(kubeadm);
  doc.setIn(['ipvs', 'scheduler'], 'lc');
  doc.setIn(['ipvs', 'syncPeriod'], values.ipvs.syncPeriod);
  doc.setIn(['logging', 'verbosity'], values.verbosity);
  doc.setIn(['metricsBindAddress'], '127.0.0.1:10249');
  doc.setIn(['clientConnection', 'kubeconfig'], '');
  return doc.toString();
}

/** The kernel modules loaded on the node, by name. */
function loadedModules(): string[] {
  return readFileSync('/proc/modules', 'utf8').split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/** The node's state as every tool shows it, both iptables backends included (the pod uses legacy). */
async function nodeSnapshot(): Promise<KernelSnapshot & { legacy: string[] }> {
  const [state, legacy] = await Promise.all([snapshot(), runAsync('iptables-legacy-save', [])]);
  return { ...state, legacy: legacy.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]$/, '')) };
}

describe('the chart\'s DaemonSet pod (podman) on the real kernel', function () {
  this.timeout(300_000);
  let api: ApiServer | undefined;
  let network: NodeNetwork | undefined;
  let servers: PodServers | undefined;
  let podman: GuestPodman;
  let prometheus: PrometheusServer | undefined;
  let manifests: string;
  let notes: string;
  let pod: PodManifest;
  let container: ContainerSpec;
  let containerName: string;
  let podRunning = false;
  let nodeBefore: KernelSnapshot & { legacy: string[] };
  let clusterIP: string;
  let kubeProxyConfigText: string;
  let fileFlags: Partial<ProxierFlags>;
  let scheduler: string;
  const timings: AlertTimings = {};

  /** What the pod is doing, for failure messages: podman's view, the container's processes, its log. */
  const podLogs = async (): Promise<string> => {
    const ps = await exec('podman', ['ps', '-a', '--format', '{{.Names}} {{.Status}}'], { timeout: 60_000 }).then((r) => r.stdout, (e: Error) => e.message);
    const procs = await podman.exec(containerName, ['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done'], 30_000).catch((e: Error) => e.message);
    // The node's kernel state says how far the proxier got (podman logs has come back empty in the guest).
    const kernel = `ipvsadm -Ln:\n${await runAsync('ipvsadm', ['-Ln']).catch((e: Error) => e.message)}\nsysctls: ${VS_SYSCTLS.map((p) => `${p}=${readFileSync(`/proc/sys/${p}`, 'utf8').trim()}`).join(' ')}`;
    return `podman ps:\n${ps}\nprocesses in ${containerName}:\n${procs}\n${kernel}\nthe pod's log:\n${await podman.logs(containerName)}`;
  };

  /**
   * Waits for the pod's readiness probe to answer 200, failing at once if its container exits. Polls
   * gently: every podman command costs seconds of the emulated guest's CPU (inspecting the container twice
   * a second starved the proxier, which then logged nothing for 5 minutes), so the container's liveness is
   * its process in /proc, and the probe is asked every 2 s.
   */
  const waitReady = async (): Promise<void> => {
    const url = probeUrl(container.readinessProbe, 'readinessProbe', NODE_IP, namedPorts(container));
    const pid = await podman.pid(containerName);
    const died = async (): Promise<Error> => {
      const s = await podman.state(containerName);
      return new Error(`container ${containerName} is ${s.status} (exit ${s.exitCode}) before ${url} answered 200; ${await podLogs()}`);
    };
    const end = Date.now() + 300_000;
    for (;;) {
      if (pid === 0 || !existsSync(`/proc/${pid}`)) throw await died();
      const status = await fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 0);
      if (status === 200) return;
      if (Date.now() > end) throw new Error(`readiness (${url} 200) did not happen within 300 s (last answer: ${status || 'none'}); ${await podLogs()}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };

  before(async function () {
    // Starting the pod takes ~1-2 min in the emulated guest, several times that while other VMs share the
    // host's two cores.
    this.timeout(900_000);
    const store = process.env['E2E_POD_IMAGE_STORE'];
    if (!store) throw new Error('E2E_POD_IMAGE_STORE is not set: build the image (npm run image) and load it with e2e/pod/load-image-store ARCHIVE, which prints the store (e2e/test-all does both)');
    const started = Date.now();
    const since = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;

    const alertValues = parse(await readFile(ALERT_VALUES, 'utf8')) as AlertValues;
    kubeProxyConfigText = kubeProxyConfigFor(await readFile(KUBEADM_CONFIG, 'utf8'), alertValues);
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy' }, data: { 'config.conf': kubeProxyConfigText } };
    const configMapFile = join(tmpdir(), 'kube-proxy.configmap.yaml');
    await writeFile(configMapFile, stringify(configMap));
    fileFlags = parseKubeProxyConfig(kubeProxyConfigText).flags;
    scheduler = fileFlags.scheduler!;
    for (const path of VS_SYSCTLS) await writeFile(`/proc/sys/${path}`, '0\n');
    // As on a node that never ran a virtual server with the file's scheduler: the pod has neither
    // SYS_MODULE nor /lib/modules, so the kernel itself must load ip_vs_<scheduler> when it is asked for.
    try {
      run('modprobe', ['-r', `ip_vs_${scheduler}`]);
    } catch (e) {
      throw new Error(`cannot unload ip_vs_${scheduler} before the pod starts (a virtual server left by an earlier suite?): ${(e as Error).message}\n${run('ipvsadm', ['-Ln'])}`);
    }
    expect(loadedModules(), 'modules before the pod starts').not.to.include(`ip_vs_${scheduler}`);
    // A node whose iptables are legacy (these values) has ip_tables and its nat and filter tables loaded by
    // its own rules, kubelet or CNI plugin. iptables-legacy cannot make the kernel load ip_tables (the
    // tables' sockopts belong to it), and the pod, without SYS_MODULE and /lib/modules, cannot run modprobe:
    // measured here, without it no sync of the pod completed (IPVS programmed, /healthz 503 for 5 minutes);
    // a container with NET_ADMIN and NET_RAW got "unable to initialize table 'nat'". A fresh e2e guest has
    // not loaded it (iptables-legacy-save lists no table without it and loads nothing). Its nat and filter
    // tables are made too (the kernel makes a table in a namespace on first use), so that the node's state
    // before the pod has them, as a legacy node's has.
    run('modprobe', ['-a', 'ip_tables', 'ip6_tables']);
    for (const table of ['nat', 'filter']) run('iptables-legacy', ['-t', table, '-S']);
    network = setupNodeNetwork({ pods: PODS.map((p) => ({ name: p.name, ip: p.ip })), kubeProxySysctls: false });
    servers = await startPodServers(network.pods.map((p, i) => ({ netns: p.netns, tcpPorts: [PODS[i]!.port] })));
    nodeBefore = await nodeSnapshot();

    api = new ApiServer({ port: 0 });
    const master = await api.listen();
    for (const file of EXAMPLES) await loadObjectsFile(api.registry, file);
    clusterIP = ((await (await fetch(`${master}/api/v1/namespaces/default/services/httpd`)).json()) as { spec: { clusterIP: string } }).spec.clusterIP;

    podman = await GuestPodman.setUp(store);
    const images = await podman.images();
    const image = images.find((n) => n.startsWith('localhost/ipvs-proxier:'));
    if (!image) throw new Error(`the image store ${store} has ${JSON.stringify(images)}, no localhost/ipvs-proxier image`);
    console.log(`    podman sees ${images.join(', ')} (${since()})`);
    const [repository, tag] = [image.slice(0, image.lastIndexOf(':')), image.slice(image.lastIndexOf(':') + 1)];

    const chartArgs = [`${REPO}charts/ipvs-proxier`, '-f', ALERT_VALUES, '--set', `image.repository=${repository}`, '--set', `image.tag=${tag}`,
      '--set', `master=${master}`, '--set', 'clusterCIDR=10.244.0.0/16', '--set', `kubeProxyConfig.configMapName=${configMap.metadata.name}`];
    manifests = (await exec(`${REPO}e2e/helm`, ['template', 'ipvs-proxier', ...chartArgs], { maxBuffer: 16 << 20 })).stdout;
    // NOTES.txt as `helm install` prints it (a client-only dry run: no cluster contacted).
    notes = (JSON.parse((await exec(`${REPO}e2e/helm`, ['install', 'ipvs-proxier', ...chartArgs, '--dry-run=client', '-o', 'json'], { maxBuffer: 16 << 20 })).stdout) as { info: { notes: string } }).info.notes;

    pod = podFromDaemonSet(manifests, NODE);
    container = pod.spec.containers[0]!;
    containerName = `${pod.metadata.name}-${container.name}`;
    const changed = await podman.play(pod, [configMapFile]);
    podRunning = true;
    console.log(`    pod ${pod.metadata.name} started (${since()}); changed for podman 4.3:${changed.map((c) => `\n      ${c}`).join('') || ' nothing'}`);
    await waitReady();
    console.log(`    pod ready: /healthz 200 (${since()})`);
  });

  after(async function () {
    const rows = Object.entries(timings);
    if (rows.length > 0) console.log(`\n    alert timings (the pod scraped by Prometheus):\n${rows.map(([k, ms]) => `      ${(ms / 1000).toFixed(1).padStart(6)} s  ${k}`).join('\n')}`);
    await prometheus?.stop();
    if (podRunning) await podman.removePod(pod.metadata.name).catch((e: Error) => console.log(`    removing the pod: ${e.message}`));
    await servers?.stop();
    await api?.close();
    teardownNodeNetwork();
  });

  it('runs the image with the manifest\'s command and args, $(NODE_NAME) filled from the downward API', async function () {
    // PID 1 of the container is the launcher's exec of node: its argv is what the proxier got.
    const argv = (await podman.exec(containerName, ['cat', '/proc/1/cmdline'])).split('\0').filter(Boolean);
    expect(argv[0]).to.match(/node$/);
    expect(argv).to.include(`--hostname-override=${NODE}`);
    for (const arg of (container.args ?? []).filter((a) => !a.includes('$('))) expect(argv, `argument ${arg}`).to.include(arg);
    expect(await podman.exec(containerName, ['node', '--version'])).to.match(/^v24\./);
  });

  it('runs with kube-proxy\'s ConfigMap: --config names the mounted config.conf, whose scheduler, sync period and verbosity decide', async function () {
    const argv = (await podman.exec(containerName, ['cat', '/proc/1/cmdline'])).split('\0').filter(Boolean);
    const config = argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
    expect(config, 'the --config flag').to.equal('/var/lib/kube-proxy/config.conf');
    expect((await podman.exec(containerName, ['cat', config!])).trim()).to.equal(kubeProxyConfigText.trim());
    // The chart leaves these flags to the file (a flag would win over it).
    for (const flag of ['--ipvs-scheduler', '--ipvs-sync-period', '--ipvs-min-sync-period', '-v', '--metrics-bind-address']) {
      expect(argv.filter((a) => a === flag || a.startsWith(`${flag}=`)), `${flag} left to the file`).to.deep.equal([]);
    }
    expect(scheduler).not.to.equal('rr');
    expect(run('ipvsadm', ['-Ln'])).to.contain(`TCP  ${clusterIP}:8080 ${scheduler}`);
    // Unloaded before the pod started: loaded by the kernel on the pod's request, without SYS_MODULE.
    expect(loadedModules()).to.include(`ip_vs_${scheduler}`);
  });

  it('runs unprivileged: exactly the capabilities the manifest adds, no privilege escalation, its own /proc/sys read-only', async function () {
    const sc = container.securityContext as { privileged?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { add?: string[]; drop?: string[] } };
    expect(sc.privileged, 'securityContext.privileged').to.equal(false);
    expect(sc.capabilities?.drop).to.deep.equal(['ALL']);
    // The legacy iptables backend of these values needs NET_RAW besides NET_ADMIN (values.yaml says why).
    expect(sc.capabilities?.add).to.deep.equal(['NET_ADMIN', 'NET_RAW']);
    const status = await podman.exec(containerName, ['cat', '/proc/1/status']);
    for (const set of ['CapEff', 'CapPrm', 'CapBnd']) {
      expect(capabilityNames(statusField(status, set)), `${set} of the proxier (PID 1)`).to.deep.equal([...sc.capabilities!.add!].sort());
    }
    expect(statusField(status, 'NoNewPrivs'), 'allowPrivilegeEscalation: false').to.equal('1');
    expect((await exec('podman', ['inspect', '--format', '{{.HostConfig.Privileged}}', containerName], { timeout: 60_000 })).stdout.trim()).to.equal('false');
    // What privileged would give and the proxier does without: a writable /proc/sys of its own.
    const write = await podman.exec(containerName, ['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/vs/conntrack']).then(() => 'written', (e: Error) => e.message);
    expect(write).to.contain('Read-only file system');
  });

  it('sets the IPVS sysctls through the node\'s /proc/sys/net, mounted writable (IPVS_PROXIER_PROC_SYS)', async function () {
    expect(container.env).to.deep.include({ name: 'IPVS_PROXIER_PROC_SYS', value: '/host/proc/sys' });
    for (const path of VS_SYSCTLS) expect((await readFile(`/proc/sys/${path}`, 'utf8')).trim(), `${path} on the node (0 before the pod)`).to.equal('1');
  });

  it('answers the liveness and readiness probes as the manifest asks', async function () {
    const ports = namedPorts(container);
    for (const [what, probe] of [['livenessProbe', container.livenessProbe], ['readinessProbe', container.readinessProbe]] as const) {
      const url = probeUrl(probe, what, NODE_IP, ports);
      const res = await fetch(url);
      expect(res.status, `${what} ${url}`).to.equal(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body, `${what} body`).to.have.keys('lastUpdated', 'currentTime', 'nodeEligible');
    }
  });

  it('programs IPVS, the ipsets, iptables (legacy, as configured) and kube-ipvs0 for the example Services', async function () {
    const ipvs = run('ipvsadm', ['-Ln']);
    expect(ipvs).to.contain(`TCP  ${clusterIP}:8080 ${scheduler}`);
    for (const p of PODS.slice(0, 3)) expect(ipvs).to.contain(`-> ${p.ip}:80`);
    expect(ipvs).to.contain(`TCP  ${NODE_IP}:31122 ${scheduler}`);
    expect(run('ipset', ['list', 'KUBE-CLUSTER-IP'])).to.contain(`${clusterIP},tcp:8080`);
    expect(run('ipset', ['list', 'KUBE-NODE-PORT-TCP'])).to.contain('31122');
    const nat = run('iptables-legacy-save', ['-t', 'nat']);
    expect(nat).to.contain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(nat).to.contain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
    expect(run('ip', ['-br', 'addr', 'show', 'kube-ipvs0'])).to.contain(`${clusterIP}/32`);
  });

  it('shows the same virtual servers with ipvsadm -Ln inside the pod', async function () {
    const inside = await podman.exec(containerName, ['ipvsadm', '-Ln']);
    expect(inside).to.contain(`TCP  ${clusterIP}:8080 ${scheduler}`);
    expect(inside.split('\n').filter((l) => l.includes('->') && !l.includes('RemoteAddress')).length, 'real servers seen inside the pod')
      .to.equal(run('ipvsadm', ['-Ln']).split('\n').filter((l) => l.includes('->') && !l.includes('RemoteAddress')).length);
  });

  it('answers requests through the ClusterIP (from the node) and the NodePort (from outside)', async function () {
    const a = await httpSpread('node', `http://${clusterIP}:8080/`, 9, SLOW_GUEST);
    expect(a.ok, JSON.stringify(a.failures)).to.equal(9);
    expect(Object.keys(a.counts).sort()).to.deep.equal(['httpd-1', 'httpd-2', 'httpd-3']);
    const b = await httpSpread(inNetns(network!.clients[0]!.netns), `http://${NODE_IP}:31122/`, 6, SLOW_GUEST);
    expect(b.ok, JSON.stringify(b.failures)).to.equal(6);
    expect(Object.keys(b.counts).sort()).to.deep.equal(['web-1', 'web-2']);
  });

  describe('alerts: a real Prometheus scraping the pod, with the rules of the rendered PrometheusRule', function () {
    let ctx: AlertCheckContext;

    before(async function () {
      const values = parse(await readFile(ALERT_VALUES, 'utf8')) as AlertValues;
      // With kube-proxy's ConfigMap the file decides the metrics address, unless a flag is passed.
      const metricsArg = (container.args ?? []).find((a) => a.startsWith('--metrics-bind-address='))?.slice('--metrics-bind-address='.length)
        ?? (fileFlags.metricsBindAddress && `${fileFlags.metricsBindAddress.host}:${fileFlags.metricsBindAddress.port}`);
      if (!metricsArg) throw new Error(`neither the DaemonSet's args nor the kube-proxy config.conf give a metrics address: ${JSON.stringify(container.args)}`);
      prometheus = await PrometheusServer.start({
        ruleFile: ruleFileFromManifests(manifests),
        job: values.serviceMonitor.jobName,
        targets: [connectAddress(metricsArg)],
        targetLabels: { node: NODE },
      });
      const master = `http://127.0.0.1:${new URL((container.args ?? []).find((a) => a.startsWith('--master='))!.slice('--master='.length)).port}`;
      ctx = {
        prometheus,
        cluster: restClusterWriter(master),
        // A hung pod for Prometheus: `podman pause` freezes the container (cgroup freezer), so scrapes time
        // out; unpausing resumes it as it was (a restart's first sync, a full kernel read, would count as a
        // slow sync for the 5-minute windows of the latency alerts).
        proxier: {
          stop: async () => void (await exec('podman', ['pause', containerName], { timeout: 90_000 })),
          start: async () => void (await exec('podman', ['unpause', containerName], { timeout: 90_000 })),
        },
        log: (l) => console.log(l),
      };
    });

    it('fires none while the pod is healthy', async function () {
      await checkHealthyNoAlerts(ctx);
    });

    it('fires IpvsProxierSyncStale, SyncErrors and SyncLatencyHigh while the node\'s xtables lock stalls the pod\'s syncs, and resolves SyncStale on release', async function () {
      Object.assign(timings, await checkStalledSyncAlerts(ctx));
    });

    // Last: a frozen proxier's interrupted sync counts as a slow one (e2e/monitoring/alert-checks.ts).
    it('fires IpvsProxierTargetDown and IpvsProxierDown while the pod\'s container is frozen, and resolves them once it runs again', async function () {
      Object.assign(timings, await checkProxierDownAlerts(ctx));
    });
  });

  // Mocha runs a suite's own tests before its nested suites: the pod's removal lives in a suite of its own,
  // after the alerts, so that it comes last.
  describe('after the pod', function () {
    it('after the pod is removed, the cleanup pod of NOTES.txt leaves the node as it found it', async function () {
      await podman.removePod(pod.metadata.name);
      podRunning = false;
      // Stopping does not touch the kernel (as kube-proxy): the Services still work until the cleanup.
      expect(run('ipvsadm', ['-Ln'])).to.contain(`TCP  ${clusterIP}:8080 ${scheduler}`);
      // As NOTES.txt tells: its overrides carry the DaemonSet's extraEnv (here IPVS_PROXIER_IPTABLES=legacy),
      // so the cleanup removes the rules from the backend the proxier used.
      const cleanup = cleanupPodFromNotes(notes, NODE);
      await podman.play(cleanup);
      const cleanupContainer = `${cleanup.metadata.name}-${cleanup.spec.containers[0]!.name}`;
      const code = await podman.waitExited(cleanupContainer, 180_000);
      expect(code, await podman.logs(cleanupContainer)).to.equal(0);
      await podman.removePod(cleanup.metadata.name, 5);
      expect(await nodeSnapshot()).to.deep.equal(nodeBefore);
    });
  });
});
