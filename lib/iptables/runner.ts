// The only part of the iptables backend that starts processes: iptables-save to observe, and
// iptables-restore --noflush to apply (input on stdin, no shell). Everything else is pure and tested
// through FakeIptablesRunner.
import { spawn } from 'node:child_process';
import type { IptablesFamily } from './tables.js';

export interface IptablesRunner {
  /** iptables-save / ip6tables-save output (all tables). */
  save(family: IptablesFamily): Promise<string>;
  /** iptables-restore / ip6tables-restore --noflush with this input; rejects with IptablesCommandError. */
  restore(family: IptablesFamily, input: string): Promise<void>;
}

/** Which iptables binaries: `nft` = iptables-nft-*, `legacy` = iptables-legacy-*, `default` = whatever `iptables` is. */
export type IptablesBackend = 'default' | 'nft' | 'legacy';

export const IPTABLES_BACKEND_ENV = 'IPVS_PROXIER_IPTABLES';

/** Reads IPVS_PROXIER_IPTABLES (unset or empty = default); throws on anything but nft or legacy. */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): IptablesBackend {
  const value = env[IPTABLES_BACKEND_ENV];
  if (value === undefined || value === '') return 'default';
  if (value === 'nft' || value === 'legacy') return value;
  throw new Error(`${IPTABLES_BACKEND_ENV}=${value}: expected "nft" or "legacy" (or unset for the system's iptables)`);
}

export function iptablesCommand(backend: IptablesBackend, family: IptablesFamily, tool: 'save' | 'restore'): string {
  const base = family === 'ip6' ? 'ip6tables' : 'iptables';
  return backend === 'default' ? `${base}-${tool}` : `${base}-${backend}-${tool}`;
}

export interface CommandIptablesRunnerOptions {
  backend?: IptablesBackend;
  /** Prepended to every command, e.g. ["ip", "netns", "exec", "test1"]. */
  prefix?: string[];
  /**
   * Seconds iptables-restore waits for the xtables lock held by another iptables user (--wait=N); legacy
   * iptables takes the lock, iptables-nft accepts and ignores the flag. Default 5, as kube-proxy.
   */
  waitSeconds?: number;
  /** Kill a command that runs longer than this (default 60 s): a stuck sync must fail, not hang. */
  timeoutMs?: number;
}

export class IptablesCommandError extends Error {
  constructor(
    readonly operation: 'save' | 'restore',
    readonly family: IptablesFamily,
    readonly command: readonly string[],
    /** Exit code, or null when killed by a signal or never started. */
    readonly exitCode: number | null,
    readonly stderr: string,
    /** 1-based line of the restore input iptables-restore names in its error, and that line's text. */
    readonly failedLine?: number,
    readonly failedInput?: string,
    /** errno name when the command could not be started (ENOENT: not installed); ETIMEDOUT when it was killed for taking too long. */
    readonly code?: string,
  ) {
    const status =
      code === 'ETIMEDOUT' ? 'timed out and was killed' : code ? `could not start (${code})` : exitCode === null ? 'was killed' : `exited ${exitCode}`;
    const where = failedLine === undefined ? '' : `; input line ${failedLine}: ${failedInput ?? '(beyond the input)'}`;
    super(`iptables ${operation} (${family}): ${command.join(' ')} ${status}: ${stderr.trim() || '(no stderr)'}${where}`);
    this.name = 'IptablesCommandError';
  }
}

/**
 * The input line an iptables-restore error names. Seen with iptables 1.8.9:
 *   legacy: "iptables-restore: line 4 failed"
 *   nft:    "iptables-nft-restore: line 4 failed: No chain/target/match by that name."
 *   nft:    "line 4: CHAIN_DEL failed (Device or resource busy): chain A"
 *   both:   "Error occurred at line: 2" (a parse error in that line)
 */
export function failedRestoreLine(stderr: string): number | undefined {
  const m = /\bline:? (\d+)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

export class CommandIptablesRunner implements IptablesRunner {
  readonly backend: IptablesBackend;
  private readonly prefix: string[];
  private readonly waitSeconds: number;
  private readonly timeoutMs: number;

  constructor(options: CommandIptablesRunnerOptions = {}) {
    this.backend = options.backend ?? backendFromEnv();
    this.prefix = options.prefix ?? [];
    this.waitSeconds = options.waitSeconds ?? 5;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async save(family: IptablesFamily): Promise<string> {
    const command = [...this.prefix, iptablesCommand(this.backend, family, 'save')];
    const result = await run(command, '', this.timeoutMs);
    if (result.exitCode !== 0 || result.spawnError) {
      throw new IptablesCommandError('save', family, command, result.exitCode, result.stderr, undefined, undefined, result.spawnError);
    }
    return result.stdout;
  }

  async restore(family: IptablesFamily, input: string): Promise<void> {
    const command = [...this.prefix, iptablesCommand(this.backend, family, 'restore'), '--noflush', `--wait=${this.waitSeconds}`];
    const result = await run(command, input, this.timeoutMs);
    if (result.exitCode !== 0 || result.spawnError) {
      const line = failedRestoreLine(result.stderr);
      const text = line === undefined ? undefined : input.split('\n')[line - 1];
      throw new IptablesCommandError('restore', family, command, result.exitCode, result.stderr, line, text, result.spawnError);
    }
  }
}

interface RunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  spawnError?: string;
}

function run(command: readonly string[], input: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      spawnError = 'ETIMEDOUT';
      child.kill('SIGKILL');
      // A grandchild (ip netns exec's, or a shell's) may hold the pipes open: stop waiting for them.
      child.stdout.destroy();
      child.stderr.destroy();
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    // A command that exits before reading all its input (a parse error) closes the pipe: the exit code says
    // what happened, EPIPE on stdin adds nothing.
    child.stdin.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError ??= e.code ?? e.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ...(spawnError ? { spawnError } : {}),
      });
    });
    child.stdin.end(input);
  });
}
