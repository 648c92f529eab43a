/**
 * Failover of the replica pool + fetcher against real local HTTP servers: queries move on after
 * 5xx, resets and timeouts; mutations move on only when nothing was sent (connection refused).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { makeReplicaPool } from './replica-pool.js';
import { FailoverError, makeFailoverFetcher, operationKindOf, sendWithFailover } from './fetcher.js';
import { classifyFetchError, mayRetry, RETRY_POLICY } from './retry-policy.js';

type Behaviour = 'ok' | '500' | 'reset' | 'hang' | '404';

interface FakeReplica {
  url: string;
  hits: number;
  behaviour: Behaviour;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function replica(behaviour: Behaviour, tag: string): Promise<FakeReplica> {
  const state = { hits: 0, behaviour };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const isProbe = body.includes('__ApolloServiceHealthCheck__');
      if (!isProbe) state.hits++;
      switch (state.behaviour) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ data: isProbe ? { __typename: 'Query' } : { who: tag } }));
          return;
        case '500':
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"errors":[{"message":"boom"}]}');
          return;
        case '404':
          res.writeHead(404);
          res.end('nope');
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'hang':
          return;
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    get hits() {
      return state.hits;
    },
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b: Behaviour) {
      state.behaviour = b;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A url where nothing listens (bind, read the port, close). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/graphql`;
}

const QUERY = {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'query Q { who }' }),
};
const MUTATION = {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'mutation M { who }' }),
};

describe('operationKindOf', () => {
  it('reads the operation type from the gateway request body', () => {
    expect(operationKindOf(JSON.stringify({ query: 'query A__peer__0{x}' }))).toBe('query');
    expect(operationKindOf(JSON.stringify({ query: '  {x}' }))).toBe('query');
    expect(operationKindOf(JSON.stringify({ query: '# c\nquery{x}' }))).toBe('query');
    expect(operationKindOf(JSON.stringify({ query: 'mutation StoreSong__tracker__0{x}' }))).toBe('mutation');
    expect(operationKindOf('not json')).toBe('mutation');
  });
});

describe('retry policy table', () => {
  it('retries queries on any transport failure but mutations only when never sent', () => {
    for (const kind of ['connect-refused', 'dns-failure', 'connect-timeout'] as const) {
      expect(mayRetry(kind, 'mutation')).toBe(true);
      expect(mayRetry(kind, 'query')).toBe(true);
    }
    for (const kind of [
      'connection-reset',
      'timeout',
      'http-5xx',
      'http-429',
      'bad-response',
      'integrity',
    ] as const) {
      expect(mayRetry(kind, 'query')).toBe(true);
      expect(mayRetry(kind, 'mutation')).toBe(false);
      expect(mayRetry(kind, 'mutation', true)).toBe(true);
    }
    expect(mayRetry('http-4xx', 'query')).toBe(false);
    for (const rule of Object.values(RETRY_POLICY)) expect(rule.reason.length).toBeGreaterThan(10);
  });

  it('classifies undici errors', () => {
    expect(
      classifyFetchError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })),
    ).toBe('connect-refused');
    expect(
      classifyFetchError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } })),
    ).toBe('dns-failure');
    expect(
      classifyFetchError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } })),
    ).toBe('connection-reset');
    expect(classifyFetchError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe('timeout');
  });
});

describe('replica pool failover', () => {
  it('probes replicas and counts the live ones', async () => {
    const a = await replica('ok', 'a');
    const pool = makeReplicaPool({ name: 't', replicas: [a.url, await deadUrl()] });
    await pool.probeAll();
    expect(pool.liveCount()).toBe(1);
    expect(pool.candidates()[0]).toBe(a.url);
    expect(
      pool
        .snapshot()
        .map((r) => r.health)
        .sort(),
    ).toEqual(['down', 'up']);
  });

  it('spreads queries over live replicas round-robin', async () => {
    const a = await replica('ok', 'a');
    const b = await replica('ok', 'b');
    const pool = makeReplicaPool({ name: 't', replicas: [a.url, b.url] });
    await pool.probeAll();
    for (let i = 0; i < 4; i++) await sendWithFailover(pool, QUERY, { op: 'query' });
    expect([a.hits, b.hits]).toEqual([2, 2]);
  });

  it.each(['500', 'reset', 'hang'] as const)(
    'retries a query on the next replica after %s',
    async (failure) => {
      const bad = await replica(failure, 'bad');
      const good = await replica('ok', 'good');
      const pool = makeReplicaPool({ name: 't', replicas: [bad.url, good.url] });
      const fetcher = makeFailoverFetcher(pool, { timeoutMs: 300 });
      const res = await fetcher('http://peer.gotify.internal/graphql', QUERY);
      expect(await res.json()).toEqual({ data: { who: 'good' } });
      expect(bad.hits).toBe(1);
      expect(good.hits).toBe(1);
    },
  );

  it.each(['500', 'reset', 'hang'] as const)(
    'does not replay a mutation that reached a replica (%s)',
    async (failure) => {
      const bad = await replica(failure, 'bad');
      const good = await replica('ok', 'good');
      const pool = makeReplicaPool({ name: 't', replicas: [bad.url, good.url] });
      const fetcher = makeFailoverFetcher(pool, { timeoutMs: 300 });
      if (failure === '500') {
        // The 500 is handed to Apollo as the answer: the mutation is not tried elsewhere.
        const res = await fetcher('http://x/graphql', MUTATION);
        expect(res.status).toBe(500);
      } else {
        await expect(fetcher('http://x/graphql', MUTATION)).rejects.toThrow(FailoverError);
      }
      expect(bad.hits).toBe(1);
      expect(good.hits).toBe(0);
    },
  );

  it('retries a mutation when the first replica refused the connection', async () => {
    const dead = await deadUrl();
    const good = await replica('ok', 'good');
    const pool = makeReplicaPool({ name: 't', replicas: [dead, good.url] });
    const res = await makeFailoverFetcher(pool)('http://x/graphql', MUTATION);
    expect(await res.json()).toEqual({ data: { who: 'good' } });
    expect(good.hits).toBe(1);
    expect(pool.snapshot().find((r) => r.url === dead)?.health).toBe('down');
  });

  it('does not retry a 4xx anywhere', async () => {
    const a = await replica('404', 'a');
    const b = await replica('ok', 'b');
    const pool = makeReplicaPool({ name: 't', replicas: [a.url, b.url] });
    expect((await sendWithFailover(pool, QUERY, { op: 'query' })).status).toBe(404);
    expect(b.hits).toBe(0);
  });

  it('moves a replica that failed behind the live ones and brings it back after a good probe', async () => {
    const a = await replica('ok', 'a');
    const b = await replica('ok', 'b');
    const pool = makeReplicaPool({ name: 't', replicas: [a.url, b.url] });
    await pool.probeAll();
    a.behaviour = 'reset';
    await sendWithFailover(pool, QUERY, { op: 'query' });
    await sendWithFailover(pool, QUERY, { op: 'query' });
    expect(pool.liveCount()).toBe(1);
    expect(pool.candidates()[0]).toBe(b.url);
    a.behaviour = 'ok';
    await pool.probeAll();
    expect(pool.liveCount()).toBe(2);
  });

  it('fails clearly when the pool is empty', async () => {
    const pool = makeReplicaPool({ name: 'empty' });
    await expect(sendWithFailover(pool, QUERY, { op: 'query' })).rejects.toMatchObject({
      kind: 'no-replica',
    });
  });

  it('keeps static replicas when discovery changes', async () => {
    const pool = makeReplicaPool({ name: 't', replicas: ['http://s/graphql'] });
    pool.setDiscovered(['http://d1/graphql', 'http://d2/graphql']);
    pool.setDiscovered(['http://d2/graphql']);
    expect(
      pool
        .snapshot()
        .map((r) => r.url)
        .sort(),
    ).toEqual(['http://d2/graphql', 'http://s/graphql']);
  });
});
