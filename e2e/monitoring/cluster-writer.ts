// The alert checks change the cluster the proxier watches through the API server's REST API, as kubectl
// would: the same code then works with the in-process stand-in API server and with one in another process
// (the proxier running as the chart's pod).
export interface ClusterWriter {
  /** Creates a Service or EndpointSlice (namespace from its metadata). */
  create(object: KubeObject): Promise<void>;
  /** Deletes it; absent is fine (cleanup). */
  delete(object: KubeObject): Promise<void>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; [key: string]: unknown };
  [key: string]: unknown;
}

const PLURAL: Record<string, string> = { Service: 'services', EndpointSlice: 'endpointslices' };

function collectionPath(o: KubeObject): string {
  const plural = PLURAL[o.kind];
  if (!plural) throw new Error(`cluster writer: ${o.kind} is not supported (only ${Object.keys(PLURAL).join(', ')})`);
  const prefix = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${prefix}/namespaces/${encodeURIComponent(o.metadata.namespace)}/${plural}`;
}

/** A writer for the API server at `baseUrl` (http://127.0.0.1:PORT; no authentication). */
export function restClusterWriter(baseUrl: string): ClusterWriter {
  const request = async (method: string, path: string, body?: unknown): Promise<Response> => {
    try {
      return await fetch(`${baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new Error(`${method} ${baseUrl}${path}: ${(err as Error).message}`);
    }
  };
  return {
    async create(o) {
      const r = await request('POST', collectionPath(o), o);
      if (r.status !== 201 && r.status !== 200) {
        throw new Error(`creating ${o.kind} ${o.metadata.namespace}/${o.metadata.name}: HTTP ${r.status}: ${await r.text()}`);
      }
    },
    async delete(o) {
      const r = await request('DELETE', `${collectionPath(o)}/${encodeURIComponent(o.metadata.name)}`);
      if (r.status !== 200 && r.status !== 202 && r.status !== 404) {
        throw new Error(`deleting ${o.kind} ${o.metadata.namespace}/${o.metadata.name}: HTTP ${r.status}: ${await r.text()}`);
      }
    },
  };
}
