// Running the real tools (ip, modprobe, ipvsadm, ...) for the traffic fixture: argv arrays, never a shell,
// and errors that say which command failed and what it printed.
import { spawnSync } from 'node:child_process';

/** A command that exited non-zero (or could not start), with what it printed. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly status: number | null,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`${argv.join(' ')}: ${status === null ? 'did not run to completion' : `exit ${status}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  /** Written to the command's stdin (e.g. an `ip -batch -` script). */
  readonly input?: string;
  /** Return the result instead of throwing when the command fails. */
  readonly allowFailure?: boolean;
  /** Milliseconds before the command is killed; TCG guests are slow, so the default is generous. */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv[0] with argv[1..] synchronously and returns its output; throws CommandError on failure. */
export function runCommand(argv: readonly string[], options: RunOptions = {}): RunResult {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand: empty argv');
  const result = spawnSync(file, args, {
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  const status = result.error ? null : result.status;
  const stderr = result.error ? `${result.error.message}\n${result.stderr ?? ''}` : result.stderr;
  const outcome: RunResult = { status, stdout: result.stdout ?? '', stderr: stderr ?? '' };
  if (status !== 0 && !options.allowFailure) throw new CommandError(argv, status, outcome.stderr, outcome.stdout);
  return outcome;
}
