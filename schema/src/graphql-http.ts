/**
 * Serves one node:http request with Apollo Server (through `executeHTTPGraphQLRequest`, so no
 * express is needed), reading the body with a hard size cap before JSON parsing: an oversized
 * request costs at most `maxBodyBytes` of memory and gets 413. Shared by the Peer and Tracker
 * subgraph nodes. Every answer Apollo produces carries its time in the node as a `Server-Timing`
 * header (W3C Server Timing: `graphql;dur=<ms>`, from the request's handling to its answer, body
 * read and execution included), so a client can tell the subgraph's latency from its own and the
 * network's. Does not: route other paths, build schemas or decide health (the nodes do).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

class BodyTooLarge extends Error {}

/** The Server-Timing metric name of a GraphQL request's time in the node. */
const SERVER_TIMING_METRIC = 'graphql';

/** Answers with a GraphQL-shaped error body and a stable `extensions.code`. */
export function sendGraphQLError(res: ServerResponse, status: number, code: string, message: string): void {
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
  /** Largest request body accepted; bigger ones get 413 PAYLOAD_TOO_LARGE. */
  maxBodyBytes: number;
  /** Appended to the 413 message, to say why the cap is what it is. @default '' */
  limitHint?: string;
}

/** Adapts one node:http request to Apollo Server (which must be started). */
export async function handleGraphQL(
  apollo: ApolloServer<BaseContext>,
  req: IncomingMessage,
  res: ServerResponse,
  opts: GraphQLHttpOptions,
): Promise<void> {
  const start = performance.now();
  let body: unknown;
  try {
    const raw = await readBody(req, opts.maxBodyBytes);
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (raw.length > 0 && type.startsWith('application/json')) body = JSON.parse(raw.toString('utf8'));
    else if (raw.length > 0) body = raw.toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      res.setHeader('connection', 'close');
      const hint = opts.limitHint ? ` (${opts.limitHint})` : '';
      sendGraphQLError(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `Request body exceeds ${opts.maxBodyBytes} bytes${hint}`,
      );
      req.destroy();
      return;
    }
    sendGraphQLError(res, 400, 'BAD_REQUEST', 'Request body is not valid JSON');
    return;
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
    context: async () => ({}),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.setHeader('server-timing', `${SERVER_TIMING_METRIC};dur=${(performance.now() - start).toFixed(2)}`);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const part of response.body.asyncIterator) res.write(part);
  res.end();
}
