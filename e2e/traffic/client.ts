// Traffic from the node or from inside a namespace, for the e2e tests: a spread of N requests (who
// answered, how often, and every failure) and a steady stream (a request every X ms for Y ms, every
// failure with its time) for the restart-drops-nothing check.
//
// From the node, a spread runs in this process. From a namespace it runs in a child started with
// `ip netns exec NS node http-get.js ...` (a process cannot enter a network namespace from Node); a
// stream always runs in a child, so that a test blocking its own event loop (execFileSync, say) cannot
// delay requests and make up gaps. Starting node in the TCG guest takes seconds: send many requests per
// call rather than calling many times.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { httpGetOnce, spread, udpAskOnce, type Failure, type SpreadResult, type StreamReport } from './requests.js';
import { describeVantage, runScript, scriptArgv, type Vantage } from './vantage.js';

export type { Answer, Failure, SpreadResult, StreamReport } from './requests.js';
export { inNetns, type Vantage } from './vantage.js';

/** How long a child may take to start node and get going, on a loaded TCG guest. */
const CHILD_START_BUDGET_MS = 60_000;

export interface SpreadOptions {
  /** Per request, connect to answer. Default 5000 (a TCG guest on a busy host stalls for seconds). */
  readonly timeoutMs?: number;
  /** Requests in flight at once. Default 4. */
  readonly concurrency?: number;
}

/**
 * Sends n HTTP GETs to url from `from`, each on a new connection (so IPVS schedules each anew), and
 * tallies the answering pods. Never throws for failed requests (they are in `failures`); throws if the
 * client itself could not run.
 */
export async function httpSpread(from: Vantage, url: string, n: number, options: SpreadOptions = {}): Promise<SpreadResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const concurrency = options.concurrency ?? 4;
  if (from === 'node') return spread(n, concurrency, () => httpGetOnce(url, timeoutMs));
  const args = [url, String(n), '--timeout-ms', String(timeoutMs), '--concurrency', String(concurrency)];
  return JSON.parse(await runScript(from, 'http-get.js', args, childBudgetMs(n, concurrency, timeoutMs))) as SpreadResult;
}

/** As httpSpread, for UDP: n datagrams to host:port, each from a new source port. */
export async function udpSpread(from: Vantage, host: string, port: number, n: number, options: SpreadOptions = {}): Promise<SpreadResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const concurrency = options.concurrency ?? 4;
  if (from === 'node') return spread(n, concurrency, () => udpAskOnce(host, port, timeoutMs));
  const args = [host, String(port), String(n), '--timeout-ms', String(timeoutMs), '--concurrency', String(concurrency)];
  return JSON.parse(await runScript(from, 'udp-get.js', args, childBudgetMs(n, concurrency, timeoutMs))) as SpreadResult;
}

export interface SteadyStreamOptions {
  /** Default 50. */
  readonly intervalMs?: number;
  /** How long to keep sending. */
  readonly durationMs: number;
  /** Per request. Default 5000. */
  readonly timeoutMs?: number;
  /** Called as each failure is reported (while the stream runs). */
  readonly onFailure?: (failure: Failure) => void;
}

/** A running steady stream. */
export interface SteadyStream {
  /** Resolves (with the start time, ms since the epoch) once the first request is out: wait for it before disturbing anything. */
  readonly started: Promise<number>;
  /** Failures reported so far. */
  readonly failures: readonly Failure[];
  /** The final report, once the duration has passed and the requests in flight have finished. */
  readonly done: Promise<StreamReport>;
  /** Stops sending early and resolves with the report. */
  stop(): Promise<StreamReport>;
}

/**
 * Starts a steady stream of HTTP GETs to url from `from`: one every intervalMs for durationMs, none
 * waiting for the one before. Await `started` before the disruption under test, then `done`.
 */
export function steadyStream(from: Vantage, url: string, options: SteadyStreamOptions): SteadyStream {
  const intervalMs = options.intervalMs ?? 50;
  const timeoutMs = options.timeoutMs ?? 5000;
  const argv = scriptArgv(from, 'http-stream.js', [url, '--interval-ms', String(intervalMs), '--duration-ms', String(options.durationMs), '--timeout-ms', String(timeoutMs)]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const where = `http-stream at ${describeVantage(from)}`;
  const failures: Failure[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_START_BUDGET_MS + options.durationMs + timeoutMs + 10_000);

  let report: StreamReport | undefined;
  let markStarted!: (at: number) => void;
  const started = new Promise<number>((resolve) => (markStarted = resolve));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const { event, ...value } = JSON.parse(line) as { event: string } & Record<string, unknown>;
    if (event === 'started') markStarted(value['at'] as number);
    else if (event === 'failure') {
      failures.push(value as unknown as Failure);
      options.onFailure?.(value as unknown as Failure);
    } else if (event === 'report') report = value as unknown as StreamReport;
  });
  const done = new Promise<StreamReport>((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`${where}: ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      if (code === 0 && report) resolve(report);
      else reject(new Error(`${where}: ${signal ? `killed by ${signal}` : `exit ${code}`} without a report: ${stderr.trim()}`));
    });
  });
  // `started` also settles if the child dies first; neither promise may become an unhandled rejection.
  const startedOrDied = Promise.race([started, done.then(() => Promise.reject(new Error(`${where}: ended before starting`)))]);
  startedOrDied.catch(() => {});
  done.catch(() => {});
  return {
    started: startedOrDied,
    failures,
    done,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return done;
    },
  };
}

/** The longest a spread child may take: start-up, then every request timing out. */
function childBudgetMs(n: number, concurrency: number, timeoutMs: number): number {
  return CHILD_START_BUDGET_MS + Math.ceil(n / concurrency) * timeoutMs;
}
