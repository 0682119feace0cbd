// The churn writer: replaces one endpoint of a random Service at a fixed rate through the API, as the
// EndpointSlice controller does (PUT of the whole slice, with `endpoints.kubernetes.io/last-change-trigger-time`
// set to when the change was decided). Open loop: each change is due at start + seq/rate whatever the API
// server's speed, and how late each write went out is recorded.
import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { dueAt, type Change, type ChangeSource } from './changes.js';
import { endpointSlice, NAMESPACE, sliceName } from './cluster-objects.js';

export interface WriterStats {
  /** Writes answered 200. */
  written: number;
  /** Due changes not made: every Service busy, or too many writes still unanswered. */
  skipped: number;
  failed: number;
  /** Writes sent again after a connection-level failure (a kept-alive socket the server had just closed). */
  retried: number;
  firstError?: string;
  /** How late each write was sent after it was due (ms). */
  lateMs: number[];
  /** PUT round trips (ms). */
  writeMs: number[];
}

/** Writes not answered yet beyond which a due change is skipped (a stalled API server must not pile up sockets). */
const MAX_IN_FLIGHT = 200;
const WRITE_TIMEOUT_MS = 30_000;

export interface WriterOptions {
  baseUrl: string;
  rate: number;
  durationMs: number;
  /** The monotonic clock (ms) latencies are measured on. */
  now: () => number;
  /** A Service the observer still waits on. */
  observing: (service: number) => boolean;
  /** Each change once the API server has answered its write (the time of that answer). */
  onWritten: (change: Change, answeredAt: number) => void;
}

export async function runWriter(source: ChangeSource, o: WriterOptions): Promise<WriterStats> {
  const stats: WriterStats = { written: 0, skipped: 0, failed: 0, retried: 0, lateMs: [], writeMs: [] };
  const inFlight = new Set<number>();
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const writes: Promise<void>[] = [];
  const start = o.now();
  for (let k = 0; ; k++) {
    const due = dueAt(start, k, o.rate);
    if (due >= start + o.durationMs) break;
    const wait = due - o.now();
    if (wait > 0) await sleep(wait);
    const change = inFlight.size < MAX_IN_FLIGHT ? source.next((s) => inFlight.has(s) || o.observing(s)) : undefined;
    if (!change) {
      stats.skipped++;
      continue;
    }
    inFlight.add(change.service);
    const sent = o.now();
    stats.lateMs.push(sent - due);
    writes.push(
      put(agent, o.baseUrl, change, () => stats.retried++).then(
        () => {
          const answered = o.now();
          stats.written++;
          stats.writeMs.push(answered - sent);
          o.onWritten(change, answered);
        },
        (e: unknown) => {
          stats.failed++;
          stats.firstError ??= e instanceof Error ? e.message : String(e);
        },
      ).finally(() => inFlight.delete(change.service)),
    );
  }
  await Promise.all(writes);
  agent.destroy();
  return stats;
}

/**
 * PUT of the slice (a whole replacement: sending it again is harmless) over node:http with kept-alive
 * sockets: fetch (undici) cost the guest about twice the CPU per request, which at 50 writes/s took a vCPU
 * from the proxier. A connection-level failure is retried once: a kept-alive socket the server is closing
 * (Node's server drops idle ones after 5 s) fails before the server saw the request.
 */
async function put(agent: Agent, baseUrl: string, change: Change, onRetry: () => void): Promise<void> {
  const slice = endpointSlice(change.service, change.podIps, Date.now());
  const path = `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices/${sliceName(change.service)}`;
  const body = JSON.stringify(slice);
  let answer: { status: number; text: string };
  try {
    answer = await request(agent, `${baseUrl}${path}`, body);
  } catch (first) {
    if ((first as Error).name === 'TimeoutError') throw new Error(`PUT ${path} (change ${change.seq}): ${(first as Error).message}`);
    onRetry();
    try {
      answer = await request(agent, `${baseUrl}${path}`, body);
    } catch (e) {
      throw new Error(`PUT ${path} (change ${change.seq}): ${(e as Error).message} (after one retry)`);
    }
  }
  if (answer.status !== 200) throw new Error(`PUT ${path} (change ${change.seq}): HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
}

function request(agent: Agent, url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'PUT', agent, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(WRITE_TIMEOUT_MS, () => {
      const e = new Error(`no answer within ${WRITE_TIMEOUT_MS} ms`);
      e.name = 'TimeoutError';
      req.destroy(e);
    });
    req.on('error', reject);
    req.end(body);
  });
}
