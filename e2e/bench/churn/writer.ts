// The churn writer: replaces one endpoint of a random Service at a fixed rate through the API, as the
// EndpointSlice controller does (PUT of the whole slice, with `endpoints.kubernetes.io/last-change-trigger-time`
// set to when the change was decided). Open loop: each change is due at start + seq/rate whatever the API
// server's speed, and how late each write went out is recorded.
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
      put(o.baseUrl, change, () => stats.retried++).then(
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
  return stats;
}

/**
 * PUT of the slice (a whole replacement: sending it again is harmless). A connection-level failure is retried
 * once: undici reuses a kept-alive socket the server may be closing (Node's server drops idle ones after 5 s),
 * which fails with "fetch failed" before the server saw the request.
 */
async function put(baseUrl: string, change: Change, onRetry: () => void): Promise<void> {
  const slice = endpointSlice(change.service, change.podIps, Date.now());
  const path = `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices/${sliceName(change.service)}`;
  const send = (): Promise<Response> =>
    fetch(`${baseUrl}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(slice),
      signal: AbortSignal.timeout(WRITE_TIMEOUT_MS),
    });
  let r: Response;
  try {
    r = await send();
  } catch (first) {
    if (first instanceof Error && first.name === 'TimeoutError') throw new Error(`PUT ${path} (change ${change.seq}): no answer within ${WRITE_TIMEOUT_MS} ms`);
    onRetry();
    try {
      r = await send();
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause;
      throw new Error(`PUT ${path} (change ${change.seq}): ${(e as Error).message}${cause instanceof Error ? `: ${cause.message}` : ''} (after one retry)`);
    }
  }
  const body = await r.text();
  if (r.status !== 200) throw new Error(`PUT ${path} (change ${change.seq}): HTTP ${r.status}: ${body.slice(0, 300)}`);
}
