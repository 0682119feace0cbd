// The embedded default of `e2e/demo`: with no cluster at hand, show ipvs-proxier doing its job on a real
// kernel. Inside the VM: a node network with "pods" (namespaces answering with their names), the stand-in
// API server loaded with the httpd and NodePort examples, the proxier itself (the real command, as the
// DaemonSet runs it), then `ipvsadm -Ln` and real requests through a ClusterIP and a NodePort.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_PODS } from '../examples/example-pods.js';
import { startNodeChild, stopChild, waitForChild, type Child } from './child.js';
import { httpSpread, inNetns, setupNodeNetwork, startPodServers, teardownNodeNetwork } from '../traffic/index.js';

const repo = process.cwd();
const say = (s: string): void => void process.stdout.write(`\n=== ${s}\n`);

function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

// Bounds of the waits. Under TCG emulation on a loaded 2-core host the first sync took up to ~40 s.
const API_SERVER_START_MS = 60_000;
const FIRST_SYNC_MS = 180_000;

/** The launcher's V8 flags (lib/cli/node-flags), so the proxier runs as the DaemonSet's image runs it. */
function nodeFlags(): string[] {
  return readFileSync(join(repo, 'lib/cli/node-flags'), 'utf8').trim().split(/\s+/).filter(Boolean);
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'ipvs-demo-'));
  const kubeconfig = join(work, 'kubeconfig');
  let apiserver: Child | undefined;
  let proxier: Child | undefined;
  let failures = 0;
  try {
    say('node network: node 192.168.122.10, pods on cbr0 10.244.1.0/24, an outside client 192.168.122.20');
    const pods = EXAMPLE_PODS;
    const network = setupNodeNetwork({ pods, kubeProxySysctls: false });
    const servers = await startPodServers(pods.map((p) => ({ netns: p.name, tcpPorts: [p.port] })));

    say('stand-in API server with e2e/examples/{node,httpd,nodeport}.yaml');
    apiserver = startNodeChild('the stand-in API server', join(repo, 'dist/e2e/apiserver-src/main.js'), [
      '--objects', join(repo, 'e2e/examples/node.yaml'),
      '--objects', join(repo, 'e2e/examples/httpd.yaml'),
      '--objects', join(repo, 'e2e/examples/nodeport.yaml'),
      '--port', '0', '--kubeconfig-out', kubeconfig,
    ]);
    const api = apiserver;
    // Its first stdout line is "listening on URL" once it serves.
    const listening = await waitForChild(api, 'the API server to listen', API_SERVER_START_MS, async () => api.tail().find((l) => l.startsWith('listening on ')));
    const base = listening.replace(/^listening on /, '');
    console.log(listening);
    const svc = (await (await fetch(`${base}/api/v1/namespaces/default/services/httpd`)).json()) as { spec: { clusterIP: string } };
    const clusterIP = svc.spec.clusterIP;
    console.log(`Service default/httpd has ClusterIP ${clusterIP} (allocated by the API server); web-nodeport has nodePort 31122`);

    say('ipvs-proxier --kubeconfig ... --hostname-override node-1 --cluster-cidr 10.244.0.0/16');
    proxier = startNodeChild('ipvs-proxier', join(repo, 'dist/lib/cli/main.js'), ['--kubeconfig', kubeconfig, '--hostname-override', 'node-1', '--cluster-cidr', '10.244.0.0/16', '--healthz-bind-address', '127.0.0.1:10256', '-v', '2'], {
      env: { ...process.env, IPVS_PROXIER_LOG_FORMAT: 'text' },
      nodeFlags: nodeFlags(),
      onLine: (l) => {
        if (/info|warn|error/.test(l)) process.stdout.write(`  [proxier] ${l}\n`);
      },
    });
    await waitForChild(proxier, 'the first sync (/healthz 200 on 127.0.0.1:10256)', FIRST_SYNC_MS, async () => ((await fetch('http://127.0.0.1:10256/healthz')).status === 200 ? true : undefined));
    console.log('proxier /healthz: 200 (first sync done)');

    say('ipvsadm -Ln');
    process.stdout.write(sh(['ipvsadm', '-Ln']));
    say('ip -br addr show kube-ipvs0');
    process.stdout.write(sh(['ip', '-br', 'addr', 'show', 'kube-ipvs0']));

    say(`requests: node -> http://${clusterIP}:8080/ (ClusterIP), 9 requests`);
    const a = await httpSpread('node', `http://${clusterIP}:8080/`, 9);
    console.log(JSON.stringify({ ok: a.ok, total: a.total, answeredBy: a.counts, failures: a.failures.length }));
    say('requests: outside client -> http://192.168.122.10:31122/ (NodePort), 6 requests');
    const b = await httpSpread(inNetns(network.clients[0]!.netns), 'http://192.168.122.10:31122/', 6);
    console.log(JSON.stringify({ ok: b.ok, total: b.total, answeredBy: b.counts, failures: b.failures.length }));
    failures = a.total - a.ok + (b.total - b.ok);
    await servers.stop();
  } finally {
    if (proxier) await stopChild(proxier);
    say('ipvs-proxier --cleanup');
    process.stdout.write(sh([process.execPath, join(repo, 'dist/lib/cli/main.js'), '--cleanup']));
    process.stdout.write(sh(['ipvsadm', '-Ln']));
    if (apiserver) await stopChild(apiserver);
    teardownNodeNetwork();
  }
  say(failures === 0 ? 'demo OK: every request was answered through IPVS' : `demo FAILED: ${failures} requests not answered`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(`demo failed: ${e instanceof Error ? e.stack : String(e)}`);
    process.exitCode = 1;
  },
);
