/**
 * The API node's HTTP routing on a plain node:http server (no framework): CORS first, then
 * /healthz + /metrics (shared ops helper), /graphql (Apollo Server via executeHTTPGraphQLRequest,
 * with a body cap), /upload and /upload/inspect, /cover/{hash}. The websocket stream rides the
 * same server's `upgrade` event (stream-server.ts).
 *
 * What this module does not do: build Apollo or the gateway (node.ts), or the endpoints' logic
 * (upload.ts, cover.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import { serveOps, type OpsOptions } from '@gotify/dht';
import { applyCors, type CorsOrigins } from './cors.js';
import { handleCover } from './cover.js';
import {
  COVER_PREFIX,
  GRAPHQL_PATH,
  INSPECT_PATH,
  MAX_GRAPHQL_BODY_BYTES,
  STREAM_PATH,
  UPLOAD_PATH,
} from './policy.js';
import type { SubgraphClient } from './subgraph-client.js';
import { handleUpload, type UploadDeps } from './upload.js';

export interface HttpDeps {
  apollo: ApolloServer;
  ops: OpsOptions;
  upload: UploadDeps;
  peer: SubgraphClient;
  /** @default '*' */
  corsOrigins?: CorsOrigins;
  /** Largest /graphql body. @default MAX_GRAPHQL_BODY_BYTES (256 KiB) */
  maxGraphqlBodyBytes?: number;
  logger?: { error(obj: object, msg?: string): void };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Read a small body; undefined when it exceeds `max` (the caller answers 413). */
function readSmallBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      parts.push(chunk);
    });
    req.once('end', () => resolve(size > max ? undefined : Buffer.concat(parts).toString('utf8')));
    req.once('error', reject);
  });
}

/** Error codes of a well-formed request whose document or variables are wrong. */
const DOCUMENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
]);

/**
 * GraphQL over HTTP: with the legacy `application/json` response type, document parse and
 * validation errors SHOULD come with 200 (clients of that type read errors from the body); with
 * `application/graphql-response+json` Apollo's 400 is right and stays.
 */
function legacyDocumentError(contentType: string | undefined, body: string): boolean {
  if (!contentType?.startsWith('application/json')) return false;
  try {
    const parsed = JSON.parse(body) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    return (
      !('data' in parsed) &&
      !!parsed.errors?.length &&
      parsed.errors.every((e) => DOCUMENT_ERROR_CODES.has(e.extensions?.code ?? ''))
    );
  } catch {
    return false;
  }
}

async function handleGraphQL(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const max = deps.maxGraphqlBodyBytes ?? MAX_GRAPHQL_BODY_BYTES;
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const method = (req.method ?? 'GET').toUpperCase();
  let body: unknown;
  if (method === 'POST') {
    if (Number(req.headers['content-length']) > max) {
      return sendJson(res, 413, {
        errors: [{ message: `Request body over ${max} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
      });
    }
    const text = await readSmallBody(req, max);
    if (text === undefined) {
      return sendJson(res, 413, {
        errors: [{ message: `Request body over ${max} bytes.`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
      });
    }
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('application/json')) {
      const charset = /charset=([^;]+)/.exec(type)?.[1]?.trim();
      if (charset && !/^utf-?8$/.test(charset)) {
        return sendJson(res, 415, {
          errors: [{ message: `Unsupported charset ${charset}.`, extensions: { code: 'BAD_REQUEST' } }],
        });
      }
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, {
          errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
        });
      }
    } else {
      body = text;
    }
  }
  const url = new URL(req.url ?? '/', 'http://api.local');
  const httpGraphQLRequest: HTTPGraphQLRequest = { method, headers, search: url.search, body };
  const response = await deps.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest,
    context: async () => ({}),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    if (
      res.statusCode === 400 &&
      legacyDocumentError(response.headers.get('content-type'), response.body.string)
    )
      res.statusCode = 200;
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** The request listener of the API node. */
export function makeRequestListener(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const origins = deps.corsOrigins ?? '*';
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (applyCors(req, res, origins)) return;
    if (serveOps(req, res, deps.ops)) return;
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === GRAPHQL_PATH) return handleGraphQL(req, res, deps);
    if (path === UPLOAD_PATH || path === INSPECT_PATH) {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST, OPTIONS' });
        res.end();
        return;
      }
      return handleUpload(req, res, deps.upload, path === UPLOAD_PATH ? 'store' : 'inspect');
    }
    if (path.startsWith(COVER_PREFIX)) return handleCover(req, res, deps.peer);
    if (path === '/' && req.method === 'GET') {
      return sendJson(res, 200, {
        role: 'api',
        graphql: GRAPHQL_PATH,
        stream: STREAM_PATH,
        upload: UPLOAD_PATH,
        inspect: INSPECT_PATH,
        cover: `${COVER_PREFIX}{hash}`,
      });
    }
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `No route ${req.method} ${path}.` } });
  };
  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      deps.logger?.error({ err: (err as Error).message, url: req.url }, 'request failed');
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal error.' } });
      else res.destroy();
    });
  };
}
