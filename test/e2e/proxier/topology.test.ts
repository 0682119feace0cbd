// Topology-aware routing on a real kernel (the e2e VM): the `run` command in-process against the stand-in API
// server, Node node-1 labelled topology.kubernetes.io/zone, a NodePort Service whose EndpointSlice is hinted the
// way the EndpointSlice controller hints it. The stand-in has no EndpointSlice controller, so each step writes the
// hints that controller would write for the Service's trafficDistribution. Checked with `ipvsadm -Ln` (printed at
// every step) and real requests from the node.
//
//   npm run build && e2e/run-in-vm node_modules/.bin/mocha --timeout 300000 dist/test/e2e/proxier/topology.test.js
import { expect } from 'chai';
import { ApiServer } from '../../../e2e/apiserver-src/api-server.js';
import { ENDPOINT_SLICES, NODES, SERVICES } from '../../../e2e/apiserver-src/resource-types.js';
import {
  NODE_IP, httpSpread, runCommand, setupNodeNetwork, startPodServers, type PodServers,
} from '../../../e2e/traffic/index.js';
import { eventually, metricSum, startProxier, stopProxierSuite, type Running } from './harness.js';

// Two endpoints per zone; only zone-a-1 runs on this node (node-1).
const PODS = [
  { name: 'zone-a-1', ip: '10.244.1.2', node: 'node-1', zone: 'zone-a' },
  { name: 'zone-a-2', ip: '10.244.1.3', node: 'node-2', zone: 'zone-a' },
  { name: 'zone-b-1', ip: '10.244.1.4', node: 'node-3', zone: 'zone-b' },
  { name: 'zone-b-2', ip: '10.244.1.5', node: 'node-4', zone: 'zone-b' },
];
type Pod = (typeof PODS)[number];
const CLUSTER_IP = '10.96.0.60';
const PORT = 8080;
const NODE_PORT = 31130;
const CLUSTER_VS = `${CLUSTER_IP}:${PORT}`;
const NODE_PORT_VS = `${NODE_IP}:${NODE_PORT}`;
const SYNC_PERIOD_S = 30; // no periodic sync in the middle of a step
const SLOW_GUEST = { timeoutMs: 10_000 };

const rs = (pods: Pod[]): string[] => pods.map((p) => `${p.ip}:80`).sort();
const inZone = (zone: string): Pod[] => PODS.filter((p) => p.zone === zone);

function node(zone: string) {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': zone } },
    status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] },
  };
}

function service(trafficDistribution?: string) {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'zoned', namespace: 'default' },
    spec: {
      type: 'NodePort', clusterIP: CLUSTER_IP, selector: { app: 'zoned' },
      ports: [{ name: 'http', port: PORT, targetPort: 80, nodePort: NODE_PORT }],
      ...(trafficDistribution ? { trafficDistribution } : {}),
    },
  };
}

/** The slice, each endpoint with the hints `hints(pod)` gives (undefined: none). */
function slice(hints: (p: Pod) => { forZones?: { name: string }[]; forNodes?: { name: string }[] } | undefined) {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'zoned-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'zoned' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: PODS.map((p) => {
      const h = hints(p);
      return { addresses: [p.ip], conditions: { ready: true }, nodeName: p.node, zone: p.zone, ...(h ? { hints: h } : {}) };
    }),
  };
}
/** What the EndpointSlice controller writes for PreferClose / PreferSameZone: each endpoint for its own zone. */
const zoneHints = (p: Pod) => ({ forZones: [{ name: p.zone }] });
/** ... and for PreferSameNode: its own node, plus its zone for proxies that do not know forNodes. */
const nodeHints = (p: Pod) => ({ forZones: [{ name: p.zone }], forNodes: [{ name: p.node }] });

