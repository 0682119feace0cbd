// Starting and stopping pod-server inside the pods' network namespaces, from the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { scriptArgv } from './vantage.js';

/** What to run in one pod. */
export interface PodServerSpec {
  /** The pod's network namespace. */
  readonly netns: string;
  /** What the server answers with. Default: the namespace name. */
  readonly name?: string;
  /** HTTP ports. Default [80] (when udpPorts is empty too). */
  readonly tcpPorts?: readonly number[];
  /** UDP answer ports. Default none. */
  readonly udpPorts?: readonly number[];
  /** Also serve the TCP ports over IPv6 (a dual-stack pod). Default false. */
  readonly ipv6?: boolean;
}

/** One running pod-server. */
export interface RunningPodServer {
  readonly netns: string;
  readonly name: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/** The servers startPodServers started. */
export interface PodServers {
  readonly servers: readonly RunningPodServer[];
  /** Stops them all. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** How long a server may take to bind its ports (node start-up in a loaded TCG guest is slow). Default 60000. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts one pod-server per spec, all at once, and resolves when every one is listening. If one fails,
 * the others are stopped and the error says which and why. The servers hold no reference on this
 * process's event loop, and exit by themselves when this process does (their stdin closes).
 */
export async function startPodServers(specs: readonly PodServerSpec[], options: StartOptions = {}): Promise<PodServers> {
  const results = await Promise.allSettled(specs.map((s) => startPodServer(s, options.readyTimeoutMs ?? 60_000)));
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  if (failed.length > 0) {
    await stop();
    throw new Error(`pod servers failed to start: ${failed.map((e) => e.message).join('; ')}`);
  }
  return { servers, stop };
}

function startPodServer(spec: PodServerSpec, readyTimeoutMs: number): Promise<RunningPodServer> {
  const name = spec.name ?? spec.netns;
  const args = ['--name', name, ...(spec.tcpPorts ?? []).flatMap((p) => ['--port', String(p)]), ...(spec.udpPorts ?? []).flatMap((p) => ['--udp-port', String(p)]), ...(spec.ipv6 ? ['--ipv6'] : []), '--exit-with-stdin'];
  const argv = scriptArgv({ netns: spec.netns }, 'pod-server.js', args);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const where = `pod-server ${name} in netns ${spec.netns}`;
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${where}: not listening after ${readyTimeoutMs} ms: ${stderr.trim()}`));
    }, readyTimeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${where}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${where}: exited (${signal ?? `code ${code}`}) before listening: ${stderr.trim()}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      let ready: { ready?: boolean; pid?: number };
      try {
        ready = JSON.parse(line) as typeof ready;
      } catch {
        ready = {};
      }
      if (!ready.ready) {
        child.kill('SIGKILL');
        return reject(new Error(`${where}: unexpected first line ${line}`));
      }
      lines.close();
      child.stdout!.resume();
      detach(child);
      resolve({ netns: spec.netns, name, pid: child.pid!, stop: () => stopChild(child, exited) });
    });
  });
}

/** Lets this process exit while the server runs (the server then sees EOF on stdin and exits). */
function detach(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}
