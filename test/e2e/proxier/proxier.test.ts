// The proxier end to end on a real kernel (the e2e VM): the `run` command in-process with the real kernel
// engine, the stand-in API server in-process, pods on a node network (e2e/traffic), real requests.
//
//   npm run build && e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/proxier/*.test.js
import { expect } from 'chai';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import {
  NODE_IP, httpSpread, inNetns, runCommand, setupNodeNetwork, startPodServers, teardownNodeNetwork, type NodeNetwork, type PodServers,
} from '../../../e2e/traffic/index.js';
import { runProxier } from '../../../lib/cli/run-command.js';
import { eventually, metricSum, startProxier, type Running } from './harness.js';
import { snapshot, type KernelSnapshot } from '../netlink/kernel-tools.js';
import { FOREIGN_IPVS, addForeignObjects, removeForeignObjects } from './foreign-objects.js';

const PODS = [
  { name: 'httpd-a', ip: '10.244.1.2' },
  { name: 'httpd-b', ip: '10.244.1.3' },
  { name: 'httpd-c', ip: '10.244.1.4' },
];
const CLUSTER_IP = '10.96.0.50';
const NODE_PORT = 31122;
const SYNC_PERIOD_S = 3;
const SLOW_GUEST = { timeoutMs: 10_000 };

function service() {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpd', namespace: 'default' },
    spec: { type: 'NodePort', clusterIP: CLUSTER_IP, selector: { app: 'httpd' }, ports: [{ name: 'http', port: 8080, targetPort: 80, nodePort: NODE_PORT }] },
  };
}

function slice(ips: string[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'httpd-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'httpd' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' })),
  };
}

