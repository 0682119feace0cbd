// The traffic fixture (e2e/traffic) against the real kernel in the e2e VM, independent of the proxier:
// a node network with 3 pods serving HTTP and UDP, IPVS and kube-proxy's rules programmed by hand with the
// real ipvsadm/ipset/iptables, and real requests from the node, from a pod and from an outside client.
// If this passes, a failing proxier e2e test is about the proxier, not the world around it.
//
//   npm run build && e2e/run-in-vm node_modules/.bin/mocha dist/test/e2e/traffic/*.test.js
//
// Timings go to stderr (the TCG guest is slow and shared: keep the whole file well under a minute).
import { expect } from 'chai';
import { httpSpread, inNetns, steadyStream, udpSpread, type SpreadResult } from '../../../e2e/traffic/client.js';
import { addPods, listLinks, listNamespaces, removePods, setupNodeNetwork, teardownNodeNetwork, type NodeNetwork } from '../../../e2e/traffic/node-network.js';
import { startPodServers, type PodServers } from '../../../e2e/traffic/pod-servers.js';
import { runCommand } from '../../../e2e/traffic/run-command.js';
import { CLUSTER_IP, CLUSTER_PORT, CLUSTER_UDP_PORT, NODE_PORT, clusterIpTcpRules, programByHand, unprogramByHand } from './by-hand-kube-proxy.js';
import { snapshotVmNetworkState, type VmNetworkState } from './vm-state.js';

/** The pods of e2e/examples/httpd.yaml (shorter names: they are namespace names too). */
const PODS = [
  { name: 'httpd-a', ip: '10.244.1.2' },
  { name: 'httpd-b', ip: '10.244.1.3' },
  { name: 'httpd-c', ip: '10.244.1.4' },
];
const POD_NAMES = PODS.map((p) => p.name);
const CLUSTER_URL = `http://${CLUSTER_IP}:${CLUSTER_PORT}/`;
const GATEWAY = '10.244.1.1';
/**
 * The network is the VM's own namespaces, so nothing is lost on the way; but a TCG guest on a loaded
 * host can stall for seconds. A lost SYN would show as 1 s (retransmit) of latency, not as a failure.
 */
const SLOW_GUEST = { timeoutMs: 10_000 };

