import { describe, expect, it } from '@jest/globals';
import { endpointFromHttp, makeEndpointRotation } from './endpoints';

const [A, B, C] = ['http://127.0.0.1:4000', 'http://127.0.0.1:4001', 'http://127.0.0.1:4002'].map((u) =>
  endpointFromHttp(u),
) as [
  ReturnType<typeof endpointFromHttp>,
  ReturnType<typeof endpointFromHttp>,
  ReturnType<typeof endpointFromHttp>,
];

describe('endpoint rotation', () => {
  it('derives the websocket URL from the HTTP base', () => {
    expect(endpointFromHttp('http://h:4000/')).toEqual({ http: 'http://h:4000', ws: 'ws://h:4000/stream' });
    expect(endpointFromHttp('https://h').ws).toBe('wss://h/stream');
    expect(endpointFromHttp('http://h:1', 'api-1', '/graphql').ws).toBe('ws://h:1/graphql');
  });

  it('fails over in order A → B → C, then retries the oldest failure first', () => {
    let now = 0;
    const r = makeEndpointRotation({ endpoints: [A, B, C], now: () => now });
    expect(r.pick()).toBe(A);
    r.fail(A);
    expect(r.order()).toEqual([B, C, A]);
    now = 1;
    r.fail(B);
    expect(r.pick()).toBe(C);
    now = 2;
    r.fail(C);
    expect(r.order()).toEqual([A, B, C]);
  });

  it('a failed node is demoted only for the cooldown', () => {
    let now = 0;
    const r = makeEndpointRotation({ endpoints: [A, B], now: () => now, cooldownMs: 1000 });
    r.fail(B);
    r.succeed(A);
    expect(r.order()).toEqual([A, B]);
    r.fail(A);
    expect(r.order()).toEqual([B, A]); // both demoted: oldest failure (B) first
    now = 1500;
    expect(r.order()).toEqual([B, A]); // cursor moved past A; both healthy again
  });

  it('update keeps the current preference and ignores empty answers', () => {
    const r = makeEndpointRotation({ endpoints: [A, B] });
    r.fail(A);
    expect(r.pick()).toBe(B);
    let changes = 0;
    r.onChange(() => changes++);
    r.update([A, B, C]);
    expect(r.pick()).toBe(B);
    expect(changes).toBe(1);
    r.update([]);
    expect(r.list()).toEqual([A, B, C]);
    r.update([C, C]);
    expect(r.list()).toEqual([C]);
  });
});
