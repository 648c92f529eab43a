/**
 * Failover transport to a subgraph: one logical request, tried on the replicas of a pool in the
 * pool's order until one gives a usable GraphQL answer or the retry table (retry-policy.ts) says
 * stop. `makeFailoverFetcher` wraps it as the `fetcher` of Apollo's RemoteGraphQLDataSource (the
 * logical subgraph url is ignored: the pool decides where the request goes).
 *
 * What this module does not do: choose or probe replicas (replica-pool.ts), parse GraphQL results
 * for callers (subgraph-client.ts).
 */
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import type { ReplicaPool } from './replica-pool.js';
import {
  classifyFetchError,
  classifyStatus,
  mayRetry,
  RETRY_POLICY,
  type FailureKind,
} from './retry-policy.js';
import { MAX_FAILOVER_ATTEMPTS, SUBGRAPH_TIMEOUT_MS } from './policy.js';

/** Kind of operation, for the retry table. Subscriptions never reach a subgraph. */
export type OperationKind = 'query' | 'mutation';

/** A failed failover: the last failure and every attempt. */
export class FailoverError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly attempts: { url: string; kind: FailureKind; error: string }[],
  ) {
    super(message);
    this.name = 'FailoverError';
  }
}

/** Thrown by a `validate` hook when an answer is intact JSON but its content fails a check. */
export class IntegrityError extends Error {
  readonly kind = 'integrity' as const;
}

export interface FailoverOptions {
  op: OperationKind;
  /** The mutation is idempotent (content-addressed store): retry it like a query. @default false */
  idempotent?: boolean;
  /** Timeout of one attempt. @default SUBGRAPH_TIMEOUT_MS (10 s) */
  timeoutMs?: number;
  /** Most replicas tried. @default MAX_FAILOVER_ATTEMPTS (4) */
  maxAttempts?: number;
  /** Throw IntegrityError to reject an answer and try the next replica. */
  validate?: (status: number, text: string) => void;
  /** Caller's abort signal (the client went away). */
  signal?: AbortSignal;
  /** fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A usable answer: HTTP status, headers and the raw body text, from replica `url`. */
export interface FailoverAnswer {
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

/** Guess the operation kind from a GraphQL request body (the gateway sends one operation). */
export function operationKindOf(body: string | Buffer | undefined): OperationKind {
  try {
    const query = String((JSON.parse(String(body ?? '')) as { query?: unknown }).query ?? '');
    const stripped = query.replace(/^(?:\s|,|#[^\n]*\n)*/, '');
    if (stripped.startsWith('{') || /^query\b/.test(stripped)) return 'query';
  } catch {
    // not JSON: treat as a mutation, the safe side
  }
  return 'mutation';
}

/**
 * Send `init` to the pool's replicas with failover; resolves with the first usable answer, or
 * with the last replica's HTTP error answer when retries end on one; throws FailoverError when
 * the last attempt got no HTTP answer at all.
 */
export async function sendWithFailover(
  pool: ReplicaPool,
  init: FetcherRequestInit,
  opts: FailoverOptions,
): Promise<FailoverAnswer> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const maxAttempts = opts.maxAttempts ?? MAX_FAILOVER_ATTEMPTS;
  const attempts: FailoverError['attempts'] = [];
  let lastAnswer: FailoverAnswer | undefined;
  const candidates = pool.candidates().slice(0, maxAttempts);
  if (candidates.length === 0) {
    throw new FailoverError(`no replica known for subgraph ${pool.name}`, 'no-replica', attempts);
  }
  for (const url of candidates) {
    if (opts.signal?.aborted) break;
    const started = performance.now();
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? SUBGRAPH_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    let kind: FailureKind | undefined;
    let error = '';
    try {
      const res = await doFetch(url, {
        method: init.method ?? 'POST',
        headers: init.headers,
        body:
          typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body),
        signal,
      });
      const text = await res.text();
      kind = classifyStatus(res.status);
      if (kind === undefined) {
        if (!/^\s*[{[]/.test(text)) kind = 'bad-response';
        else {
          opts.validate?.(res.status, text);
          pool.reportSuccess(url, performance.now() - started);
          return { url, status: res.status, headers: res.headers, text };
        }
      }
      error = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      lastAnswer = { url, status: res.status, headers: res.headers, text };
    } catch (err) {
      kind = err instanceof IntegrityError ? 'integrity' : classifyFetchError(err);
      error =
        (err as Error).message +
        ((err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : '');
    }
    if (kind !== 'http-5xx' && kind !== 'http-429' && kind !== 'http-4xx') lastAnswer = undefined;
    attempts.push({ url, kind, error });
    pool.reportFailure(url, error, RETRY_POLICY[kind].markDown);
    if (!mayRetry(kind, opts.op, opts.idempotent)) break;
  }
  // The last replica answered over HTTP: that answer (e.g. a 500 with GraphQL errors) is the result.
  if (lastAnswer) return lastAnswer;
  const last = attempts[attempts.length - 1];
  const detail = attempts.map((a) => `${a.url}: ${a.kind} (${a.error})`).join('; ');
  throw new FailoverError(
    `subgraph ${pool.name} failed: ${detail || 'aborted'}`,
    last?.kind ?? 'timeout',
    attempts,
  );
}

/** Apollo `fetcher` that routes every subgraph request through the pool with failover. */
export function makeFailoverFetcher(pool: ReplicaPool, base: Omit<FailoverOptions, 'op'> = {}): Fetcher {
  return async (_logicalUrl: string, init?: FetcherRequestInit): Promise<FetcherResponse> => {
    const req = init ?? {};
    const op = operationKindOf(req.body);
    const answer = await sendWithFailover(pool, req, {
      ...base,
      op,
      signal: req.signal as AbortSignal | undefined,
    });
    const headers = new Headers(answer.headers);
    // fetch already decoded the body: these would describe bytes that no longer exist.
    headers.delete('content-encoding');
    headers.delete('content-length');
    return new Response(answer.text, { status: answer.status, headers }) as unknown as FetcherResponse;
  };
}
