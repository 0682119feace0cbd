// `ipvs-proxier dump --conntrack` against real flows: kube-proxy's virtual servers, ipsets and rules are
// programmed by hand with the real tools (test/e2e/traffic/by-hand-kube-proxy.ts: a ClusterIP with TCP and
// UDP, a NodePort), real TCP connections and UDP flows go from the node through IPVS to two pods and are
// held open, and the CLI, run as its own process, must list under each virtual server exactly the flows
// that the real `conntrack -L` lists for that address, port and protocol: the same original and reply
// tuples, the same marks.
// Runs in the e2e VM (npm run e2e); starts from a clean kernel and removes exactly what it made.
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setupNodeNetwork, teardownNodeNetwork } from '../../../e2e/traffic/node-network.js';
import { startPodServers, type PodServers } from '../../../e2e/traffic/pod-servers.js';
import { CLUSTER_IP, CLUSTER_PORT, CLUSTER_UDP_PORT, NODE_PORT, programByHand, unprogramByHand } from '../traffic/by-hand-kube-proxy.js';
import { cleanKernelOrSkip, run, runCli, snapshot, tryRun, type KernelSnapshot } from './kernel-tools.js';

const PODS = [
  { name: 'ct-web-a', ip: '10.244.1.5' },
  { name: 'ct-web-b', ip: '10.244.1.6' },
];
const POD_PORT = 80;
const POD_UDP_PORT = 5353;
/** Flows per protocol. */
const N = 4;
/** How often each held UDP flow asks again (keeps it alive). */
const ASK_EVERY_MS = 500;

/** A flow kept alive until stop(); `ready` resolves once it is through (UDP: with the answering pod). */
interface HeldFlow {
  readonly ready: Promise<string>;
  stop(): void;
}

/**
 * One TCP connection to host:port, left open and idle (the pod server answers HTTP with `Connection:
 * close`, so a request would end it), or one UDP socket (one source port) asking every ASK_EVERY_MS.
 * Held rather than one request each: a closed TCP flow or a single UDP exchange may leave the conntrack
 * table (10 s in CLOSE, 30 s for UDP) while the CLI starts on a slow guest, and a held flow stays
 * ESTABLISHED/ASSURED, so both reads below see it in the same state.
 */
function holdFlow(proto: 'tcp' | 'udp', host: string, port: number): HeldFlow {
  if (proto === 'tcp') {
    const socket = connect(port, host);
    const ready = new Promise<string>((resolve, reject) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (e) => reject(new Error(`TCP ${host}:${port}: ${e.message}`)));
    });
    return { ready, stop: () => void socket.destroy() };
  }
  const socket = createSocket('udp4');
  const ready = new Promise<string>((resolve, reject) => {
    socket.on('message', (msg) => resolve(msg.toString('utf8').trim()));
    socket.on('error', (e) => reject(new Error(`UDP ${host}:${port}: ${e.message}`)));
  });
  const timer = setInterval(() => socket.send('?'), ASK_EVERY_MS);
  socket.connect(port, host, () => socket.send('?'));
  return { ready, stop: () => (clearInterval(timer), socket.close()) };
}

/** Resolves with p, or rejects after ms saying what did not happen. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * `conntrack -L -p PROTO --orig-dst IP --orig-port-dst PORT`, each flow in the CLI's layout without the
 * timeout (it ticks between the two reads): "src:sport -> dst:dport reply src:sport -> dst:dport [marks]".
 */
function conntrackList(proto: 'tcp' | 'udp', ip: string, port: number): string[] {
  const out = run('conntrack', ['-L', '-p', proto, '--orig-dst', ip, '--orig-port-dst', String(port)]);
  return out
    .split('\n')
    .filter((l) => l.startsWith(proto))
    .map((l) => {
      const v = (key: string): string[] => [...l.matchAll(new RegExp(`\\b${key}=(\\S+)`, 'g'))].map((m) => m[1]!);
      const [src, dst, sport, dport] = [v('src'), v('dst'), v('sport'), v('dport')];
      const marks = [l.includes('[UNREPLIED]') ? '[UNREPLIED]' : '', l.includes('[ASSURED]') ? '[ASSURED]' : ''].filter(Boolean);
      return [`${src[0]}:${sport[0]} -> ${dst[0]}:${dport[0]}`, 'reply', `${src[1]}:${sport[1]} -> ${dst[1]}:${dport[1]}`, ...marks].join(' ');
    })
    .sort();
}

/**
 * The CLI's section for one virtual server: its header's flow count and its flow lines, timeout dropped.
 * Undefined when the output has no such section.
 */
