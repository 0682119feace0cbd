// Debian's real `prometheus` (server 2.42) as a child process: our generated config (one scrape job, scrape
// and evaluation intervals of seconds so that `for:` durations of seconds mean something), the chart's rule file,
// a throwaway TSDB. Everything the alert checks read goes through its HTTP API, as an operator's would.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { freePort } from './free-port.js';

const exec = promisify(execFile);

export interface PrometheusOptions {
  /** The rule file's text (see ruleFileFromManifests). */
  ruleFile: string;
  /** The scrape job's name, i.e. the `job` label the rules select (serviceMonitor.jobName). */
  job: string;
  /** host:port of each metrics endpoint to scrape. */
  targets: string[];
  /** Labels every scraped series gets (the chart's ServiceMonitor adds `node`). */
  targetLabels?: Record<string, string>;
  /**
   * scrape_interval (and scrape_timeout, which cannot exceed it); default 2: in the emulated VM on a busy
   * machine the proxier's /metrics took longer than 1 s to answer now and then, and each such scrape is an
   * `up == 0` for the down alerts.
   */
  scrapeIntervalSeconds?: number;
  /** evaluation_interval; default 1. */
  evaluationIntervalSeconds?: number;
  /** How long to wait for /-/ready; default 60 s (the e2e VM emulates its CPU). */
  readyTimeoutMs?: number;
  /** Default `prometheus` and `promtool` from PATH (Debian package prometheus). */
  prometheusBinary?: string;
  promtoolBinary?: string;
}

/** An entry of /api/v1/alerts: only pending and firing alerts are listed. */
export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

