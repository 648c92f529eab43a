/**
 * The Peer node's HTTP front: one plain `node:http` server routing `/graphql` to Apollo Server
 * (through `executeHTTPGraphQLRequest`, so no express is needed) and every other path to an ops
 * handler (`/healthz`, `/metrics`). The body cap is {@link MAX_BODY_BYTES}; the adapter itself is
 * shared with the tracker (@gotify/schema/graphql-http).
 *
 * Does not: build the schema (see `schema.ts`) or decide health (the caller passes `ops`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { handleGraphQL as serveGraphQL, sendGraphQLError } from '@gotify/schema/graphql-http';

/**
 * Largest HTTP request body: a 256 KiB chunk (MAX_CHUNK_SIZE) is 349,528 base64 chars; 512 KiB
 * leaves room for the JSON envelope and the query text, and refuses anything bigger before parsing.
 */
export const MAX_BODY_BYTES = 512 * 1024;

/** Path of the GraphQL endpoint. */
export const GRAPHQL_PATH = '/graphql';

/** Serves the request and returns true, or returns false to pass it on (404). */
export type OpsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

export interface GraphQLHttpOptions {
  /** @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
}

/** Adapts one node:http request to Apollo Server (which must be started). */
export function handleGraphQL(
  apollo: ApolloServer<BaseContext>,
  req: IncomingMessage,
  res: ServerResponse,
  opts: GraphQLHttpOptions = {},
): Promise<void> {
  return serveGraphQL(apollo, req, res, {
    maxBodyBytes: opts.maxBodyBytes ?? MAX_BODY_BYTES,
    limitHint: 'a chunk is at most 256 KiB',
  });
}

/** The request listener of the Peer node's HTTP server. */
export function makeRequestListener(
  apollo: ApolloServer<BaseContext>,
  ops: OpsHandler,
  opts: GraphQLHttpOptions = {},
) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const run = async () => {
      if (path === GRAPHQL_PATH) return handleGraphQL(apollo, req, res, opts);
      if (await ops(req, res)) return;
      sendGraphQLError(res, 404, 'NOT_FOUND', `No route ${path}`);
    };
    run().catch((err: unknown) => {
      if (!res.headersSent)
        sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', String((err as Error)?.message ?? err));
      else res.destroy();
    });
  };
}
