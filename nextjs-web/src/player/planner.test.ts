import { describe, expect, it } from '@jest/globals';
import {
  chunkIndexForOffset,
  chunkOffset,
  feedDecision,
  makeLayout,
  makeTimeMap,
  planSeek,
  shouldPrefetch,
} from './planner';

const KiB = 1024;

describe('chunk layout', () => {
  // 1 MiB file: chunk 0 = 32 KiB, then 128 KiB chunks → 1 + ceil(992/128) = 9 chunks
  const l = makeLayout(1024 * KiB, 128 * KiB, 32 * KiB);

  it('counts chunks with a small first chunk', () => {
    expect(l.chunkCount).toBe(9);
    expect(makeLayout(10 * KiB).chunkCount).toBe(1);
  });

  it('maps byte offsets to chunk indexes at the boundaries', () => {
    expect(chunkIndexForOffset(l, 0)).toBe(0);
    expect(chunkIndexForOffset(l, 32 * KiB - 1)).toBe(0);
    expect(chunkIndexForOffset(l, 32 * KiB)).toBe(1);
    expect(chunkIndexForOffset(l, 160 * KiB - 1)).toBe(1);
    expect(chunkIndexForOffset(l, 160 * KiB)).toBe(2);
    expect(chunkIndexForOffset(l, 1024 * KiB)).toBe(8); // clamped to the last chunk
    expect(chunkOffset(l, 0)).toBe(0);
    expect(chunkOffset(l, 2)).toBe(160 * KiB);
  });
});

describe('seek → chunk index', () => {
  it('uses position/duration × size for CBR audio', () => {
    // 4 MiB, 256 s → 16 KiB/s; 100 s → byte 1,638,400 → chunk 1 + floor((1638400-32768)/131072) = 13
    const l = makeLayout(4096 * KiB, 128 * KiB, 32 * KiB);
    const m = makeTimeMap(4096 * KiB, 256);
    const plan = planSeek(l, m, 100);
    expect(plan.index).toBe(13);
    expect(plan.startTime).toBeCloseTo(chunkOffset(l, 13) / (16 * KiB), 6);
    expect(plan.startTime).toBeLessThanOrEqual(100);
    expect(planSeek(l, m, 0)).toEqual({ index: 0, startTime: 0 });
    expect(planSeek(l, m, 10_000).index).toBe(l.chunkCount - 1);
  });

  it('learns from decoder timestamps (e.g. a 512 KiB ID3 tag with cover art before the audio)', () => {
    const size = 4096 * KiB;
    const l = makeLayout(size, 128 * KiB, 32 * KiB);
    const m = makeTimeMap(size, 224); // audio = 3.5 MiB at 16 KiB/s
    m.add(544 * KiB, 2); // end of chunk 4 played at 2 s (512 KiB of tag + 32 KiB of audio)
    expect(m.timeAt(544 * KiB)).toBe(2);
    const plan = planSeek(l, m, 100); // byte ≈ 544 KiB + 98 s × ~16 KiB/s
    expect(plan.index).toBeGreaterThan(13);
    expect(Math.abs(m.timeAt(m.offsetAt(100)) - 100)).toBeLessThan(1e-9);
  });

  it('ignores decoder points that would make time go backwards', () => {
    const m = makeTimeMap(1000, 100);
    m.add(500, 50);
    m.add(600, 40);
    expect(m.points()).toHaveLength(3);
    m.add(1000, 101); // the real duration was a little longer
    expect(m.timeAt(1000)).toBe(101);
  });
});

describe('prefetch and buffering policy', () => {
  it('prefetches the next song exactly when 30 s remain', () => {
    const base = { duration: 200, hasNext: true, prefetching: false };
    expect(shouldPrefetch({ ...base, position: 169.9 })).toBe(false);
    expect(shouldPrefetch({ ...base, position: 170 })).toBe(true);
    expect(shouldPrefetch({ ...base, position: 190, prefetching: true })).toBe(false);
    expect(shouldPrefetch({ ...base, position: 190, hasNext: false })).toBe(false);
    expect(shouldPrefetch({ ...base, duration: 20, position: 0 })).toBe(true); // short song
  });

  it('feeds below the target, stops above the high mark, keeps its mind in between', () => {
    expect(feedDecision(10, false)).toBe(true);
    expect(feedDecision(45, true)).toBe(true);
    expect(feedDecision(45, false)).toBe(false);
    expect(feedDecision(61, true)).toBe(false);
  });
});
