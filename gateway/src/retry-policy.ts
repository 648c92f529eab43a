/**
 * Retry policy of subgraph requests, as a data table: every failure kind, whether a query and a
 * mutation may be retried on another replica after it, and why.
 *
 * The rule behind the table: a query is side-effect free, so any transport failure is retried on
 * the next replica; a mutation is retried only when the request provably never reached a replica
 * (nothing was sent), because a replayed mutation could apply twice. Idempotent mutations
 * (content-addressed storeChunk/storeBlob) may opt in to query-like retries (`idempotent`).
 *
 * What this module does not do: pick replicas (replica-pool.ts) or send anything (fetcher.ts).
 */

/** How a request to one replica failed. */
export type FailureKind =
  | 'connect-refused'
  | 'dns-failure'
  | 'connect-timeout'
  | 'no-replica'
  | 'connection-reset'
  | 'timeout'
  | 'http-5xx'
  | 'http-429'
  | 'bad-response'
  | 'http-4xx'
  | 'integrity';

/** One row of the retry table. */
export interface RetryRule {
  /** Retry a query (or an idempotent mutation) on the next replica. */
  query: boolean;
  /** Retry a non-idempotent mutation on the next replica. */
  mutation: boolean;
  /** Mark the replica down until its next successful health probe. */
  markDown: boolean;
  /** Why. */
  reason: string;
}

/** The retry table. */
export const RETRY_POLICY: Readonly<Record<FailureKind, RetryRule>> = {
  'connect-refused': {
    query: true,
    mutation: true,
    markDown: true,
    reason: 'nothing listens there: the request never left this node',
  },
  'dns-failure': {
    query: true,
    mutation: true,
    markDown: true,
    reason: 'the replica name did not resolve: nothing was sent',
  },
  'connect-timeout': {
    query: true,
    mutation: true,
    markDown: true,
    reason: 'the TCP handshake never completed: nothing was sent',
  },
  'no-replica': {
    query: false,
    mutation: false,
    markDown: false,
    reason: 'the pool is empty: there is no other replica to try',
  },
  'connection-reset': {
    query: true,
    mutation: false,
    markDown: true,
    reason: 'the replica died with the request in flight: a mutation may have applied',
  },
  timeout: {
    query: true,
    mutation: false,
    markDown: true,
    reason: 'no answer in time: a mutation may still be running on that replica',
  },
  'http-5xx': {
    query: true,
    mutation: false,
    markDown: false,
    reason: 'the replica failed after receiving the request: a mutation may have partly applied',
  },
  'http-429': {
    query: true,
    mutation: false,
    markDown: false,
    reason: 'that replica is overloaded; another may not be (a mutation may have been queued)',
  },
  'bad-response': {
    query: true,
    mutation: false,
    markDown: false,
    reason: 'the answer was not GraphQL JSON (proxy page, truncated body): replica is misbehaving',
  },
  'http-4xx': {
    query: false,
    mutation: false,
    markDown: false,
    reason: 'the request itself is wrong: every replica would refuse it the same way',
  },
  integrity: {
    query: true,
    mutation: false,
    markDown: false,
    reason: 'the data failed its hash check: a corrupt or lying replica, ask another',
  },
};

/** Whether a failure of this kind may be retried for this kind of operation. */
export function mayRetry(kind: FailureKind, op: 'query' | 'mutation', idempotent = false): boolean {
  const rule = RETRY_POLICY[kind];
  return op === 'query' || idempotent ? rule.query : rule.mutation;
}

/** Error codes (Node / undici) raised before a single byte of the request was written. */
const NEVER_SENT_CODES: Readonly<Record<string, FailureKind>> = {
  ECONNREFUSED: 'connect-refused',
  EHOSTUNREACH: 'connect-refused',
  ENETUNREACH: 'connect-refused',
  EADDRNOTAVAIL: 'connect-refused',
  ENOTFOUND: 'dns-failure',
  EAI_AGAIN: 'dns-failure',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
};

/** Classify an error thrown by `fetch` (undici wraps the socket error in `cause`). */
export function classifyFetchError(err: unknown): FailureKind {
  const e = err as {
    name?: string;
    code?: string;
    cause?: { code?: string; name?: string; errors?: { code?: string }[] };
  };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  const codes = [e?.code, e?.cause?.code, ...(e?.cause?.errors ?? []).map((x) => x.code)];
  for (const code of codes) {
    if (code && code in NEVER_SENT_CODES) return NEVER_SENT_CODES[code]!;
  }
  if (e?.cause?.name === 'HeadersTimeoutError' || e?.cause?.name === 'BodyTimeoutError') return 'timeout';
  return 'connection-reset';
}

/** Classify an HTTP status that is not a usable GraphQL answer; undefined when it is usable. */
export function classifyStatus(status: number): FailureKind | undefined {
  if (status === 429) return 'http-429';
  if (status >= 500) return 'http-5xx';
  // GraphQL servers answer 400 with a JSON body for invalid operations: that body is the answer.
  if (status === 400 || (status >= 200 && status < 300)) return undefined;
  if (status >= 400) return 'http-4xx';
  return 'bad-response';
}
