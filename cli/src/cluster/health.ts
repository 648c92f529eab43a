/**
 * Polls a node's /healthz until it answers 200. Does not start or stop nodes (./supervisor.ts).
 */

/** Pause between health polls while a node starts. */
export const HEALTH_POLL_MS = 200;

export async function waitHealthy(baseUrl: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return await res.json();
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }
  throw new Error(`${baseUrl}/healthz not healthy after ${timeoutMs} ms (${last})`);
}
