// The `continue` token of a paged list, in the real API server's format (k8s.io/apiserver
// storage.EncodeContinue): unpadded base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}, where
// rv is the resourceVersion of the list's first page (every later page is read at it) and start is the
// key just after the last item sent (the trailing NUL makes it "strictly after"). Clients treat it as
// opaque; a malformed one is 400 "invalid continue token", as from the real server.

import { ApiError } from './api-error.js';

const TOKEN_VERSION = 'meta.k8s.io/v1';

/** Where a page starts: strictly after this object, in the store's key order. */
export interface PageStart {
  namespace: string | undefined;
  name: string;
}

export interface ContinuePoint {
  /** The resourceVersion every page of this list is read at. */
  resourceVersion: number;
  after: PageStart;
}

export function encodeContinue(point: ContinuePoint): string {
  const key = point.after.namespace === undefined ? point.after.name : `${point.after.namespace}/${point.after.name}`;
  const json = JSON.stringify({ v: TOKEN_VERSION, rv: point.resourceVersion, start: `${key}\u0000` });
  return Buffer.from(json, 'utf8').toString('base64url');
}

export function decodeContinue(token: string): ContinuePoint {
  const invalid = (why: string) => ApiError.badRequest(`invalid continue token: ${why}`);
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid('continue key is not valid: illegal base64 data');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid(`continue key is not valid: ${(error as Error).message}`);
  }
  const { v, rv, start } = (parsed ?? {}) as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== TOKEN_VERSION) throw invalid(`continue key is not valid: server does not recognize this encoded version ${String(v)}`);
  if (typeof rv !== 'number' || !Number.isInteger(rv) || rv <= 0) throw invalid('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof start !== 'string' || start === '') throw invalid('continue key is not valid: encoded start key empty (version meta.k8s.io/v1)');
  const key = start.endsWith('\u0000') ? start.slice(0, -1) : start;
  const slash = key.indexOf('/');
  return { resourceVersion: rv, after: slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) } };
}
