import { describe, expect, it } from '@jest/globals';
import { endpointFromHttp, makeEndpointRotation } from './endpoints';
import { makeFakeServer, makeManualTimers } from './fakeStream';
import { makeTrackLoader } from './trackLoader';

describe('TrackLoader', () => {
  it('pauses the subscription at the memory cap and resumes from the next index when drained', () => {
    const server = makeFakeServer(20);
    const mt = makeManualTimers();
    const rotation = makeEndpointRotation({ endpoints: [endpointFromHttp('http://127.0.0.1:4000')] });
    const loader = makeTrackLoader({
      songId: 's',
      rotation,
      subscribe: server.subscribe,
      timers: mt.timers,
      maxQueueBytes: 16,
    });
    loader.start();
    server.last().pushUntil(20); // each fake chunk is 4 bytes: pauses after 4 chunks
    expect(loader.queuedChunks()).toBe(4);
    expect(server.last().disposed).toBe(true);
    expect(loader.take()!.bytes).toEqual(new Uint8Array([0, 0, 0, 0]));
    expect(server.subs).toHaveLength(1); // 12 bytes left ≥ half the cap
    loader.take();
    loader.take(); // 4 bytes < 8: resume
    expect(server.subs).toHaveLength(2);
    expect(server.last().fromIndex).toBe(4);
  });

  it('restartAt drops the queue (a seek) and reports completion', () => {
    const server = makeFakeServer(5);
    const rotation = makeEndpointRotation({ endpoints: [endpointFromHttp('http://127.0.0.1:4000')] });
    const loader = makeTrackLoader({
      songId: 's',
      rotation,
      subscribe: server.subscribe,
      timers: makeManualTimers().timers,
    });
    loader.start();
    server.last().pushUntil(2);
    loader.restartAt(3);
    expect(loader.queuedChunks()).toBe(0);
    server.last().pushUntil(5);
    expect([loader.take()!.index, loader.take()!.index]).toEqual([3, 4]);
    expect(loader.drained()).toBe(true);
  });
});
