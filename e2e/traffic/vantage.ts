// Where traffic comes from: the node itself (the VM's root network namespace) or a network namespace
// (a pod, an outside client), and how to start one of this directory's scripts there.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the compiled scripts are copied before they are started. Node resolving and reading ESM modules
 * on the VM's uncached 9p repository share costs seconds per start on a busy host (measured: 2.4-5 s for
 * http-get.js from dist/ against 0.9-1.6 s from the guest's tmpfs /run), and the fixture starts a node
 * per pod and per namespace client.
 */
export const STAGED_SCRIPTS_DIR = '/run/ipvs-e2e-traffic/scripts';

/** The node itself, or inside the named network namespace. */
export type Vantage = 'node' | { readonly netns: string };

/** A shorthand for `{ netns }`. */
export function inNetns(netns: string): Vantage {
  return { netns };
}

/** A human name for error messages. */
export function describeVantage(from: Vantage): string {
  return from === 'node' ? 'the node' : `netns ${from.netns}`;
}

/** The argv that runs `node <this directory>/<script> args` at `from`. */
export function scriptArgv(from: Vantage, script: string, args: readonly string[]): string[] {
  const node = [process.execPath, stagedScript(script), ...args];
  // `ip netns exec` execs the command (no fork), so the child's pid is node's own.
  return from === 'node' ? node : ['ip', 'netns', 'exec', from.netns, ...node];
}

/**
 * Runs one of this directory's scripts at `from`, asynchronously, and resolves with its stdout; rejects
 * with its stderr if it exits non-zero or outlives timeoutMs (then it is killed).
 */
export function runScript(from: Vantage, script: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const argv = scriptArgv(from, script, args);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${script} at ${describeVantage(from)}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} at ${describeVantage(from)}: ${signal ? `killed by ${signal} (timeout ${timeoutMs} ms?)` : `exit ${code}`}: ${stderr.trim()}`));
    });
  });
}

/**
 * The path of a compiled script of this directory, copied (with its siblings, which it imports) to
 * STAGED_SCRIPTS_DIR when the copy is missing or older; the dist/ path itself if copying fails.
 */
export function stagedScript(script: string): string {
  // import.meta.url is dist/e2e/traffic/vantage.js: the compiled scripts are its siblings.
  const sourceDir = dirname(fileURLToPath(import.meta.url));
  try {
    mkdirSync(STAGED_SCRIPTS_DIR, { recursive: true });
    // The copies must stay ES modules away from the repository's package.json.
    const packageJson = join(STAGED_SCRIPTS_DIR, 'package.json');
    if (!existsSync(packageJson)) writeFileSync(packageJson, '{"type":"module"}\n');
    for (const file of readdirSync(sourceDir).filter((f) => f.endsWith('.js'))) {
      const from = join(sourceDir, file);
      const to = join(STAGED_SCRIPTS_DIR, file);
      const source = statSync(from);
      const copy = statSync(to, { throwIfNoEntry: false });
      // Whole milliseconds: utimes does not keep what 9p reports below them.
      if (copy && copy.size === source.size && Math.trunc(copy.mtimeMs) === Math.trunc(source.mtimeMs)) continue;
      copyFileSync(from, to);
      utimesSync(to, source.atime, source.mtime);
    }
    return join(STAGED_SCRIPTS_DIR, script);
  } catch {
    return join(sourceDir, script);
  }
}
