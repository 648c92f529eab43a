/**
 * The API node's HTTP surface without subgraphs (nothing here needs one): graphql-http's
 * GraphQL-over-HTTP server audits, CORS, body caps, upload refusals (401, 413, 415, 400),
 * Sandbox, /healthz, the websocket stream's error paths that need no peer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serverAudits } from 'graphql-http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startApiNode, type ApiNode } from './node.js';
import { MAX_GRAPHQL_BODY_BYTES } from './policy.js';

let api: ApiNode;
let base: string;
const TOKEN = 'test-upload-token';
const MAX_UPLOAD = 64 * 1024;

beforeAll(async () => {
  api = await startApiNode({
    name: 'api-http-test',
    uploadToken: TOKEN,
    maxUploadBytes: MAX_UPLOAD,
    corsOrigins: ['http://web.example'],
  });
  base = api.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await api?.stop();
});

describe('GraphQL over HTTP audits (graphql-http)', () => {
  it('passes every MUST audit and reports SHOULD failures', async () => {
    const audits = serverAudits({ url: () => api.url });
    const failures: { name: string; reason: string }[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (result.status !== 'ok') failures.push({ name: audit.name, reason: result.reason });
    }
    const must = failures.filter((f) => f.name.startsWith('MUST'));
    const should = failures.filter((f) => !f.name.startsWith('MUST'));
    if (should.length)
      console.warn(
        `graphql-http SHOULD/MAY audits not passed:\n${should.map((f) => `- ${f.name}: ${f.reason}`).join('\n')}`,
      );
    expect(must).toEqual([]);
    expect(audits.length).toBeGreaterThan(20);
  });
});

describe('HTTP surface', () => {
  it('serves Apollo Sandbox on GET /graphql for browsers, /healthz and /metrics', async () => {
    const page = await fetch(api.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/sandbox|apollo/i);
    const health = await fetch(`${base}/healthz`);
    // No peer or tracker replica is known to this node: it serves, but is not healthy.
    expect(await health.json()).toMatchObject({
      ok: false,
      role: 'api',
      name: 'api-http-test',
      phase: 'serving',
      pools: { peer: 0, tracker: 0 },
    });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('gotify_api_ws_connections');
  });

  it('keeps CSRF prevention on: a simple GET query without a preflight header is refused', async () => {
    const res = await fetch(`${api.url}?query=${encodeURIComponent('{__typename}')}`);
    expect(res.status).toBe(400);
    const ok = await fetch(`${api.url}?query=${encodeURIComponent('{__typename}')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await ok.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const pre = (origin: string) =>
      fetch(`${base}/upload`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, x-filename',
        },
      });
    const ok = await pre('http://web.example');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://web.example');
    for (const h of ['content-type', 'apollo-require-preflight', 'authorization', 'x-filename']) {
      expect(ok.headers.get('access-control-allow-headers')).toContain(h);
    }
    const bad = await pre('http://evil.example');
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('caps the /graphql body', async () => {
    const res = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(MAX_GRAPHQL_BODY_BYTES)}` }),
    });
    expect(res.status).toBe(413);
  });

  it('rejects costly operations with QUERY_TOO_COSTLY', async () => {
    const fields = 'id title artist album genre year trackNumber duration coverArt uploadedAt version';
    const page = `songs(first: 200) { edges { node { ${fields} } } }`;
    const query = `{ a: ${page} b: ${page} c: ${page} d: ${page} e: ${page} }`;
    const res = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    // Apollo files every validation rule's error under GRAPHQL_VALIDATION_FAILED; the message says which.
    expect(body.errors[0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((body.errors[0] as unknown as { message: string }).message).toMatch(/too expensive/);
  });
});

describe('upload refusals', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('401 without the upload token', async () => {
    const res = await fetch(`${base}/upload`, { method: 'POST', body: Buffer.from('whatever') });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    const wrong = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: Buffer.from('x'),
    });
    expect(wrong.status).toBe(401);
  });

  it('415 for a file that is not audio, with a clear message', async () => {
    const res = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: { ...auth, 'x-filename': 'notes.txt' },
      body: Buffer.from('hello, not audio at all '.repeat(50)),
    });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(body.error.message).toMatch(/audio/i);
    const inspect = await fetch(`${base}/upload/inspect`, {
      method: 'POST',
      headers: auth,
      body: Buffer.from('%PDF-1.7 not audio'),
    });
    expect(inspect.status).toBe(415);
  });

  it('413 when Content-Length is over the cap', async () => {
    const res = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: auth,
      body: Buffer.alloc(MAX_UPLOAD + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('413 when a chunked body (no Content-Length) grows over the cap, in NDJSON progress mode too', async () => {
    const stream = (): ReadableStream<Uint8Array> => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 4) controller.enqueue(new Uint8Array(MAX_UPLOAD / 2));
          else controller.close();
        },
      });
    };
    const res = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: auth,
      body: stream(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    const progress = await fetch(`${base}/upload`, {
      method: 'POST',
      headers: { ...auth, accept: 'application/x-ndjson' },
      body: stream(),
      duplex: 'half',
    } as RequestInit);
    expect(progress.status).toBe(200);
    const lines = (await progress.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phase: string; error?: { code: string } });
    expect(lines[0]!.phase).toBe('receiving');
    expect(lines.at(-1)).toMatchObject({ phase: 'error', error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});

describe('song stream errors without peers', () => {
  it('NOT_FOUND for a malformed song id over graphql-ws', async () => {
    const client = createClient({ url: api.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const errors = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription { songChunks(songId: "nope") { index } }' },
        { next: (v) => resolve(v), error: (e) => resolve(e), complete: () => resolve('complete') },
      );
    });
    await client.dispose();
    expect(JSON.stringify(errors)).toContain('NOT_FOUND');
  });

  it('refuses websocket upgrades on other paths and from other origins', async () => {
    const status = (url: string, origin?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, 'graphql-transport-ws', origin ? { origin } : {});
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => undefined);
      });
    expect(await status(api.wsUrl.replace('/stream', '/graphql'))).toBe(404);
    expect(await status(api.wsUrl, 'http://evil.example')).toBe(403);
    expect(await status(api.wsUrl, 'http://web.example')).toBe(101);
  });
});
