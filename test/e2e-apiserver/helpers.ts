// Shared fixtures for the stand-in API server tests: an in-process server on
// a free port, raw HTTP helpers and a line reader for watch streams.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, type ApiServerOptions } from '../../e2e/apiserver-src/api-server.js';
import { writeKubeconfig } from '../../e2e/apiserver-src/kubeconfig.js';

export interface RunningServer {
  server: ApiServer;
  url: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export async function startServer(options: ApiServerOptions = {}): Promise<RunningServer> {
  const server = new ApiServer({ port: 0, ...options });
  const url = await server.listen();
  const dir = await mkdtemp(join(tmpdir(), 'e2e-apiserver-test-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, url);
  return {
    server,
    url,
    kubeconfigPath,
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse {
  status: number;
  body: any; // tests poke at arbitrary JSON
  contentType: string | null;
}

export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const init: RequestInit = { method, headers: { accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(url + path, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, contentType: response.headers.get('content-type') };
}

export interface WatchEvent {
  type: string;
  object: any;
}

/** Reads a watch stream event by event. */
export class WatchReader {
  private readonly events: WatchEvent[] = [];
  private waiters: Array<() => void> = [];
  private ended = false;
  private readonly controller = new AbortController();

  private constructor(readonly status: number) {}

  static async open(url: string, path: string, headers: Record<string, string> = {}): Promise<WatchReader> {
    const controller = new AbortController();
    const response = await fetch(url + path, { headers: { accept: 'application/json', ...headers }, signal: controller.signal });
    const reader = new WatchReader(response.status);
    reader.controller.signal.addEventListener('abort', () => controller.abort());
    void reader.pump(response);
    return reader;
  }

  /** The next event; rejects after timeoutMs (a safety net, not a performance check) or when the stream ends first. */
  async next(timeoutMs = 2000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.events.shift();
      if (event !== undefined) return event;
      if (this.ended) throw new Error('watch stream ended');
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('no watch event within the time limit');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server has ended the stream (after any remaining events were read). */
  async ends(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended || this.events.length > 0) {
      if (this.events.length > 0) throw new Error(`unexpected event before the end: ${JSON.stringify(this.events[0])}`);
      if (Date.now() > deadline) throw new Error('watch stream did not end within the time limit');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  close(): void {
    this.controller.abort();
  }

  private async pump(response: Response): Promise<void> {
    let buffered = '';
    try {
      const decoder = new TextDecoder();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line !== '') this.events.push(JSON.parse(line) as WatchEvent);
        }
        this.wake();
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Polls until the condition holds; the limit is a safety net against hangs, not a performance assertion. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function service(name: string, spec: Record<string, unknown> = {}, namespace = 'default'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}
