// Lists in pages, as client-go's reflector does (tools/pager), rather than in one request: 10,000 Services
// are then twenty bounded responses instead of one the API server must build whole, and a list that
// outgrows the server's limits still works. The pages are collected and handed over as one list, so the
// watcher delivers nothing until the last page is in: the proxier never syncs from a partial list. The
// API server serves every page at the first page's resourceVersion (one consistent snapshot); if that
// resourceVersion is compacted away before the last page (410 Expired on page 2 or later), one full list
// is made instead, as client-go's pager does (FullListIfExpired).
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log/logger.js';
import { errorText } from '../log/error-text.js';

/** Items per page: client-go's pager default (tools/pager defaultPageSize), which the reflector uses. */
export const LIST_PAGE_SIZE = 500;

/** What one list request asks for: client-node's `limit` and `_continue` parameters. */
export interface PageRequest {
  limit?: number;
  _continue?: string;
}

export type PageFetch<T extends KubernetesObject> = (page: PageRequest) => Promise<KubernetesListObject<T>>;

/** A list function for ResourceWatcher that lists `what` in pages of LIST_PAGE_SIZE and returns them as one list. */
export function pagedList<T extends KubernetesObject>(what: string, fetch: PageFetch<T>, log: Logger): () => Promise<KubernetesListObject<T>> {
  return async () => {
    const items: T[] = [];
    let pages = 0;
    let token: string | undefined;
    for (;;) {
      let page: KubernetesListObject<T>;
      try {
        page = await fetch(token === undefined ? { limit: LIST_PAGE_SIZE } : { limit: LIST_PAGE_SIZE, _continue: token });
      } catch (err) {
        if (token !== undefined && statusCode(err) === 410) {
          log.info('list snapshot expired between pages; listing again in one request', { resource: what, pagesRead: pages, itemsRead: items.length });
          return await listWhole(what, fetch);
        }
        throw new Error(`list ${what}, page ${pages + 1} (${items.length} items read): ${errorText(err)}`, { cause: err });
      }
      pages += 1;
      items.push(...(page.items ?? []));
      token = page.metadata?._continue || undefined;
      if (token === undefined) {
        log.verbose('listed', { resource: what, pages, items: items.length, resourceVersion: page.metadata?.resourceVersion });
        return { ...page, items };
      }
    }
  };
}

async function listWhole<T extends KubernetesObject>(what: string, fetch: PageFetch<T>): Promise<KubernetesListObject<T>> {
  try {
    return await fetch({});
  } catch (err) {
    throw new Error(`list ${what} in one request, after its paged list expired: ${errorText(err)}`, { cause: err });
  }
}

/** client-node's ApiException carries the HTTP status as `code`. */
function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
