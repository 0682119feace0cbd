// Content negotiation: which representation a client asked for (Accept) and
// how its request body is encoded (Content-Type).

import { parse as parseYaml } from 'yaml';
import { ApiError } from './api-error.js';

export type ResponseFormat = { kind: 'json' } | { kind: 'table'; apiVersion: string };

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [type = '', ...rawParams] = part.split(';').map((s) => s.trim());
      const params = new Map<string, string>();
      for (const raw of rawParams) {
        const eq = raw.indexOf('=');
        if (eq > 0) params.set(raw.slice(0, eq).trim().toLowerCase(), raw.slice(eq + 1).trim().replace(/^"|"$/g, ''));
      }
      return { type: type.toLowerCase(), params };
    });
}

function isJsonLike(type: string): boolean {
  return type === 'application/json' || type === '*/*' || type === 'application/*';
}

/**
 * kubectl asks for "application/json;as=Table;v=v1;g=meta.k8s.io, ...,
 * application/json"; clients that only want objects send plain JSON. A
 * conversion this server cannot do (PartialObjectMetadata, protobuf) is
 * skipped in favour of the next acceptable range, as the API server does.
 */
export function negotiateResponse(acceptHeader: string | undefined, tableAllowed: boolean): ResponseFormat {
  if (acceptHeader === undefined || acceptHeader.trim() === '') return { kind: 'json' };
  for (const range of parseMediaRanges(acceptHeader)) {
    if (!isJsonLike(range.type)) continue;
    const as = range.params.get('as');
    if (as === undefined) return { kind: 'json' };
    if (as === 'Table' && tableAllowed && range.params.get('g') === 'meta.k8s.io') {
      const version = range.params.get('v');
      if (version === 'v1' || version === 'v1beta1') return { kind: 'table', apiVersion: `meta.k8s.io/${version}` };
    }
  }
  throw ApiError.notAcceptable(acceptHeader);
}

/** Media types accepted as request bodies for create/update. */
export function decodeBody(contentType: string | undefined, raw: string): unknown {
  const type = (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  try {
    if (type === 'application/json' || type === '') return JSON.parse(raw);
    if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(raw);
  } catch (error) {
    throw ApiError.badRequest(`the body of the request could not be decoded: ${(error as Error).message}`);
  }
  throw ApiError.unsupportedMediaType(type);
}

export type PatchType = 'merge' | 'json';

export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/merge-patch+json') return 'merge';
  if (type === 'application/json-patch+json') return 'json';
  if (type === 'application/strategic-merge-patch+json' || type === 'application/apply-patch+yaml') {
    throw new ApiError(415, 'UnsupportedMediaType', `this stand-in API server does not implement ${type} patches; use --type=merge or --type=json`);
  }
  throw ApiError.unsupportedMediaType(type);
}
