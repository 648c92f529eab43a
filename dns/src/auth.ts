/**
 * HMAC signing of announce/withdraw bodies with the cluster key.
 * Does not check freshness (`ts`); that is the registry's job (registry.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256(clusterKey, body). */
export function sign(clusterKey: string, body: string | Buffer): string {
  return createHmac('sha256', clusterKey).update(body).digest('hex');
}

/** Constant-time check of a hex signature against the body. */
export function verify(clusterKey: string, body: string | Buffer, signature: string | undefined): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const want = Buffer.from(sign(clusterKey, body), 'hex');
  const got = Buffer.from(signature, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}
