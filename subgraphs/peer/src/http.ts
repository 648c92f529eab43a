/**
 * The Peer node's HTTP front: one plain `node:http` server routing `/graphql` to Apollo Server
 * (through `executeHTTPGraphQLRequest`, so no express is needed) and every other path to an ops
 * handler (`/healthz`, `/metrics`). The request body is read with a hard size limit before JSON
 * parsing, so an oversized upload costs at most {@link MAX_BODY_BYTES} of memory.
 *
 * Does not: build the schema (see `schema.ts`) or decide health (the caller passes `ops`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';

/**
 * Largest HTTP request body: a 256 KiB chunk (MAX_CHUNK_SIZE) is 349,528 base64 chars; 512 KiB
 * leaves room for the JSON envelope and the query text, and refuses anything bigger before parsing.
 */
export const MAX_BODY_BYTES = 512 * 1024;

/** Path of the GraphQL endpoint. */
export const GRAPHQL_PATH = '/graphql';

/** Serves the request and returns true, or returns false to pass it on (404). */
export type OpsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

class BodyTooLarge extends Error {}

function sendJsonError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  const parts: Buffer[] = [];
  let total = 0;
  for await (const part of req) {
    total += (part as Buffer).length;
    if (total > limit) throw new BodyTooLarge();
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}

export interface GraphQLHttpOptions {
  /** @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
}

/** Adapts one node:http request to Apollo Server (which must be started). */
export async function handleGraphQL(
  apollo: ApolloServer<BaseContext>,
  req: IncomingMessage,
  res: ServerResponse,
  opts: GraphQLHttpOptions = {},
): Promise<void> {
  const limit = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  let body: unknown;
  try {
    const raw = await readBody(req, limit);
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (raw.length > 0 && type.startsWith('application/json')) body = JSON.parse(raw.toString('utf8'));
    else if (raw.length > 0) body = raw.toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      res.setHeader('connection', 'close');
      sendJsonError(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `Request body exceeds ${limit} bytes (a chunk is at most 256 KiB)`,
      );
      req.destroy();
      return;
    }
    sendJsonError(res, 400, 'BAD_REQUEST', 'Request body is not valid JSON');
    return;
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const httpGraphQLRequest: HTTPGraphQLRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    headers,
    search: url.search,
    body,
  };
  const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: async () => ({}) });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const part of response.body.asyncIterator) res.write(part);
  res.end();
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
      sendJsonError(res, 404, 'NOT_FOUND', `No route ${path}`);
    };
    run().catch((err: unknown) => {
      if (!res.headersSent)
        sendJsonError(res, 500, 'INTERNAL_SERVER_ERROR', String((err as Error)?.message ?? err));
      else res.destroy();
    });
  };
}
