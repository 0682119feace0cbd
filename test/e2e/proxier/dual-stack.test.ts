// Dual stack on a real kernel (the e2e VM): the `run` command in-process against the stand-in API server set up
// as a dual-stack cluster (--service-cluster-ip-range=IPv4,IPv6), Node node-1 with an IPv4 and an IPv6 InternalIP,
// two dual-stack pods, and a PreferDualStack NodePort Service with one IPv4 and one IPv6 EndpointSlice (what the
// EndpointSlice controller writes for it). Checked with what kube-proxy leaves for IPv6 (IPVS virtual servers on
// [fd00:...], the KUBE-6-* ipsets, ip6tables nat rules, the /128 on kube-ipvs0) and real IPv4 and IPv6 requests
// from the node, from a pod and from an outside client.
//
//   npm run build && e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/proxier/dual-stack.test.js
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import {
  NODE_IP, NODE_IP6, OUTSIDE_CLIENT, POD_GATEWAY6, httpSpread, inNetns, runCommand, setupNodeNetwork, startPodServers, teardownNodeNetwork,
  type PodServers, type SpreadResult, type Vantage,
} from '../../../e2e/traffic/index.js';
import { runProxier } from '../../../lib/cli/run-command.js';
import { snapshot, type KernelSnapshot } from '../netlink/kernel-tools.js';
import { startProxier, stopProxierSuite, type Running } from './harness.js';

const PODS = [
  { name: 'dual-a', ip: '10.244.1.2', ip6: 'fd00:10:244:1::2' },
  { name: 'dual-b', ip: '10.244.1.3', ip6: 'fd00:10:244:1::3' },
];
const POD_NAMES = PODS.map((p) => p.name);
const CLIENT = { ...OUTSIDE_CLIENT, ip6: 'fd00:192:168:122::20' };
const SERVICE_CIDRS = '10.96.0.0/16,fd00:10:96::/108';
const CLUSTER_CIDRS = '10.244.0.0/16,fd00:10:244::/56';
const PORT = 8080;
const NODE_PORT = 31140;
const SYNC_PERIOD_S = 30;
const SLOW_GUEST = { timeoutMs: 10_000 };
/** Sysctls the fixture sets for dual stack (and restores): checked to be back as found. */
const SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding', 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables'];

/** "addr:port" as ipvsadm prints it: IPv6 in brackets. */
const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const url = (ip: string, port: number): string => `http://${hostPort(ip, port)}/`;

const node = {
  apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' },
  spec: { podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] },
  status: { addresses: [{ type: 'InternalIP', address: NODE_IP }, { type: 'InternalIP', address: NODE_IP6 }] },
};

const service = {
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'dual', namespace: 'default' },
  spec: {
    type: 'NodePort', ipFamilyPolicy: 'PreferDualStack', selector: { app: 'dual' },
    ports: [{ name: 'http', port: PORT, targetPort: 80, nodePort: NODE_PORT }],
  },
};

function slice(family: 'IPv4' | 'IPv6') {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `dual-${family.toLowerCase()}`, namespace: 'default', labels: { 'kubernetes.io/service-name': 'dual' } },
    addressType: family,
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: PODS.map((p) => ({ addresses: [family === 'IPv4' ? p.ip : p.ip6], conditions: { ready: true }, nodeName: 'node-1' })),
  };
}

/** Real servers of one TCP virtual server, from `ipvsadm -Ln -t VS` (empty if there is no such VS). */
function realServers(vs: string): string[] {
  const out = runCommand(['ipvsadm', '-Ln', '-t', vs], { allowFailure: true }).stdout;
  return [...out.matchAll(/->\s+(\S+:\d+)\s+Masq\s+\d+/g)].map((m) => m[1]!).sort();
}

/** Every pod answered, in about equal shares (rr over new connections), and nothing failed. */
async function spreadOverPods(from: Vantage, target: string, n = 8): Promise<SpreadResult> {
  const r = await httpSpread(from, target, n, SLOW_GUEST);
  expect(r.failures, `failures of ${target}`).to.deep.equal([]);
  expect(r.ok).to.equal(n);
  expect(Object.keys(r.counts).sort(), `pods answering ${target}`).to.deep.equal(POD_NAMES);
  for (const pod of POD_NAMES) expect(r.counts[pod], `${pod}'s share of ${target}`).to.be.within(n / 2 - 1, n / 2 + 1);
  return r;
}

