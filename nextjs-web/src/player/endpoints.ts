/**
 * Endpoint rotation: which API node to talk to next. Healthy endpoints in round-robin order from
 * the cursor, then recently failed ones, oldest failure first. Pure state with an injectable clock.
 * Does not probe endpoints nor fetch the list (the Web node's /api/endpoints does, see
 * src/lib/endpointsClient.ts).
 */
import { ENDPOINT_COOLDOWN_MS } from './constants';

/** One API node as the browser reaches it. */
export interface Endpoint {
  /** Base HTTP URL, e.g. http://127.0.0.1:4000 (GraphQL at /graphql, uploads at /upload). */
  http: string;
  /** WebSocket URL of the graphql-ws stream, e.g. ws://127.0.0.1:4000/graphql. */
  ws: string;
  /** Node name from the DNS registry, when known. */
  name?: string;
}

export interface RotationOptions {
  /** Initial endpoints (order = preference). @default [] */
  endpoints?: Endpoint[];
  /** How long a failed endpoint is demoted. @default ENDPOINT_COOLDOWN_MS */
  cooldownMs?: number;
  /** Clock, injectable for tests. @default Date.now */
  now?: () => number;
}

export interface EndpointRotation {
  /** Candidates in the order they should be tried now. */
  order(): Endpoint[];
  /** The endpoint to use now (first of order()), or undefined when the list is empty. */
  pick(): Endpoint | undefined;
  /** Report a failure: the endpoint is demoted and the cursor moves past it. */
  fail(e: Endpoint): void;
  /** Report a success: the endpoint is healthy again and becomes the preferred one. */
  succeed(e: Endpoint): void;
  /** Replace the list (fresh from DNS); failure marks of endpoints still present are kept. */
  update(list: Endpoint[]): void;
  /** Current list in its base order. */
  list(): Endpoint[];
  /** Subscribe to list changes; returns an unsubscribe function. */
  onChange(fn: () => void): () => void;
}

const keyOf = (e: Endpoint) => e.http;

export function makeEndpointRotation(opts: RotationOptions = {}): EndpointRotation {
  const cooldownMs = opts.cooldownMs ?? ENDPOINT_COOLDOWN_MS;
  const now = opts.now ?? Date.now;
  let list: Endpoint[] = dedupe(opts.endpoints ?? []);
  let cursor = 0;
  const failedAt = new Map<string, number>();
  const listeners = new Set<() => void>();

  function isDemoted(e: Endpoint): boolean {
    const t = failedAt.get(keyOf(e));
    return t !== undefined && now() - t < cooldownMs;
  }

  function order(): Endpoint[] {
    const n = list.length;
    const rotated = Array.from({ length: n }, (_, i) => list[(cursor + i) % n]!);
    const healthy = rotated.filter((e) => !isDemoted(e));
    const demoted = rotated
      .filter(isDemoted)
      .sort((a, b) => failedAt.get(keyOf(a))! - failedAt.get(keyOf(b))!);
    return [...healthy, ...demoted];
  }

  return {
    order,
    pick: () => order()[0],
    fail(e) {
      failedAt.set(keyOf(e), now());
      const i = list.findIndex((x) => keyOf(x) === keyOf(e));
      if (i >= 0 && list.length > 0) cursor = (i + 1) % list.length;
    },
    succeed(e) {
      failedAt.delete(keyOf(e));
      const i = list.findIndex((x) => keyOf(x) === keyOf(e));
      if (i >= 0) cursor = i;
    },
    update(next) {
      const cur = order()[0];
      const fresh = dedupe(next);
      if (fresh.length === 0) return; // an empty answer (DNS hiccup) never wipes known endpoints
      const same = fresh.length === list.length && fresh.every((e, i) => keyOf(e) === keyOf(list[i]!));
      list = fresh;
      const keep = new Set(list.map(keyOf));
      for (const k of [...failedAt.keys()]) if (!keep.has(k)) failedAt.delete(k);
      const ci = cur ? list.findIndex((x) => keyOf(x) === keyOf(cur)) : -1;
      cursor = ci >= 0 ? ci : 0;
      if (!same) for (const fn of listeners) fn();
    },
    list: () => [...list],
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

function dedupe(list: Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return list.filter((e) => (seen.has(keyOf(e)) ? false : (seen.add(keyOf(e)), true)));
}

/** Path of the API node's graphql-ws song stream (gateway/src/policy.ts STREAM_PATH; its own schema, not /graphql). */
export const STREAM_WS_PATH = '/stream';

/** Builds an endpoint from a base HTTP URL (ws URL = same host and port, path STREAM_WS_PATH unless given). */
export function endpointFromHttp(http: string, name?: string, wsPath: string = STREAM_WS_PATH): Endpoint {
  const base = http.replace(/\/+$/, '');
  const ws = base.replace(/^http/, 'ws') + wsPath;
  return name ? { http: base, ws, name } : { http: base, ws };
}
