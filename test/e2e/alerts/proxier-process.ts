// The real `ipvs-proxier` command as a child process, with the command line the chart's DaemonSet renders:
// what Prometheus scrapes is then a separate process at the chart's metrics address. The down check freezes
// it (SIGSTOP) rather than restarting it: a hung proxier answers no scrape either, and a fresh start costs
// half a minute of module loading in the emulated VM.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { connectAddress, type ProxierCommand } from '../../../e2e/monitoring/chart-proxier-command.js';

const LOG_LINES_KEPT = 60;

export class ProxierProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly lines: string[] = [];

  constructor(
    private readonly cmd: ProxierCommand,
    private readonly repoRoot: string,
    /** Each log line as it comes (e.g. to the test output). */
    private readonly onLine: (line: string) => void = () => {},
  ) {}

  /** Starts the command; resolves once /healthz answers 200 (the first sync is done). */
  async start(timeoutMs = 240_000): Promise<void> {
    if (this.child) throw new Error('the proxier is already running');
    const [name, ...rest] = this.cmd.command;
    // The image's `ipvs-proxier` is this repository's bin.
    const bin = name === 'ipvs-proxier' ? join(this.repoRoot, 'lib/cli/ipvs-proxier') : name!;
    const child = spawn(bin, [...rest, ...this.cmd.args], { env: { ...process.env, ...this.cmd.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let exitText: string | undefined;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exitText = signal ? `signal ${signal}` : `exit code ${code}`;
        this.child = undefined;
        resolve();
      });
      child.on('error', (e) => {
        exitText = `could not start ${bin}: ${e.message}`;
        this.child = undefined;
        resolve();
      });
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (b: Buffer) => {
        for (const line of b.toString('utf8').split('\n')) {
          if (line.trim() === '') continue;
          this.lines.push(line);
          if (this.lines.length > LOG_LINES_KEPT) this.lines.shift();
          this.onLine(line);
        }
      });
    }
    const healthz = `http://${connectAddress(this.cmd.healthzBindAddress)}/healthz`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exitText) throw new Error(`ipvs-proxier ended before its first sync (${exitText}); last log lines:\n${this.logTail()}`);
      try {
        if ((await fetch(healthz, { signal: AbortSignal.timeout(2000) })).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`ipvs-proxier: ${healthz} did not answer 200 within ${timeoutMs} ms; last log lines:\n${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGSTOP: the process stays, but answers nothing (scrapes time out). */
  freeze(): void {
    if (!this.child?.kill('SIGSTOP')) throw new Error('ipvs-proxier is not running: cannot freeze it');
  }

  /** SIGCONT after freeze(). */
  thaw(): void {
    if (!this.child?.kill('SIGCONT')) throw new Error('ipvs-proxier is not running: cannot thaw it');
  }

  /** SIGTERM (the sync in progress finishes), SIGKILL after 30 s; resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    child.kill('SIGCONT'); // a frozen process acts on SIGTERM only once continued
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: no cleanup, no finishing the sync in progress (a crash, an OOM kill); resolves once it has exited. */
  async kill(): Promise<void> {
    if (!this.child?.kill('SIGKILL')) throw new Error('ipvs-proxier is not running: cannot kill it');
    await this.exited;
  }

  logTail(): string {
    return this.lines.map((l) => `  ${l}`).join('\n') || '  (nothing logged)';
  }
}
