/**
 * The tracker's HTTP front: one node:http server; /healthz and /metrics through serveOps,
 * /graphql through Apollo Server's executeHTTPGraphQLRequest (no express). The body is read
 * with a hard cap before JSON parsing. Does not: build the schema or decide health.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { serveOps, type OpsOptions } from '@gotify/dht';
import { MAX_BODY_BYTES } from './limits.js';

/** Path of the GraphQL endpoint. */
export const GRAPHQL_PATH = '/graphql';

class BodyTooLarge extends Error {}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
const errorBody = (code: string, message: string) => ({ errors: [{ message, extensions: { code } }] });

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

/** Adapts one request to Apollo Server (started). */
export async function handleGraphQL(
  apollo: ApolloServer<BaseContext>,
  req: IncomingMessage,
  res: ServerResponse,
  maxBodyBytes = MAX_BODY_BYTES,
): Promise<void> {
  let body: unknown;
  try {
    const raw = await readBody(req, maxBodyBytes);
    if (raw.length > 0 && (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json'))
      body = JSON.parse(raw.toString('utf8'));
    else if (raw.length > 0) body = raw.toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      res.setHeader('connection', 'close');
      sendJson(res, 413, errorBody('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBodyBytes} bytes`));
      req.destroy();
      return;
    }
    sendJson(res, 400, errorBody('BAD_REQUEST', 'request body is not valid JSON'));
    return;
  }
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
    context: async () => ({}),
  });
  for (const [k, v] of result.headers) res.setHeader(k, v);
  res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}

/** The HTTP server: ops paths, then /graphql, else 404. */
export function makeHttpServer(apollo: ApolloServer<BaseContext>, ops: OpsOptions): Server {
  return createServer((req, res) => {
    if (serveOps(req, res, ops)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== GRAPHQL_PATH) {
      sendJson(res, 404, errorBody('NOT_FOUND', `no route ${path}`));
      return;
    }
    handleGraphQL(apollo, req, res).catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(
          res,
          500,
          errorBody('INTERNAL_SERVER_ERROR', err instanceof Error ? err.message : String(err)),
        );
      else res.destroy();
    });
  });
}
