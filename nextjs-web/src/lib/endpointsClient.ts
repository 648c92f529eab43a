/**
 * Browser: keeps the endpoint rotation fresh from the Web node's /api/endpoints (which asks DNS),
 * on a timer and on demand (e.g. when every known node failed). Does not pick endpoints.
 */
import { ENDPOINT_REFRESH_MS } from '../player/constants';
import type { Endpoint, EndpointRotation } from '../player/endpoints';

export function startEndpointRefresh(
  rotation: EndpointRotation,
  intervalMs = ENDPOINT_REFRESH_MS,
): { refresh(): Promise<void>; stop(): void } {
  let stopped = false;
  async function refresh() {
    try {
      const res = await fetch('/api/endpoints', { cache: 'no-store' });
      if (!res.ok) return;
      const body = (await res.json()) as { endpoints?: Endpoint[] };
      if (!stopped && body.endpoints?.length) rotation.update(body.endpoints);
    } catch {
      /* the Web node is unreachable: keep the list we have, the API nodes may still be up */
    }
  }
  const t = setInterval(refresh, intervalMs);
  return {
    refresh,
    stop() {
      stopped = true;
      clearInterval(t);
    },
  };
}
