// Children of the demo (the stand-in API server, the proxier): started on the project's Node whatever the
// caller's PATH (process.execPath: the demo itself runs on it), with their last log lines kept so that a
// child that dies early fails the demo at once with the reason instead of leaving a wait to time out.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or signal name) whenever the child ends. */
  readonly exited: Promise<string>;
  /** The last lines it wrote (stdout and stderr), newest last. */
  tail(): string[];
}

const KEEP_LINES = 30;

/** Starts `node SCRIPT ARGS` on this process's Node; every output line also goes to onLine. */
export function startNodeChild(name: string, script: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; nodeFlags?: readonly string[]; onLine?: (line: string) => void } = {}): Child {
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      lines.push(line);
      if (lines.length > KEEP_LINES) lines.shift();
      opts.onLine?.(line);
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code !== null ? `exit code ${code}` : `signal ${signal}`));
    child.once('error', (e) => resolve(`spawn error: ${e.message}`));
  });
  return { name, process: child, exited, tail: () => [...lines] };
}

/** The error a child's early exit becomes: what it was waited for, how it ended, its last lines. */
export function diedError(child: Child, waitingFor: string, how: string): Error {
  const tail = child.tail().map((l) => `    ${l}`).join('\n');
  return new Error(`${child.name} ended (${how}) while waiting for ${waitingFor}; its last lines:\n${tail || '    (none)'}`);
}

/**
 * Polls `ready` every 250 ms until it returns a value, the child exits (rejects at once with its last
 * lines) or timeoutMs passes (rejects saying what did not happen).
 */
export async function waitForChild<T>(child: Child, waitingFor: string, timeoutMs: number, ready: () => Promise<T | undefined>): Promise<T> {
  let how: string | undefined;
  void child.exited.then((h) => (how = h));
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (how !== undefined) throw diedError(child, waitingFor, how);
    const value = await ready().catch(() => undefined);
    if (value !== undefined) return value;
    if (how !== undefined) throw diedError(child, waitingFor, how);
    if (Date.now() > end) {
      const tail = child.tail().map((l) => `    ${l}`).join('\n');
      throw new Error(`${waitingFor} did not happen within ${timeoutMs / 1000} s (${child.name} still running); its last lines:\n${tail || '    (none)'}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** SIGTERM, then SIGKILL if the child has not ended within graceMs; resolves once it has ended. */
export async function stopChild(child: Child, graceMs = 30_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
  if ((await Promise.race([child.exited, late])) === 'late') {
    console.error(`${child.name} did not stop within ${graceMs / 1000} s of SIGTERM; killing it`);
    child.process.kill('SIGKILL');
    await child.exited;
  }
  clearTimeout(timer);
}
