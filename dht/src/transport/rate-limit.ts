/**
 * Token buckets keyed by peer, for incoming requests of the TCP transport.
 *
 * Does not: decide the key (the transport does: remote IP, or IP+port on loopback) or answer the
 * peer (the transport sends an error frame).
 */

export interface RateLimitOptions {
  /** Requests a peer may send in a burst. @default RATE_LIMIT_BURST */
  burst?: number;
  /** Sustained requests per second per peer. @default RATE_LIMIT_PER_SECOND */
  perSecond?: number;
}

/**
 * Burst per peer. An ingest between 3 local trackers sends batched STOREs plus lookups in bursts of a
 * few hundred; 2000 leaves them far from the limit while a flooding peer is cut off within a second.
 */
export const RATE_LIMIT_BURST = 2_000;
/** Sustained rate per peer: well above what a node's own maintenance and ingest generate. */
export const RATE_LIMIT_PER_SECOND = 1_000;
/** Buckets kept at most; idle (full) buckets are dropped first so memory stays bounded under churn. */
const MAX_BUCKETS = 10_000;

export interface RateLimiter {
  /** Takes one token for `key`; false when the peer is over its limit. */
  take(key: string, now?: number): boolean;
  readonly size: number;
}

export function makeRateLimiter(opts: RateLimitOptions = {}): RateLimiter {
  const burst = opts.burst ?? RATE_LIMIT_BURST;
  const perMs = (opts.perSecond ?? RATE_LIMIT_PER_SECOND) / 1000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  function refill(b: { tokens: number; at: number }, now: number): void {
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
  }

  function prune(now: number): void {
    for (const [k, b] of buckets) {
      refill(b, now);
      if (b.tokens >= burst) buckets.delete(k);
    }
    // Still too many active peers: drop the oldest inserted (Map keeps insertion order).
    while (buckets.size >= MAX_BUCKETS) buckets.delete(buckets.keys().next().value as string);
  }

  return {
    take(key, now = Date.now()) {
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= MAX_BUCKETS) prune(now);
        b = { tokens: burst, at: now };
        buckets.set(key, b);
      } else refill(b, now);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    get size() {
      return buckets.size;
    },
  };
}