/** Real server -> weight of one virtual server, from `ipvsadm -Ln -t VS`. */
function weightsOf(vs: string): Record<string, number> {
  const out = runCommand(['ipvsadm', '-Ln', '-t', vs], { allowFailure: true }).stdout;
  return Object.fromEntries([...out.matchAll(/->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+Masq\s+(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

/**
 * The real servers taking new connections (weight > 0). A real server that leaves while connections from an
 * earlier step linger is kept at weight 0 until they drain (graceful termination), so that is what is compared.
 */
function active(vs: string): string[] {
  return Object.entries(weightsOf(vs)).filter(([, w]) => w > 0).map(([r]) => r).sort();
}

function showIpvs(step: string): void {
  console.log(`\n--- ipvsadm -Ln: ${step}\n${runCommand(['ipvsadm', '-Ln']).stdout}`);
}

/** Both virtual servers (cluster IP and NodePort) take new connections on exactly these pods. */
async function kernelUses(pods: Pod[], what: string): Promise<void> {
  const want = rs(pods).join(',');
  await eventually(() => active(CLUSTER_VS).join(',') === want && active(NODE_PORT_VS).join(',') === want, `${what}: real servers ${want}`);
  showIpvs(what);
}

/** Requests from the node to the cluster IP are answered by exactly these pods. */
async function answeredBy(pods: Pod[]): Promise<void> {
  const r = await httpSpread('node', `http://${CLUSTER_VS}/`, 8 * pods.length, SLOW_GUEST);
  expect(r.failures).to.deep.equal([]);
  expect(Object.keys(r.counts).sort()).to.deep.equal(pods.map((p) => p.name).sort());
}

describe('proxier on a real kernel: topology-aware routing (zone and node hints, fallback, trafficDistribution)', function () {
  this.timeout(300_000);
  let api: ApiServer;
  let servers: PodServers | undefined;
  let proxier: Running | undefined;

  before(async function () {
    const network = setupNodeNetwork({ pods: PODS.map((p) => ({ name: p.name, ip: p.ip })) });
    servers = await startPodServers(network.pods.map((p) => ({ netns: p.netns, tcpPorts: [80] })));
    api = new ApiServer({ port: 0 });
    const master = await api.listen();
    api.registry.create(NODES, node('zone-a'));
    api.registry.create(SERVICES, service());
    api.registry.create(ENDPOINT_SLICES, slice(zoneHints));
    proxier = await startProxier(master, SYNC_PERIOD_S);
  });

  after(async function () {
    await stopProxierSuite({ proxier, servers, api });
  });

  it('a node in zone-a with endpoints hinted for zone-a and zone-b: only the zone-a endpoints are real servers', async function () {
    showIpvs('first sync: Node zone-a, endpoints hinted for their zones');
    // The first sync is done (/healthz 200): nothing to wait for, and nothing has drained yet.
    expect(Object.keys(weightsOf(CLUSTER_VS)).sort()).to.deep.equal(rs(inZone('zone-a')));
    expect(Object.keys(weightsOf(NODE_PORT_VS)).sort()).to.deep.equal(rs(inZone('zone-a')));
    await answeredBy(inZone('zone-a'));
  });

  it('one endpoint loses its hints: every endpoint (kube-proxy\'s fallback for partial hints)', async function () {
    api.registry.update(ENDPOINT_SLICES, slice((p) => (p.name === 'zone-b-2' ? undefined : zoneHints(p))), { name: 'zoned-abc', namespace: 'default' });
    await kernelUses(PODS, 'zone-b-2 unhinted');
    await answeredBy(PODS);
  });

  it('trafficDistribution PreferClose: the field alone changes nothing; the hints the controller then writes do', async function () {
    const syncs = await metricSum(proxier!.metrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count');
    api.registry.update(SERVICES, service('PreferClose'), { name: 'zoned', namespace: 'default' });
    await eventually(async () => (await metricSum(proxier!.metrics, 'kubeproxy_sync_proxy_rules_duration_seconds_count')) > syncs, 'the sync for the Service change');
    expect(active(CLUSTER_VS)).to.deep.equal(rs(PODS));
    showIpvs('PreferClose set, one endpoint still unhinted');
    api.registry.update(ENDPOINT_SLICES, slice(zoneHints), { name: 'zoned-abc', namespace: 'default' });
    await kernelUses(inZone('zone-a'), 'PreferClose, every endpoint hinted');
    await answeredBy(inZone('zone-a'));
  });

  it('the Node\'s zone label changes to zone-b: the zone-b endpoints, with no Service or EndpointSlice change', async function () {
    api.registry.update(NODES, node('zone-b'), { name: 'node-1' });
    await kernelUses(inZone('zone-b'), 'Node relabelled zone-b');
    await answeredBy(inZone('zone-b'));
  });

  it('trafficDistribution PreferSameNode (forNodes hints): only the endpoint on this node', async function () {
    api.registry.update(SERVICES, service('PreferSameNode'), { name: 'zoned', namespace: 'default' });
    api.registry.update(ENDPOINT_SLICES, slice(nodeHints), { name: 'zoned-abc', namespace: 'default' });
    const here = PODS.filter((p) => p.node === 'node-1');
    await kernelUses(here, 'PreferSameNode, forNodes hints');
    await answeredBy(here);
  });
});
