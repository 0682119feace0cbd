// Sending requests to pod-server and tallying who answered: one HTTP GET or one UDP question at a time,
// many of them with bounded concurrency (a spread), or one every X ms for Y ms (a steady stream). Used
// in-process from the node and by the small CLIs (http-get, http-stream, udp-get) that client.ts starts
// inside network namespaces. Every request has its own timeout and every count is bounded: the only
// network is the VM's own namespaces, so nothing should ever take long.
import { createSocket } from 'node:dgram';
import { request } from 'node:http';

/** The response header in which pod-server says which source address it saw. */
export const REMOTE_ADDRESS_HEADER = 'x-remote-address';

/** Upper bounds on what a caller may ask for. */
export const MAX_REQUESTS = 100_000;
export const MAX_CONCURRENCY = 64;
/** 30 minutes: the fault suite's SIGKILL case streams through writing, listing and applying 10,000 Services twice. */
export const MAX_STREAM_DURATION_MS = 1_800_000;

/** One successful answer. */
export interface Answer {
  /** The answering pod's name (pod-server's body without the newline). */
  readonly pod: string;
  /** The client address the pod saw (HTTP only; '' for UDP). */
  readonly remoteAddress: string;
}

/** One failed request: when it was sent, how long until it failed, and why. */
export interface Failure {
  /** 0-based number of the request within its spread or stream. */
  readonly seq: number;
  /** When it was sent, ms since the epoch (the VM's clock, shared by every namespace). */
  readonly at: number;
  /** `at` as an ISO string, for humans. */
  readonly atIso: string;
  /** From sending to failing. */
  readonly elapsedMs: number;
  /** e.g. "ECONNREFUSED", "timeout after 2000 ms", "HTTP 503". */
  readonly error: string;
}

/** The tally of a spread (and the base of a stream report). */
export interface SpreadResult {
  readonly total: number;
  readonly ok: number;
  /** Answers per pod name. */
  readonly counts: Record<string, number>;
  /** Per pod name, the distinct client addresses it saw (sorted). */
  readonly remoteAddresses: Record<string, string[]>;
  /** Every failure, in order of sending. */
  readonly failures: Failure[];
  readonly elapsedMs: number;
}

/** A steady stream's report. */
export interface StreamReport extends SpreadResult {
  readonly intervalMs: number;
  /** When the first and the last request were sent (ms since the epoch). */
  readonly startedAt: number;
  readonly lastSentAt: number;
  /** The slowest successful request. */
  readonly maxLatencyMs: number;
}

/** Something that sends one request and resolves with the answer or rejects with why it failed. */
export type SendOne = () => Promise<Answer>;

/** One HTTP GET on a new connection, failing after timeoutMs (connect, response and body together). */
export function httpGetOnce(url: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new Error(describeError(e, timeoutMs))));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        const remote = res.headers[REMOTE_ADDRESS_HEADER];
        resolve({ pod: Buffer.concat(chunks).toString('utf8').trim(), remoteAddress: typeof remote === 'string' ? remote : '' });
      });
    });
    req.on('error', (e) => reject(new Error(describeError(e, timeoutMs))));
    req.end();
  });
}

/** One UDP datagram from a new socket (so a new source port: IPVS schedules it anew); waits for the reply. */
export function udpAskOnce(host: string, port: number, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const finish = (outcome: () => void): void => {
      clearTimeout(timer);
      socket.close();
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`timeout after ${timeoutMs} ms`))), timeoutMs);
    socket.once('message', (msg) => finish(() => resolve({ pod: msg.toString('utf8').trim(), remoteAddress: '' })));
    // A port-unreachable ICMP surfaces as an error on a connected socket: fail fast, like TCP's RST.
    socket.once('error', (e) => finish(() => reject(new Error(describeError(e, timeoutMs)))));
    socket.connect(port, host, () => socket.send('?'));
  });
}

