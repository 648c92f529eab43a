import { describe, expect, it } from '@jest/globals';
import { endpointFromHttp, makeEndpointRotation } from '../player/endpoints';
import { API_PLACEHOLDER, makeFailoverFetch } from './failoverFetch';

const eps = ['http://127.0.0.1:4000', 'http://127.0.0.1:4001', 'http://127.0.0.1:4002'].map((u) =>
  endpointFromHttp(u),
);

describe('failover fetch', () => {
  it('tries the next API node on a network error and sticks with the one that answers', async () => {
    const calls: string[] = [];
    const down = new Set(['http://127.0.0.1:4000']);
    const fake = (async (url: string) => {
      calls.push(url);
      if ([...down].some((d) => url.startsWith(d))) throw new TypeError('fetch failed');
      return new Response('{"data":{}}', { status: 200 });
    }) as unknown as typeof fetch;
    const rotation = makeEndpointRotation({ endpoints: eps });
    const f = makeFailoverFetch(rotation, fake);
    const res = await f(`${API_PLACEHOLDER}/graphql`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(calls).toEqual(['http://127.0.0.1:4000/graphql', 'http://127.0.0.1:4001/graphql']);
    await f(`${API_PLACEHOLDER}/graphql?x=1`);
    expect(calls[2]).toBe('http://127.0.0.1:4001/graphql?x=1');
  });

  it('retries on 503 but returns the last answer when every node fails', async () => {
    const fake = (async () => new Response('busy', { status: 503 })) as unknown as typeof fetch;
    const f = makeFailoverFetch(makeEndpointRotation({ endpoints: eps }), fake);
    expect((await f(`${API_PLACEHOLDER}/graphql`)).status).toBe(503);
  });

  it('fails with a clear error when no endpoint is known', async () => {
    const f = makeFailoverFetch(makeEndpointRotation({ endpoints: [] }));
    await expect(f('/graphql')).rejects.toThrow('No API node');
  });
});