function cliSection(output: string, proto: string, address: string, port: number): { count: number; flows: string[] } | undefined {
  const lines = output.split('\n');
  const head = lines.findIndex((l) => l.startsWith(`${proto.toUpperCase()}  ${address}:${port}  conntrack flows: `));
  if (head < 0) return undefined;
  const flows: string[] = [];
  for (const l of lines.slice(head + 1)) {
    if (!l.startsWith('  ')) break;
    flows.push(l.trim().replace(/ timeout=\d+/, ''));
  }
  return { count: Number(lines[head]!.split(': ')[1]), flows: flows.sort() };
}

describe('netlink e2e: `ipvs-proxier dump --conntrack` lists real flows per virtual server, as `conntrack -L` does', function () {
  this.timeout(180_000);
  let baseline: KernelSnapshot | undefined;
  let servers: PodServers | undefined;
  let nodeIp = '';

  before(async function () {
    baseline = await cleanKernelOrSkip(this);
    nodeIp = setupNodeNetwork({ pods: PODS }).nodeIp;
    servers = await startPodServers(PODS.map((p) => ({ netns: p.name, tcpPorts: [POD_PORT], udpPorts: [POD_UDP_PORT] })));
    programByHand({ nodeIp, podIps: PODS.map((p) => p.ip), podPort: POD_PORT, podUdpPort: POD_UDP_PORT });
    // Flows of an earlier suite to the same ClusterIP (TCP TIME_WAIT lasts 2 min) would be listed too:
    // only this suite's flows are counted below.
    // (conntrack -D exits non-zero when there was nothing to delete.)
    tryRun('conntrack', ['-D', '--orig-dst', CLUSTER_IP]);
  });

  after(async function () {
    if (!baseline) return;
    await servers?.stop();
    unprogramByHand(true);
    teardownNodeNetwork();
    expect(await snapshot(), 'the kernel after cleanup').to.deep.equal(baseline);
  });

  it('lists the TCP and UDP flows of the ClusterIP under their virtual servers, none under the idle NodePort', async function () {
    // One flow at a time, so rr alternates the pods.
    const flows: HeldFlow[] = [];
    const udpPods: string[] = [];
    let read: { cli: ReturnType<typeof runCli>; all: string; theirs: Record<'tcp' | 'udp' | 'nodePort', string[]> };
    try {
      for (let i = 0; i < N; i++) {
        flows.push(holdFlow('tcp', CLUSTER_IP, CLUSTER_PORT));
        await within(flows.at(-1)!.ready, 20_000, `TCP flow ${i} did not connect`);
      }
      for (let i = 0; i < N; i++) {
        flows.push(holdFlow('udp', CLUSTER_IP, CLUSTER_UDP_PORT));
        udpPods.push(await within(flows.at(-1)!.ready, 20_000, `no answer on UDP flow ${i}`));
      }
      // Guards the test: the UDP flows go through IPVS, rr over both pods (the TCP ones: checked below).
      expect(udpPods.sort()).to.deep.equal(PODS.flatMap((p) => [p.name, p.name]));
      // A UDP flow still active 2 s after its first packet becomes ASSURED: let every one get there first.
      await new Promise((r) => setTimeout(r, 3000));

      const started = Date.now();
      const cli = runCli(['dump', '--conntrack']);
      process.stderr.write(`      [timing] dump --conntrack as its own process: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      read = {
        cli,
        all: run('conntrack', ['-L']),
        theirs: { tcp: conntrackList('tcp', CLUSTER_IP, CLUSTER_PORT), udp: conntrackList('udp', CLUSTER_IP, CLUSTER_UDP_PORT), nodePort: conntrackList('tcp', nodeIp, NODE_PORT) },
      };
    } finally {
      for (const f of flows) f.stop();
    }
    const { cli, all, theirs } = read;
    expect(cli.stderr).to.equal('');
    expect(cli.status).to.equal(0);

    // The real tool sees the held flows, rr over both pods (masqueraded: from the node, not the cluster CIDR).
    for (const flows of [theirs.tcp, theirs.udp]) {
      const replySources = flows.map((f) => / reply (\S+):\d+ -> 10\.244\.1\.1:\d+/.exec(f)?.[1]).sort();
      expect(replySources, `conntrack -L:\n${all}\ndump --conntrack:\n${cli.stdout}`).to.deep.equal(PODS.flatMap((p) => [p.ip, p.ip]));
    }
    expect(theirs.nodePort).to.deep.equal([]);

    expect(cliSection(cli.stdout, 'tcp', CLUSTER_IP, CLUSTER_PORT)).to.deep.equal({ count: N, flows: theirs.tcp });
    expect(cliSection(cli.stdout, 'udp', CLUSTER_IP, CLUSTER_UDP_PORT)).to.deep.equal({ count: N, flows: theirs.udp });
    expect(cliSection(cli.stdout, 'tcp', nodeIp, NODE_PORT)).to.deep.equal({ count: 0, flows: [] });
  });
});
