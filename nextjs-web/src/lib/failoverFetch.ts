/**
 * A fetch for urql (and anything else talking to the API over HTTP) that sends each request to
 * the API node the rotation prefers and, on a network error or a 502/503/504, tries the next one.
 * The URL's origin is replaced; its path (/graphql) is kept. GraphQL errors are not retried here:
 * they are answers, not failures. Does not refresh the endpoint list (endpointsClient.ts does).
 */
import type { EndpointRotation } from '../player/endpoints';

/** Placeholder origin urql is configured with; every request is re-targeted. */
export const API_PLACEHOLDER = 'http://gotify-api.invalid';
/** Gateway answers that mean "this node cannot serve now", so another node may. */
const RETRY_STATUS = new Set([502, 503, 504]);

export function makeFailoverFetch(
  rotation: EndpointRotation,
  fetchImpl: typeof fetch = (...a) => globalThis.fetch(...a),
): typeof fetch {
  return async (input, init) => {
    const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const u = new URL(raw, API_PLACEHOLDER);
    const path = u.pathname + u.search;
    const candidates = rotation.order();
    if (candidates.length === 0) throw new TypeError('No API node is known (DNS returned none)');
    let lastErr: unknown = null;
    for (const ep of candidates) {
      if (init?.signal?.aborted) break;
      try {
        const res = await fetchImpl(ep.http + path, init);
        if (RETRY_STATUS.has(res.status) && ep !== candidates[candidates.length - 1]) {
          rotation.fail(ep);
          lastErr = new Error(`${ep.http} answered ${res.status}`);
          continue;
        }
        return res;
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        rotation.fail(ep);
        lastErr = e;
      }
    }
    throw lastErr ?? new TypeError('request aborted');
  };
}