/** The values of SYSCTLS, or of `only` (those that existed before: br_netfilter's appear once it is loaded). */
function readSysctls(only: readonly string[] = SYSCTLS.filter((k) => existsSync(`/proc/sys/${k}`))): Record<string, string> {
  return Object.fromEntries(only.map((k) => [k, readFileSync(`/proc/sys/${k}`, 'utf8').trim()]));
}

describe('proxier on a real kernel: dual stack (IPv4 + IPv6 ClusterIPs, NodePort on both node addresses)', function () {
  this.timeout(300_000);
  let kernelBefore: KernelSnapshot;
  let sysctlsBefore: Record<string, string>;
  let api: ApiServer | undefined;
  let servers: PodServers | undefined;
  let proxier: Running | undefined;
  let clusterIP = '';
  let clusterIP6 = '';

  before(async function () {
    kernelBefore = await snapshot();
    sysctlsBefore = readSysctls();
    const network = setupNodeNetwork({ pods: PODS, clients: [CLIENT], nodeIp6: NODE_IP6, podGateway6: POD_GATEWAY6 });
    servers = await startPodServers(network.pods.map((p) => ({ netns: p.netns, tcpPorts: [80], ipv6: true })));
    api = new ApiServer({ port: 0, serviceClusterIpRange: SERVICE_CIDRS });
    const master = await api.listen();
    api.registry.create(NODES, node);
    const created = api.registry.create(SERVICES, service) as unknown as { spec: { clusterIPs?: string[]; ipFamilies?: string[] } };
    [clusterIP, clusterIP6] = created.spec.clusterIPs ?? [];
    api.registry.create(ENDPOINT_SLICES, slice('IPv4'));
    api.registry.create(ENDPOINT_SLICES, slice('IPv6'));
    proxier = await startProxier(master, SYNC_PERIOD_S, [`--cluster-cidr=${CLUSTER_CIDRS}`]);
    console.log(`\n--- ipvsadm -Ln\n${runCommand(['ipvsadm', '-Ln']).stdout}`);
  });

  after(async function () {
    await stopProxierSuite({ proxier, servers, api });
  });

  it('the stand-in API server gives the PreferDualStack Service an IPv4 and an IPv6 ClusterIP', function () {
    expect(clusterIP, 'IPv4 ClusterIP').to.match(/^10\.96\.\d+\.\d+$/);
    expect(clusterIP6, 'IPv6 ClusterIP').to.match(/^fd00:10:96::[0-9a-f:]+$/);
  });

  it('IPVS: a virtual server per ClusterIP with the pods of its family, and NodePort ones on both node addresses', function () {
    const v4 = PODS.map((p) => hostPort(p.ip, 80)).sort();
    const v6 = PODS.map((p) => hostPort(p.ip6, 80)).sort();
    expect(realServers(hostPort(clusterIP, PORT)), 'IPv4 ClusterIP').to.deep.equal(v4);
    expect(realServers(hostPort(clusterIP6, PORT)), 'IPv6 ClusterIP').to.deep.equal(v6);
    expect(realServers(hostPort(NODE_IP, NODE_PORT)), 'IPv4 NodePort').to.deep.equal(v4);
    expect(realServers(hostPort(NODE_IP6, NODE_PORT)), 'IPv6 NodePort').to.deep.equal(v6);
    // The listing itself shows the IPv6 virtual server in ipvsadm's bracketed form.
    expect(runCommand(['ipvsadm', '-Ln']).stdout).to.contain(`TCP  ${hostPort(clusterIP6, PORT)} rr`);
  });

  it('kube-ipvs0 holds both ClusterIPs (/32 and /128)', function () {
    expect(runCommand(['ip', '-o', '-4', 'addr', 'show', 'dev', 'kube-ipvs0']).stdout).to.contain(`inet ${clusterIP}/32`);
    expect(runCommand(['ip', '-o', '-6', 'addr', 'show', 'dev', 'kube-ipvs0']).stdout).to.contain(`inet6 ${clusterIP6}/128`);
  });

  it('ipsets: KUBE-6-CLUSTER-IP holds the IPv6 ClusterIP, KUBE-6-NODE-PORT-TCP the NodePort; the IPv4 sets theirs', function () {
    const list = (name: string): string => runCommand(['ipset', 'list', name]).stdout;
    const v6Cluster = list('KUBE-6-CLUSTER-IP');
    expect(v6Cluster).to.match(/Header: family inet6 /);
    expect(v6Cluster).to.contain(`${clusterIP6},tcp:${PORT}`);
    expect(v6Cluster).not.to.contain(clusterIP);
    expect(list('KUBE-6-NODE-PORT-TCP')).to.match(new RegExp(`Members:\\n${NODE_PORT}\\n`));
    const v4Cluster = list('KUBE-CLUSTER-IP');
    expect(v4Cluster).to.contain(`${clusterIP},tcp:${PORT}`);
    expect(v4Cluster).not.to.contain(clusterIP6);
    expect(list('KUBE-NODE-PORT-TCP')).to.match(new RegExp(`Members:\\n${NODE_PORT}\\n`));
  });

  it('ip6tables nat: KUBE-SERVICES matches the KUBE-6-* sets, KUBE-MARK-MASQ marks, KUBE-POSTROUTING masquerades', function () {
    const nat = runCommand(['ip6tables-save', '-t', 'nat']).stdout;
    console.log(`\n--- ip6tables-save -t nat\n${nat}`);
    expect(nat).to.match(/^-A PREROUTING .*-j KUBE-SERVICES$/m);
    expect(nat).to.match(/^-A OUTPUT .*-j KUBE-SERVICES$/m);
    expect(nat).to.match(/^-A POSTROUTING .*-j KUBE-POSTROUTING$/m);
    // Traffic to a ClusterIP from outside the IPv6 cluster CIDR is marked for masquerading.
    expect(nat).to.match(/^-A KUBE-SERVICES ! -s fd00:10:244::\/56 .*--match-set KUBE-6-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ$/m);
    expect(nat).to.match(/^-A KUBE-SERVICES .*--match-set KUBE-6-CLUSTER-IP dst,dst -j ACCEPT$/m);
    expect(nat).to.match(/^-A KUBE-NODE-PORT .*--match-set KUBE-6-NODE-PORT-TCP dst -j KUBE-MARK-MASQ$/m);
    expect(nat).to.match(/^-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000\/0x4000$/m);
    expect(nat).to.match(/^-A KUBE-POSTROUTING .*--match-set KUBE-6-LOOP-BACK dst,dst,src -j MASQUERADE$/m);
    expect(nat).to.match(/^-A KUBE-POSTROUTING .*-j MASQUERADE --random-fully$/m);
    // No IPv4 set or address leaks into the IPv6 tables.
    expect(nat).not.to.match(/--match-set KUBE-(?!6-)/);
    expect(nat).not.to.contain(clusterIP);
  });

  it('the IPv4 and the IPv6 ClusterIP answer from the node, spread over the pods', async function () {
    await spreadOverPods('node', url(clusterIP, PORT));
    await spreadOverPods('node', url(clusterIP6, PORT));
  });

  it('the IPv4 and the IPv6 ClusterIP answer from a pod (itself included: hairpin), spread over the pods', async function () {
    await spreadOverPods(inNetns('dual-a'), url(clusterIP, PORT));
    const r = await spreadOverPods(inNetns('dual-a'), url(clusterIP6, PORT));
    // A pod reaching itself is masqueraded (KUBE-6-LOOP-BACK), to the IPv6 gateway; the other pod sees the pod.
    expect(r.remoteAddresses['dual-a']).to.deep.equal([POD_GATEWAY6]);
    expect(r.remoteAddresses['dual-b']).to.deep.equal([PODS[0]!.ip6]);
  });

  it('the NodePort answers an outside client on both node addresses, masqueraded, spread over the pods', async function () {
    const v4 = await spreadOverPods(inNetns(CLIENT.name), url(NODE_IP, NODE_PORT));
    const v6 = await spreadOverPods(inNetns(CLIENT.name), url(NODE_IP6, NODE_PORT));
    for (const pod of POD_NAMES) {
      expect(v4.remoteAddresses[pod], `${pod} over IPv4`).not.to.include(CLIENT.ip);
      expect(v6.remoteAddresses[pod], `${pod} over IPv6`).to.deep.equal([POD_GATEWAY6]);
    }
  });

  it('after --cleanup and teardown the kernel is as found (IPVS, ipsets, iptables, ip6tables, addresses, sysctls)', async function () {
    proxier?.signals.emit('SIGTERM');
    expect(await proxier?.exit).to.equal(0);
    proxier = undefined;
    expect(await runProxier(['--cleanup'])).to.equal(0);
    await servers?.stop();
    teardownNodeNetwork();
    expect(await snapshot()).to.deep.equal(kernelBefore);
    expect(readSysctls(Object.keys(sysctlsBefore))).to.deep.equal(sysctlsBefore);
  });
});