/** Real server -> weight, from the "-> 10.244.1.2:80  Masq  1  0  0" lines of `ipvsadm -Ln` for one virtual server. */
function weightsOf(vs: string): Record<string, number> {
  const out = runCommand(['ipvsadm', '-Ln', '-t', vs], { allowFailure: true }).stdout;
  return Object.fromEntries([...out.matchAll(/->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+Masq\s+(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

function realServersOf(vs: string): string[] {
  return Object.keys(weightsOf(vs)).sort();
}

describe('proxier on a real kernel: Services to IPVS, traffic, drift repair, restart adoption, cleanup', function () {
  this.timeout(300_000);
  let api: ApiServer;
  let master: string;
  let network: NodeNetwork;
  let servers: PodServers | undefined;
  let proxier: Running | undefined;
  let nodeBefore: KernelSnapshot;

  before(async function () {
    // The proxier must set net.ipv4.vs.conntrack itself.
    network = setupNodeNetwork({ pods: PODS, kubeProxySysctls: false });
    addForeignObjects();
    nodeBefore = await snapshot();
    servers = await startPodServers(network.pods.map((p) => ({ netns: p.netns, tcpPorts: [80] })));
    api = new ApiServer({ port: 0 });
    master = await api.listen();
    api.registry.create(NODES, {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' },
      status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] },
    });
    api.registry.create(SERVICES, service());
    api.registry.create(ENDPOINT_SLICES, slice(PODS.map((p) => p.ip)));
  });

  after(async function () {
    proxier?.signals.emit('SIGTERM');
    await proxier?.exit;
    await runProxier(['--cleanup']);
    runCommand(['ipvsadm', '--set', '900', '120', '300']); // Linux's defaults, for the suites after this one
    await servers?.stop();
    await api?.close();
    removeForeignObjects();
    teardownNodeNetwork();
  });

  it('programs the Service: node -> ClusterIP and outside -> NodePort reach every pod', async function () {
    proxier = await startProxier(master, SYNC_PERIOD_S, ['--ipvs-tcp-timeout=2h', '--ipvs-udp-timeout=45s']);
    expect(realServersOf(`${CLUSTER_IP}:8080`)).to.deep.equal(['10.244.1.2:80', '10.244.1.3:80', '10.244.1.4:80']);
    expect(runCommand(['cat', '/proc/sys/net/ipv4/vs/conntrack']).stdout.trim()).to.equal('1');
    // --ipvs-tcp-timeout=2h --ipvs-udp-timeout=45s; tcpfin keeps the kernel's 120 s.
    expect(runCommand(['ipvsadm', '-L', '--timeout']).stdout.trim()).to.equal('Timeout (tcp tcpfin udp): 7200 120 45');
    const fromNode = await httpSpread('node', `http://${CLUSTER_IP}:8080/`, 30, SLOW_GUEST);
    expect(fromNode.failures).to.deep.equal([]);
    expect(fromNode.counts).to.deep.equal({ 'httpd-a': 10, 'httpd-b': 10, 'httpd-c': 10 });
    const outside = await httpSpread(inNetns('outside-client'), `http://${NODE_IP}:${NODE_PORT}/`, 30, SLOW_GUEST);
    expect(outside.failures).to.deep.equal([]);
    expect(outside.counts).to.deep.equal({ 'httpd-a': 10, 'httpd-b': 10, 'httpd-c': 10 });
  });

  it('follows an EndpointSlice change: the removed TCP endpoint drains (weight 0, no new connections)', async function () {
    const syncs = await metricSum(proxier!.metrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count');
    api.registry.update(ENDPOINT_SLICES, slice(['10.244.1.2', '10.244.1.3']), { name: 'httpd-abc', namespace: 'default' });
    // Deleted, or (graceful termination: the earlier requests left connections in TIME_WAIT) weight 0.
    await eventually(() => (weightsOf(`${CLUSTER_IP}:8080`)['10.244.1.4:80'] ?? 0) === 0, 'httpd-c gone or draining');
    // The kernel shows the change before the sync has finished (and been counted).
    await eventually(async () => (await metricSum(proxier!.metrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count')) > syncs, 'the sync counted');
    const r = await httpSpread('node', `http://${CLUSTER_IP}:8080/`, 20, SLOW_GUEST);
    expect(r.failures).to.deep.equal([]);
    expect(Object.keys(r.counts).sort()).to.deep.equal(['httpd-a', 'httpd-b']);
  });

  it('repairs a real server deleted with ipvsadm on the next periodic sync and counts it', async function () {
    runCommand(['ipvsadm', '-d', '-t', `${CLUSTER_IP}:8080`, '-r', '10.244.1.3:80']);
    expect(realServersOf(`${CLUSTER_IP}:8080`)).to.not.include('10.244.1.3:80');
    await eventually(() => realServersOf(`${CLUSTER_IP}:8080`).includes('10.244.1.3:80'), 'the periodic sync restores it', 4 * SYNC_PERIOD_S * 1000 + 30_000);
    await eventually(async () => (await metricSum(proxier!.metrics, 'ipvs_proxier_drift_repaired_total', { kind: 'rs-add' })) > 0, 'the repair counted');
    expect(await metricSum(proxier!.metrics, 'ipvs_proxier_drift_repaired_total')).to.equal(1);
  });

  it('after a restart, the first sync adopts everything without a single kernel change', async function () {
    proxier!.signals.emit('SIGTERM');
    expect(await proxier!.exit).to.equal(0);
    proxier = await startProxier(master, SYNC_PERIOD_S, ['--ipvs-tcp-timeout=2h', '--ipvs-udp-timeout=45s']);
    expect(await metricSum(proxier.metrics, 'ipvs_proxier_kernel_operations_per_sync_count')).to.be.at.least(1);
    // The draining real server may have lost its last connection meanwhile: deleting it is the only change allowed.
    const all = await metricSum(proxier.metrics, 'ipvs_proxier_kernel_operations_total');
    const drained = await metricSum(proxier.metrics, 'ipvs_proxier_kernel_operations_total', { kind: 'rs-del' });
    expect(all - drained).to.equal(0);
  });

  it('--cleanup removes the virtual servers, ipsets, chains and kube-ipvs0, and leaves the node as it found it, foreign rules intact', async function () {
    proxier!.signals.emit('SIGTERM');
    expect(await proxier!.exit).to.equal(0);
    proxier = undefined;
    expect(await runProxier(['--cleanup'])).to.equal(0);
    expect(runCommand(['ipvsadm', '-Sn']).stdout.trim().split('\n').sort()).to.deep.equal([...FOREIGN_IPVS].sort());
    expect(runCommand(['ip', 'link', 'show', 'kube-ipvs0'], { allowFailure: true }).stdout).to.equal('');
    expect(runCommand(['ipset', 'list', '-n']).stdout).to.not.match(/KUBE-|IPVS-PROXIER/);
    // ipvsadm -Sn, ipset save, iptables-save and ip6tables-save (counters aside), every address: as before.
    expect(await snapshot()).to.deep.equal(nodeBefore);
  });
});
