import { describe, expect, it } from '@jest/globals';
import { makeChunkStream, type ChunkMessage } from './chunkStream';
import { endpointFromHttp, makeEndpointRotation } from './endpoints';
import { makeFakeServer, makeManualTimers } from './fakeStream';

const A = endpointFromHttp('http://127.0.0.1:4000');
const B = endpointFromHttp('http://127.0.0.1:4001');
const C = endpointFromHttp('http://127.0.0.1:4002');

function setup(total: number, endpoints = [A, B, C]) {
  const server = makeFakeServer(total);
  const mt = makeManualTimers();
  const rotation = makeEndpointRotation({ endpoints, now: mt.now });
  const got: ChunkMessage[] = [];
  const events: string[] = [];
  let completed = 0;
  let fatal: string | null = null;
  const stream = makeChunkStream({
    songId: 's1',
    rotation,
    subscribe: server.subscribe,
    timers: mt.timers,
    onChunk: (c) => got.push(c),
    onComplete: () => completed++,
    onFatal: (m) => (fatal = m),
    onEvent: (e) => events.push(e.type),
  });
  return { server, mt, rotation, got, events, stream, completed: () => completed, fatal: () => fatal };
}

describe('ChunkStream', () => {
  it('resumes on another API node from the next missing index after the socket drops', () => {
    const t = setup(10);
    t.stream.start();
    expect(t.server.last().endpoint).toBe(A);
    t.server.last().pushUntil(4);
    t.server.last().drop();
    const second = t.server.last();
    expect(second.endpoint).toBe(B);
    expect(second.fromIndex).toBe(4);
    expect(t.server.subs[0]!.disposed).toBe(true);
    second.pushUntil(10);
    expect(t.got.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.completed()).toBe(1);
    expect(t.stream.stats()).toMatchObject({ phase: 'complete', received: 10, failovers: 1 });
  });

  it('drops duplicate chunks (a replica or a retry re-sending from an older index)', () => {
    const t = setup(6);
    t.stream.start();
    const s = t.server.last();
    s.push(0);
    s.push(1);
    s.push(1);
    s.push(0);
    s.push(2);
    expect(t.got.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(t.stream.stats().duplicates).toBe(2);
  });

  it('ignores chunks from a subscription it already abandoned', () => {
    const t = setup(6);
    t.stream.start();
    const first = t.server.last();
    first.push(0);
    first.drop();
    first.sink.next({ ...t.got[0]!, index: 1 }); // late message on the dead socket
    t.server.last().pushUntil(6);
    expect(t.got.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('treats a silent node as dead after the stall timeout and fails over', () => {
    const t = setup(5);
    t.stream.start();
    t.server.last().pushUntil(2);
    t.mt.advance(4999);
    expect(t.server.subs).toHaveLength(1);
    t.mt.advance(2);
    expect(t.server.last().endpoint).toBe(B);
    expect(t.server.last().fromIndex).toBe(2);
    expect(t.stream.stats().stalls).toBe(1);
  });

  it('resubscribes when a server completes before the last chunk', () => {
    const t = setup(5);
    t.stream.start();
    t.server.last().pushUntil(3);
    t.server.last().sink.complete();
    expect(t.server.last().fromIndex).toBe(3);
    expect(t.server.last().endpoint).toBe(B);
  });

  it('stops on BAD_USER_INPUT without failing over', () => {
    const t = setup(5);
    t.stream.start();
    t.server.last().sink.error([{ message: 'fromIndex past end', extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(t.server.subs).toHaveLength(1);
    expect(t.fatal()).toContain('fromIndex past end');
    expect(t.stream.stats().phase).toBe('failed');
  });

  it('tries every node, backs off after a full round, and gives up after the failure budget', () => {
    const t = setup(5);
    t.stream.start();
    t.server.last().drop();
    t.server.last().drop();
    t.server.last().drop(); // a full round of 3 failed: wait for the backoff
    expect(t.server.subs.map((s) => s.endpoint)).toEqual([A, B, C]);
    t.mt.advance(500);
    expect(t.server.subs).toHaveLength(4);
    for (let i = 0; i < 20 && t.stream.stats().phase === 'active'; i++) {
      t.server.last().drop();
      t.mt.advance(500);
    }
    expect(t.stream.stats().phase).toBe('failed');
    expect(t.fatal()).toContain('gave up after 12');
  });

  it('pause disposes the subscription and resume continues from the next index', () => {
    const t = setup(8);
    t.stream.start();
    t.server.last().pushUntil(3);
    t.stream.pause();
    expect(t.server.last().disposed).toBe(true);
    t.mt.advance(60_000); // no stall while paused
    expect(t.server.subs).toHaveLength(1);
    t.stream.resume();
    expect(t.server.last().fromIndex).toBe(3);
    expect(t.server.last().endpoint).toBe(A);
  });

  it('restartAt (seek) drops progress and subscribes from the requested chunk', () => {
    const t = setup(100);
    t.stream.start();
    t.server.last().pushUntil(5);
    t.stream.restartAt(60);
    expect(t.server.last().fromIndex).toBe(60);
    t.server.last().pushUntil(62);
    expect(t.got.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 60, 61]);
  });
});
