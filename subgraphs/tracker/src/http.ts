/**
 * The tracker's HTTP front: one node:http server; /healthz and /metrics through serveOps,
 * /graphql through Apollo Server's executeHTTPGraphQLRequest (no express). The body cap
 * is MAX_BODY_BYTES; the adapter is shared with the peer (@gotify/schema/graphql-http). Does not: build the schema or decide health.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { handleGraphQL as serveGraphQL, sendGraphQLError } from '@gotify/schema/graphql-http';
import { serveOps, type OpsOptions } from '@gotify/dht';
import { MAX_BODY_BYTES } from './limits.js';

/** Path of the GraphQL endpoint. */
export const GRAPHQL_PATH = '/graphql';

/** Adapts one request to Apollo Server (started); the adapter is shared with the peer. */
export function handleGraphQL(
  apollo: ApolloServer<BaseContext>,
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes = MAX_BODY_BYTES,
): Promise<void> {
  return serveGraphQL(apollo, req, res, { maxBodyBytes });
}

/** The HTTP server: ops paths, then /graphql, else 404. */
export function makeHttpServer(apollo: ApolloServer<BaseContext>, ops: OpsOptions): Server {
  return createServer((req, res) => {
    if (serveOps(req, res, ops)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== GRAPHQL_PATH) {
      sendGraphQLError(res, 404, 'NOT_FOUND', `no route ${path}`);
      return;
    }
    handleGraphQL(apollo, req, res).catch((err: unknown) => {
      if (!res.headersSent)
        sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
}