function timed<T>(what: string, started: number, value: T): T {
  process.stderr.write(`      [timing] ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return value;
}

/** Every pod answered n/3 times (rr over new connections is exact) and nothing failed. */
function expectEvenSpread(result: SpreadResult, n: number): void {
  expect(result.failures, 'failures').to.deep.equal([]);
  expect(result.ok).to.equal(n);
  expect(result.counts).to.deep.equal(Object.fromEntries(POD_NAMES.map((p) => [p, n / 3])));
}

describe('traffic fixture: node network, pod servers and clients through IPVS programmed by hand', function () {
  this.timeout(180_000);
  let vmBefore: VmNetworkState;
  let network: NodeNetwork;
  let servers: PodServers | undefined;
  const suiteStarted = Date.now();

  before(async function () {
    vmBefore = snapshotVmNetworkState();
    let t = Date.now();
    network = timed('setupNodeNetwork (3 pods, 1 client)', t, setupNodeNetwork({ pods: PODS }));
    t = Date.now();
    servers = timed('startPodServers (3 in parallel)', t, await startPodServers(PODS.map((p) => ({ netns: p.name, tcpPorts: [80], udpPorts: [5353] }))));
    t = Date.now();
    programByHand({ nodeIp: network.nodeIp, podIps: PODS.map((p) => p.ip), podPort: 80, podUdpPort: 5353 });
    timed('programByHand (kube-ipvs0, ipvsadm -R, ipset restore, iptables-restore)', t, undefined);
  });

  after(async function () {
    // Only matters when a test failed before the teardown test ran: all of this is idempotent.
    await servers?.stop();
    unprogramByHand(false);
    teardownNodeNetwork();
    timed('whole suite', suiteStarted, undefined);
  });

  it('builds the node: node IP on eth-node, cbr0 with the gateway, pods with hairpin ports, client namespace', function () {
    expect(listNamespaces()).to.include.members([...POD_NAMES, 'outside-client']);
    const addrs = runCommand(['ip', '-o', '-4', 'addr', 'show']).stdout;
    expect(addrs).to.match(/eth-node\s+inet 192\.168\.122\.10\/24/);
    expect(addrs).to.match(/cbr0\s+inet 10\.244\.1\.1\/24/);
    const ports = runCommand(['bridge', '-d', 'link', 'show']).stdout;
    for (const pod of network.pods) expect(ports).to.match(new RegExp(`${pod.hostVeth}@.* master cbr0[\\s\\S]*?hairpin on`));
    expect(runCommand(['ip', '-n', 'httpd-b', '-4', 'route', 'show', 'default']).stdout).to.contain(`via ${GATEWAY} dev eth0`);
    expect(runCommand(['ip', '-n', 'outside-client', '-o', '-4', 'addr', 'show', 'eth0']).stdout).to.contain('192.168.122.20/24');
  });

  it('adds and removes a pod on the running network (its namespace, hairpin port and processes)', async function () {
    const t = Date.now();
    let grown = addPods(network, [{ name: 'httpd-d', ip: '10.244.1.7' }]);
    const added = grown.pods.find((p) => p.netns === 'httpd-d')!;
    expect(listNamespaces()).to.include('httpd-d');
    expect(listLinks()).to.include(added.hostVeth);
    expect(runCommand(['ip', '-n', 'httpd-d', '-o', '-4', 'addr', 'show', 'eth0']).stdout).to.contain('10.244.1.7/24');
    grown = removePods(grown, ['httpd-d']);
    expect(grown.pods.map((p) => p.netns)).to.deep.equal(POD_NAMES);
    expect(listNamespaces()).not.to.include('httpd-d');
    expect(listLinks()).not.to.include(added.hostVeth);
    timed('addPods + removePods', t, undefined);
  });

  it('node -> ClusterIP: spreads evenly over all 3 pods, masqueraded to the bridge address', async function () {
    const t = Date.now();
    const result = timed('30 requests from the node (in-process)', t, await httpSpread('node', CLUSTER_URL, 30, SLOW_GUEST));
    expectEvenSpread(result, 30);
    expect(result.remoteAddresses).to.deep.equal(Object.fromEntries(POD_NAMES.map((p) => [p, [GATEWAY]])));
  });

  it('pod -> ClusterIP: reaches all 3 pods, itself included (hairpin port + KUBE-LOOP-BACK masquerade)', async function () {
    const t = Date.now();
    const result = timed('30 requests from pod httpd-a (one ip netns exec)', t, await httpSpread(inNetns('httpd-a'), CLUSTER_URL, 30, SLOW_GUEST));
    expectEvenSpread(result, 30);
    // httpd-a reaching itself is masqueraded to the gateway (else its reply would never leave the pod);
    // the others see the pod's own address (no masquerade inside the cluster CIDR).
    expect(result.remoteAddresses).to.deep.equal({ 'httpd-a': [GATEWAY], 'httpd-b': ['10.244.1.2'], 'httpd-c': ['10.244.1.2'] });
  });

  it('outside client -> NodeIP:NodePort, and node -> NodeIP:NodePort: reach all 3 pods', async function () {
    const url = `http://${network.nodeIp}:${NODE_PORT}/`;
    let t = Date.now();
    const outside = timed('30 requests from outside-client (one ip netns exec)', t, await httpSpread(inNetns('outside-client'), url, 30, SLOW_GUEST));
    expectEvenSpread(outside, 30);
    expect(outside.remoteAddresses).to.deep.equal(Object.fromEntries(POD_NAMES.map((p) => [p, [GATEWAY]])));
    t = Date.now();
    expectEvenSpread(timed('30 requests from the node', t, await httpSpread('node', url, 30, SLOW_GUEST)), 30);
  });

  it('UDP: node -> ClusterIP and pod -> ClusterIP answers come from all 3 pods', async function () {
    let t = Date.now();
    expectEvenSpread(timed('30 UDP questions from the node', t, await udpSpread('node', CLUSTER_IP, CLUSTER_UDP_PORT, 30, SLOW_GUEST)), 30);
    t = Date.now();
    const fromPod = timed('30 UDP questions from pod httpd-c', t, await udpSpread(inNetns('httpd-c'), CLUSTER_IP, CLUSTER_UDP_PORT, 30, SLOW_GUEST));
    expectEvenSpread(fromPod, 30);
  });

  it('steady stream: reports every failure, with its time, while the virtual server is gone, and none around it', async function () {
    const t = Date.now();
    // Long enough to outlast the disruption on a slow guest; stop() ends it.
    const stream = steadyStream('node', CLUSTER_URL, { intervalMs: 100, durationMs: 120_000, timeoutMs: 10_000 });
    const startedAt = await stream.started;
    timed('http-stream child started', t, undefined);
    await sleep(1000);
    const removedAt = Date.now();
    runCommand(['ipvsadm', '-D', '-t', `${CLUSTER_IP}:${CLUSTER_PORT}`]);
    await sleep(1000);
    runCommand(['ipvsadm', '-R'], { input: clusterIpTcpRules({ nodeIp: network.nodeIp, podIps: PODS.map((p) => p.ip), podPort: 80, podUdpPort: 5353 }) });
    const restoredAt = Date.now();
    await sleep(1500);
    const report = await stream.stop();
    timed(`stream of ${report.total} requests (${report.failures.length} failed, max latency ${report.maxLatencyMs} ms)`, t, undefined);

    expect(report.total).to.equal(report.ok + report.failures.length);
    expect(report.startedAt).to.equal(startedAt);
    // Live reports come in completion order (a reset can finish after the refusal sent after it), the
    // report in sequence order: the same failures, each once.
    const liveSeqs = stream.failures.map((f) => f.seq).sort((a, b) => a - b);
    expect(liveSeqs, 'failures reported live').to.deep.equal(report.failures.map((f) => f.seq));
    // The gap was a second or more at one request per 100 ms: requests failed, refused (the ClusterIP is
    // a local address with no listener once IPVS forgets it); one caught mid-connection at the removal
    // can be reset instead...
    expect(report.failures.length).to.be.greaterThan(3);
    const errors = report.failures.map((f) => f.error);
    expect(errors.filter((e) => e === 'ECONNREFUSED').length, errors.join(' ')).to.be.at.least(report.failures.length - 1);
    expect(errors.filter((e) => e !== 'ECONNREFUSED' && e !== 'ECONNRESET'), 'other errors').to.deep.equal([]);
    // ...all sent within the gap (one sent just before the removal can still reach the kernel inside it)...
    for (const f of report.failures) {
      expect(f.at, `failure ${f.atIso} (seq ${f.seq})`).to.be.within(removedAt - 2000, restoredAt);
      expect(new Date(f.atIso).getTime()).to.equal(f.at);
    }
    // ...and requests before and after the gap were answered by every pod.
    const failedSeqs = report.failures.map((f) => f.seq);
    expect(Math.min(...failedSeqs), 'answered before the gap').to.be.greaterThan(0);
    expect(Math.max(...failedSeqs), 'answered after the gap').to.be.lessThan(report.total - 1);
    expect(Object.keys(report.counts).sort()).to.deep.equal(POD_NAMES);
  });

  it('teardown leaves the VM as it found it, and can be repeated', async function () {
    const t = Date.now();
    await servers!.stop();
    await servers!.stop();
    unprogramByHand(true);
    teardownNodeNetwork();
    teardownNodeNetwork();
    timed('teardown', t, undefined);
    expect(snapshotVmNetworkState()).to.deep.equal(vmBefore);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