/** Sends n requests, at most `concurrency` at a time, and tallies the answers. */
export async function spread(n: number, concurrency: number, send: SendOne): Promise<SpreadResult> {
  checkCount('requests', n, 1, MAX_REQUESTS);
  checkCount('concurrency', concurrency, 1, MAX_CONCURRENCY);
  const tally = new Tally();
  const started = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await tally.send(next++, send);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return tally.result(Date.now() - started);
}

export interface StreamOptions {
  readonly intervalMs: number;
  readonly durationMs: number;
  /** Called as each failure happens (the CLI prints it at once). */
  readonly onFailure?: (failure: Failure) => void;
  /** Called once the first request has been sent. */
  readonly onStarted?: (at: number) => void;
  /** Stops sending early; requests in flight still finish. */
  readonly signal?: AbortSignal;
}

/**
 * Sends a request every intervalMs for durationMs, without waiting for earlier ones (open loop, like
 * real clients: a stalled request must not hide the ones after it), then waits for those in flight.
 */
export async function stream(options: StreamOptions, send: SendOne): Promise<StreamReport> {
  checkCount('interval', options.intervalMs, 1, MAX_STREAM_DURATION_MS);
  checkCount('duration', options.durationMs, 1, MAX_STREAM_DURATION_MS);
  const tally = new Tally(options.onFailure);
  const startedAt = Date.now();
  const inFlight: Promise<void>[] = [];
  let lastSentAt = startedAt;
  for (let seq = 0; seq * options.intervalMs < options.durationMs && !options.signal?.aborted; seq++) {
    const due = startedAt + seq * options.intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait, options.signal);
    if (options.signal?.aborted) break;
    lastSentAt = Date.now();
    inFlight.push(tally.send(seq, send));
    if (seq === 0) options.onStarted?.(startedAt);
  }
  await Promise.all(inFlight);
  const result = tally.result(Date.now() - startedAt);
  return { ...result, intervalMs: options.intervalMs, startedAt, lastSentAt, maxLatencyMs: tally.maxLatencyMs };
}

/** Accumulates answers and failures. */
class Tally {
  private total = 0;
  private ok = 0;
  private readonly counts = new Map<string, number>();
  private readonly remotes = new Map<string, Set<string>>();
  private readonly failures: Failure[] = [];
  maxLatencyMs = 0;

  constructor(private readonly onFailure?: (failure: Failure) => void) {}

  async send(seq: number, send: SendOne): Promise<void> {
    const at = Date.now();
    this.total++;
    try {
      const answer = await send();
      this.ok++;
      this.maxLatencyMs = Math.max(this.maxLatencyMs, Date.now() - at);
      this.counts.set(answer.pod, (this.counts.get(answer.pod) ?? 0) + 1);
      if (answer.remoteAddress) {
        const seen = this.remotes.get(answer.pod) ?? new Set<string>();
        seen.add(answer.remoteAddress);
        this.remotes.set(answer.pod, seen);
      }
    } catch (e) {
      const failure: Failure = { seq, at, atIso: new Date(at).toISOString(), elapsedMs: Date.now() - at, error: e instanceof Error ? e.message : String(e) };
      this.failures.push(failure);
      this.onFailure?.(failure);
    }
  }

  result(elapsedMs: number): SpreadResult {
    const sorted = <T>(m: Map<string, T>): [string, T][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      total: this.total,
      ok: this.ok,
      counts: Object.fromEntries(sorted(this.counts)),
      remoteAddresses: Object.fromEntries(sorted(this.remotes).map(([pod, s]) => [pod, [...s].sort()])),
      failures: [...this.failures].sort((a, b) => a.seq - b.seq),
      elapsedMs,
    };
  }
}

/** "ECONNREFUSED" rather than a full sentence: failures are compared and grouped by this. */
function describeError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')) return `timeout after ${timeoutMs} ms`;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}

function checkCount(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${what} must be an integer in [${min}, ${max}], got ${value}`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
