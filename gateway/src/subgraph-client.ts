/**
 * A small GraphQL client over a replica pool, for the API node's own calls to subgraphs outside
 * the federated plan: chunk streaming (stream.ts), uploads (upload.ts), cover art (cover.ts).
 * Errors from the subgraph keep their `extensions.code` so callers can map NOT_FOUND and friends.
 *
 * What this module does not do: replica choice or retry rules (fetcher.ts, retry-policy.ts).
 */
import { GraphQLError } from 'graphql';
import type { ReplicaPool } from './replica-pool.js';
import { sendWithFailover, FailoverError, IntegrityError, type OperationKind } from './fetcher.js';

/** One GraphQL error as a subgraph sends it. */
export interface RemoteError {
  message: string;
  extensions?: { code?: string; [k: string]: unknown };
}

/** A subgraph answered with GraphQL errors (first error's code is `code`). */
export class SubgraphError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly errors: RemoteError[],
  ) {
    super(message);
    this.name = 'SubgraphError';
  }
  /** As a GraphQLError for our own clients, keeping the code. */
  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { code: this.code } });
  }
}

export interface RequestOptions {
  /** @default 'query' */
  op?: OperationKind;
  /** Mutation that may be replayed safely (content-addressed stores). @default false */
  idempotent?: boolean;
  /** Timeout of one attempt. @default SUBGRAPH_TIMEOUT_MS */
  timeoutMs?: number;
  /** Most replicas tried. @default MAX_FAILOVER_ATTEMPTS */
  maxAttempts?: number;
  /** Check the data; throw IntegrityError to try another replica. */
  validate?: (data: unknown) => void;
  signal?: AbortSignal;
}

export interface SubgraphClient {
  readonly pool: ReplicaPool;
  /** Run one operation; resolves with `data`, throws SubgraphError or FailoverError. */
  request<T>(query: string, variables: Record<string, unknown>, opts?: RequestOptions): Promise<T>;
}

export function makeSubgraphClient(pool: ReplicaPool, fetchImpl?: typeof fetch): SubgraphClient {
  return {
    pool,
    async request<T>(
      query: string,
      variables: Record<string, unknown>,
      opts: RequestOptions = {},
    ): Promise<T> {
      let result: { data?: T | null; errors?: RemoteError[] } = {};
      const answer = await sendWithFailover(
        pool,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
          },
          body: JSON.stringify({ query, variables }),
        },
        {
          op: opts.op ?? 'query',
          idempotent: opts.idempotent,
          timeoutMs: opts.timeoutMs,
          maxAttempts: opts.maxAttempts,
          signal: opts.signal,
          fetch: fetchImpl,
          validate: (_status, text) => {
            try {
              result = JSON.parse(text) as typeof result;
            } catch {
              throw new IntegrityError('answer is not JSON');
            }
            // Internal errors on one replica (its DHT lookup failed) are worth another replica.
            const code = result.errors?.[0]?.extensions?.code;
            if (code === 'INTERNAL_SERVER_ERROR' || code === 'UNAVAILABLE') {
              if ((opts.op ?? 'query') === 'query' || opts.idempotent)
                throw new IntegrityError(result.errors![0]!.message);
            }
            if (result.data && !result.errors?.length) opts.validate?.(result.data);
          },
        },
      );
      if (answer.status >= 300 && answer.status !== 400) {
        // An HTTP error answer the retries ended on: its GraphQL errors if any, else the status.
        try {
          result = JSON.parse(answer.text) as typeof result;
        } catch {
          result = {};
        }
        if (!result.errors?.length)
          throw new SubgraphError('UNAVAILABLE', `subgraph ${pool.name} answered HTTP ${answer.status}`, []);
      }
      if (result.errors?.length) {
        const first = result.errors[0]!;
        throw new SubgraphError(
          String(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
          first.message,
          result.errors,
        );
      }
      if (!result.data)
        throw new SubgraphError('INTERNAL_SERVER_ERROR', 'subgraph answered without data', []);
      return result.data;
    },
  };
}

export { FailoverError, IntegrityError };