/** A rule of /api/v1/rules. */
export interface RuleStatus {
  name: string;
  type: 'alerting' | 'recording';
  state?: 'inactive' | 'pending' | 'firing';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  query: string;
  /** The rule's `for`, in seconds. */
  duration?: number;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface WaitResult {
  /** From the call to the moment the state was seen. */
  elapsedMs: number;
  /** The alerts of that name when it was seen (empty for 'inactive'). */
  alerts: Alert[];
}

const LOG_LINES_KEPT = 40;

export class PrometheusServer {
  private readonly logLines: string[] = [];
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly dir: string,
    readonly job: string,
  ) {
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.logLines.push(line);
        if (this.logLines.length > LOG_LINES_KEPT) this.logLines.shift();
      }
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      });
      // Not started at all (ENOENT: the Debian package prometheus is not installed): no 'exit' follows.
      child.on('error', (e) => {
        this.logLines.push(`could not run prometheus: ${e.message}`);
        this.exited ??= { code: null, signal: null };
        resolve();
      });
    });
  }

  /**
   * Checks the rules with promtool, writes the config, starts prometheus on a free 127.0.0.1 port and
   * resolves once /-/ready answers 200. Rejects with promtool's output, or with prometheus's last log
   * lines when it exits early or is not ready in time.
   */
  static async start(o: PrometheusOptions): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'ipvs-prometheus-'));
    try {
      const rulePath = join(dir, 'rules.yaml');
      await writeFile(rulePath, o.ruleFile);
      await checkRules(o.promtoolBinary ?? 'promtool', rulePath);
      const configPath = join(dir, 'prometheus.yaml');
      await writeFile(configPath, prometheusConfig(o, rulePath));
      // The free port may be taken before prometheus binds it: try a few.
      let lastError: Error | undefined;
      for (let attempt = 1; attempt <= 3; attempt++) {
        const port = await freePort();
        const server = PrometheusServer.spawn(o, dir, configPath, port);
        try {
          await server.waitReady(o.readyTimeoutMs ?? 60_000);
          return server;
        } catch (err) {
          await server.kill();
          lastError = err as Error;
          if (!/address already in use/.test(lastError.message)) break;
        }
      }
      throw lastError!;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private static spawn(o: PrometheusOptions, dir: string, configPath: string, port: number): PrometheusServer {
    const args = [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Nothing outlives the test: no need to keep blocks or to wait for a WAL fsync policy.
      '--storage.tsdb.retention.time=1h',
    ];
    const child = spawn(o.prometheusBinary ?? 'prometheus', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new PrometheusServer(child, `http://127.0.0.1:${port}`, dir, o.job);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) {
        throw new Error(`prometheus exited before it was ready (${exitText(this.exited)}); its last log lines:\n${this.logTail()}`);
      }
      try {
        const r = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`prometheus at ${this.url} was not ready within ${timeoutMs} ms; its last log lines:\n${this.logTail()}`);
      }
      await sleep(250);
    }
  }

  /** The last lines prometheus logged. */
  logTail(): string {
    return this.logLines.map((l) => `  ${l}`).join('\n') || '  (nothing logged)';
  }

  /** GET /api/v1/alerts: the pending and firing alerts. */
  async alerts(): Promise<Alert[]> {
    return (await this.api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
  }

  /** GET /api/v1/rules: every rule with its state and health. */
  async rules(): Promise<RuleStatus[]> {
    const data = await this.api<{ groups: { rules: RuleStatus[] }[] }>('/api/v1/rules');
    return data.groups.flatMap((g) => g.rules);
  }

  /** An instant query. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType !== 'vector') throw new Error(`query ${expr}: result type ${data.resultType}, expected vector`);
    return data.result;
  }

  /**
   * Polls /api/v1/alerts until alert `name` is in `state` ('inactive': neither pending nor firing, as
   * resolved alerts leave the list). On timeout the error says what did not happen and shows the alerts
   * last seen. `hint` is added to that error (what to check when this alert does not come).
   */
  async waitForAlert(name: string, state: 'firing' | 'inactive', timeoutMs: number, hint = ''): Promise<WaitResult> {
    const known = (await this.rules()).map((r) => r.name);
    if (!known.includes(name)) throw new Error(`waitForAlert: no rule named ${name} is loaded (rules: ${known.join(', ')})`);
    const start = Date.now();
    let last: Alert[] = [];
    for (;;) {
      if (this.exited) throw new Error(`prometheus exited (${exitText(this.exited)}) while waiting for ${name} to be ${state}:\n${this.logTail()}`);
      last = await this.alerts();
      const mine = last.filter((a) => a.labels['alertname'] === name);
      const reached = state === 'firing' ? mine.some((a) => a.state === 'firing') : mine.length === 0;
      if (reached) return { elapsedMs: Date.now() - start, alerts: mine };
      if (Date.now() - start > timeoutMs) {
        throw new Error(
          `alert ${name} did not become ${state} within ${timeoutMs} ms${hint ? ` (${hint})` : ''}; ` +
            `alerts last seen:\n${formatAlerts(last)}`,
        );
      }
      await sleep(500);
    }
  }

  /** SIGTERM, up to 10 s to finish, then SIGKILL; removes the TSDB and config directory. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async kill(): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exitPromise;
    clearTimeout(timer);
  }

  private async api<T>(path: string): Promise<T> {
    let r: Response;
    try {
      r = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new Error(`GET ${this.url}${path}: ${(err as Error).message}; prometheus's last log lines:\n${this.logTail()}`);
    }
    const body = (await r.json()) as { status: string; data: T; error?: string };
    if (r.status !== 200 || body.status !== 'success') throw new Error(`GET ${this.url}${path}: HTTP ${r.status}: ${body.error ?? JSON.stringify(body)}`);
    return body.data;
  }
}

/** The prometheus.yaml for these options (exported for the unit test). */
export function prometheusConfig(
  o: Pick<PrometheusOptions, 'job' | 'targets' | 'targetLabels' | 'scrapeIntervalSeconds' | 'evaluationIntervalSeconds'>,
  rulePath: string,
): string {
  const scrape = `${o.scrapeIntervalSeconds ?? 2}s`;
  return stringify({
    global: { scrape_interval: scrape, scrape_timeout: scrape, evaluation_interval: `${o.evaluationIntervalSeconds ?? 1}s` },
    rule_files: [rulePath],
    scrape_configs: [
      {
        job_name: o.job,
        static_configs: [{ targets: o.targets, ...(o.targetLabels ? { labels: o.targetLabels } : {}) }],
      },
    ],
  });
}

async function checkRules(promtool: string, rulePath: string): Promise<void> {
  try {
    await exec(promtool, ['check', 'rules', rulePath]);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool check rules ${rulePath} failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

export function formatAlerts(alerts: readonly Alert[]): string {
  if (alerts.length === 0) return '  (no pending or firing alerts)';
  return alerts
    .map((a) => {
      const { alertname, ...labels } = a.labels;
      return `  ${alertname} ${a.state} since ${a.activeAt} value=${a.value} ${JSON.stringify(labels)}`;
    })
    .join('\n');
}

function exitText(e: { code: number | null; signal: NodeJS.Signals | null }): string {
  if (e.signal) return `signal ${e.signal}`;
  return e.code === null ? 'it did not start' : `exit code ${e.code}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
