// The embedded default of `e2e/demo`: with no cluster at hand, show ipvs-proxier doing its job on a real
// kernel. Inside the VM: a node network with "pods" (namespaces answering with their names), the stand-in
// API server loaded with the httpd and NodePort examples, the proxier itself (the real command, as the
// DaemonSet runs it), then `ipvsadm -Ln` and real requests through a ClusterIP and a NodePort.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpSpread, inNetns, setupNodeNetwork, startPodServers, teardownNodeNetwork } from '../traffic/index.js';

const repo = process.cwd();
const say = (s: string): void => void process.stdout.write(`\n=== ${s}\n`);

function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return (r.stdout ?? '') + (r.stderr ?? '');
}

/** Starts a process and resolves with its first stdout line. */
function startWithFirstLine(argv: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.resume();
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve({ child, line: buf.slice(0, nl) });
    });
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited with ${code} before it was ready`)));
  });
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'ipvs-demo-'));
  const kubeconfig = join(work, 'kubeconfig');
  let apiserver: ChildProcess | undefined;
  let proxier: ChildProcess | undefined;
  let failures = 0;
  try {
    say('node network: node 192.168.122.10, pods on cbr0 10.244.1.0/24, an outside client 192.168.122.20');
    const pods = [
      { name: 'httpd-1', ip: '10.244.1.2', port: 80 },
      { name: 'httpd-2', ip: '10.244.1.3', port: 80 },
      { name: 'httpd-3', ip: '10.244.1.4', port: 80 },
      { name: 'web-1', ip: '10.244.1.5', port: 5003 },
      { name: 'web-2', ip: '10.244.1.6', port: 5003 },
    ];
    const network = setupNodeNetwork({ pods, kubeProxySysctls: false });
    const servers = await startPodServers(pods.map((p) => ({ netns: p.name, tcpPorts: [p.port] })));

    say('stand-in API server with e2e/examples/{node,httpd,nodeport}.yaml');
    const api = await startWithFirstLine([
      'node', join(repo, 'dist/e2e/apiserver-src/main.js'),
      '--objects', join(repo, 'e2e/examples/node.yaml'),
      '--objects', join(repo, 'e2e/examples/httpd.yaml'),
      '--objects', join(repo, 'e2e/examples/nodeport.yaml'),
      '--port', '0', '--kubeconfig-out', kubeconfig,
    ]);
    apiserver = api.child;
    const base = api.line.replace(/^listening on /, '');
    console.log(api.line);
    const svc = (await (await fetch(`${base}/api/v1/namespaces/default/services/httpd`)).json()) as { spec: { clusterIP: string } };
    const clusterIP = svc.spec.clusterIP;
    console.log(`Service default/httpd has ClusterIP ${clusterIP} (allocated by the API server); web-nodeport has nodePort 31122`);

    say('ipvs-proxier --kubeconfig ... --hostname-override node-1 --cluster-cidr 10.244.0.0/16');
    proxier = spawn('node', [join(repo, 'dist/lib/cli/main.js'), '--kubeconfig', kubeconfig, '--hostname-override', 'node-1', '--cluster-cidr', '10.244.0.0/16', '--healthz-bind-address', '127.0.0.1:10256', '-v', '2'], {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, IPVS_PROXIER_LOG_FORMAT: 'text' },
    });
    proxier.stderr!.on('data', (d: Buffer) => process.stdout.write(d.toString().split('\n').filter((l) => /info|warn|error/.test(l)).map((l) => `  [proxier] ${l}\n`).join('')));
    await waitHealthy('http://127.0.0.1:10256/healthz', 120_000);
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
    proxier?.kill('SIGTERM');
    if (proxier) await new Promise((r) => proxier!.once('exit', r));
    say('ipvs-proxier --cleanup');
    process.stdout.write(sh(['node', join(repo, 'dist/lib/cli/main.js'), '--cleanup']));
    process.stdout.write(sh(['ipvsadm', '-Ln']));
    apiserver?.kill('SIGTERM');
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
