/**
 * The shard's group commit over a store with set slices (SQLite): set deltas read and write only
 * their members, yet the stored set is always the LWW merge of every delta; the size cap holds
 * across batches; a restart reads the same set; a record write reports the newer stamp it lost to.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyOf } from '../id.js';
import { makeMemoryStore } from '../store/memory.js';
import { makeSqliteStore } from '../store/sqlite.js';
import type { SetValue, ShardStore, Stamp } from '../types.js';
import { MAX_SET_VALUE_BYTES } from './options.js';
import { makeShard, MAX_FLUSH_OPS, type ShardOptions } from './shard.js';
import { makeReadFence } from './shard-batch.js';
import { setDigest } from './set-view.js';
import { maxStampOf, mergeValue, setMembers, valueWireBytes } from './values.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function sqliteFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'gotify-shard-'));
  dirs.push(d);
  return join(d, 'shard.sqlite');
}
const open = (store: ShardStore, more: Partial<ShardOptions> = {}) =>
  makeShard({ store, selfHex: 'ab'.repeat(32), tExpire: () => 3_600_000, metrics: {}, ...more });
const st = (c: number, w = 'w1'): Stamp => ({ c, w });

/** Counts whole-entry reads, so a test can tell slices from whole loads. */
function counting(store: ShardStore): ShardStore & { gets: number } {
  const s = Object.assign(Object.create(null) as object, store, { gets: 0 }) as ShardStore & { gets: number };
  s.get = async (k) => {
    s.gets++;
    return store.get(k);
  };
  return s;
}

describe('shard over SQLite: set slices', () => {
  test('deltas in many batches, concurrent and out of order, end as the LWW merge of all of them', async () => {
    const store = counting(makeSqliteStore({ file: sqliteFile() }));
    const shard = open(store);
    const key = keyOf('test', 'slices');
    let reference: SetValue | undefined;
    const deltas: SetValue[] = [];
    for (let i = 0; i < 60; i++) {
      const m = `m${i % 25}`;
      const s = i % 7 === 3 ? { del: st(1000 - i) } : { add: st(i + 1, i % 2 ? 'w2' : 'w1') };
      deltas.push({ kind: 'set', members: { [m]: s, [`x${i}`]: { add: st(i + 1) } } });
    }
    for (let b = 0; b < deltas.length; b += 6) {
      await Promise.all(deltas.slice(b, b + 6).map((d) => shard.merge(key, d)));
    }
    for (const d of deltas) reference = reference ? (mergeValue(reference, d).value as SetValue) : d;
    const getsBefore = store.gets;
    const stored = await store.get(key);
    expect(stored?.value).toEqual(reference);
    // Only the first batch loaded the (absent) key whole; every later batch read a slice.
    expect(getsBefore).toBe(0);
    // A restarted shard over the same file reads the same set, and its clock passes every stamp.
    const restarted = open(store);
    expect((await restarted.get(key))?.value).toEqual(reference);
    await restarted.restoreClock();
    expect(restarted.clock.value).toBe(maxStampOf(reference!));
    expect(restarted.clock.value).toBeGreaterThan(0);
    await store.close();
  });

  test('the size cap holds across batches although the stored size is written lazily', async () => {
    const file = sqliteFile();
    const store = makeSqliteStore({ file });
    const shard = open(store);
    const key = keyOf('test', 'cap');
    const id = (i: number) => i.toString(16).padStart(64, '0');
    // ~110 B per posting: fill in batches of 1000 until a delta is refused.
    let refused: unknown;
    let i = 0;
    while (!refused && i < 40_000) {
      const members: SetValue['members'] = {};
      for (let j = 0; j < 1000; j++, i++) members[id(i)] = { add: st(i + 1, '0123456789abcdef') };
      refused = await shard.merge(key, { kind: 'set', members }).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(refused).toBeInstanceOf(RangeError);
    const value = (await store.get(key))!.value;
    expect(valueWireBytes(value)).toBeLessThanOrEqual(MAX_SET_VALUE_BYTES);
    expect(valueWireBytes(value)).toBeGreaterThan(MAX_SET_VALUE_BYTES - 1000 * 130);
    await store.close();
  });

  test('a record write reports the newer stamp it lost to; a set add the remove that beats it', async () => {
    const shard = open(makeMemoryStore());
    const rec = keyOf('test', 'record');
    await shard.merge(rec, { kind: 'record', stamp: st(50), bytes: new Uint8Array([1]) });
    expect((await shard.merge(rec, { kind: 'record', stamp: st(10), bytes: new Uint8Array([2]) })).lost).toBe(
      50,
    );
    expect((await shard.merge(rec, { kind: 'record', stamp: st(60), bytes: new Uint8Array([3]) })).lost).toBe(
      0,
    );
    const set = keyOf('test', 'set-lost');
    await shard.merge(set, { kind: 'set', members: { a: { del: st(90) } } });
    expect((await shard.merge(set, { kind: 'set', members: { a: { add: st(5) } } })).lost).toBe(90);
  });

  test('a long queue is flushed in batches of at most MAX_FLUSH_OPS, and other callbacks run between them', async () => {
    const store = makeSqliteStore({ file: sqliteFile() });
    const batches: number[] = [];
    const putMany = store.putMany!.bind(store);
    store.putMany = async (writes) => {
      batches.push(writes.length);
      return putMany(writes);
    };
    const shard = open(store);
    const n = 2 * MAX_FLUSH_OPS + 10;
    const items = Array.from({ length: n }, (_, i) => ({
      key: keyOf('test', `cap-${i}`),
      value: { kind: 'set' as const, members: { [`m${i}`]: { add: st(i + 1) } } },
    }));
    let between = 0;
    const pending = shard.mergeMany(items);
    // Re-armed after each turn: counts event-loop turns taken while the queue drains.
    const tick = () => {
      between++;
      if (batches.length < 3) setImmediate(tick);
    };
    setImmediate(tick);
    const out = await pending;
    expect(out.every((r) => !(r instanceof RangeError) && r.changed)).toBe(true);
    expect(batches).toEqual([MAX_FLUSH_OPS, MAX_FLUSH_OPS, 10]);
    expect(between).toBeGreaterThanOrEqual(2); // a turn between the batches, not one long stall
    await store.close();
  });

  test('mergeMany answers each item in one batch: results in order, a RangeError only for the item over the cap', async () => {
    const store = makeSqliteStore({ file: sqliteFile() });
    const shard = open(store);
    const big = keyOf('test', 'many-big');
    const id = (i: number) => i.toString(16).padStart(64, '0');
    const members: SetValue['members'] = {};
    for (let i = 0; i < 18_000; i++) members[id(i)] = { add: st(i + 1, '0123456789abcdef') };
    await shard.merge(big, { kind: 'set', members });
    const over: SetValue['members'] = {};
    for (let i = 18_000; i < 22_000; i++) over[id(i)] = { add: st(i + 1, '0123456789abcdef') };
    const posting = keyOf('test', 'many-posting');
    const rec = keyOf('test', 'many-record');
    await shard.merge(posting, { kind: 'set', members: { gone: { del: st(90) } } });
    const out = await shard.mergeMany([
      { key: posting, value: { kind: 'set', members: { a: { add: st(1) } } } },
      { key: big, value: { kind: 'set', members: over } },
      { key: rec, value: { kind: 'record', stamp: st(7), bytes: new Uint8Array([1]) }, publisher: true },
      { key: posting, value: { kind: 'set', members: { gone: { add: st(5) } } } },
      { key: posting, value: { kind: 'set', members: { a: { add: st(1) } } } },
    ]);
    expect(out).toHaveLength(5);
    expect(out[0]).toEqual({ changed: true, lost: 0 });
    expect(out[1]).toBeInstanceOf(RangeError);
    expect(out[2]).toEqual({ changed: true, lost: 0 });
    expect(out[3]).toEqual({ changed: true, lost: 90 }); // the add lost to the held remove
    expect(out[4]).toEqual({ changed: false, lost: 0 }); // the same add again, in the same batch
    const stored = (await store.get(posting))!.value as SetValue;
    expect(setMembers(stored)).toEqual(['a']);
    expect(Object.keys(((await store.get(big))!.value as SetValue).members)).toHaveLength(18_000);
    expect((await store.get(rec))!.publisher).toBe(true);
    expect(await shard.mergeMany([])).toEqual([]);
    await store.close();
  });
});

describe('shard read views', () => {
  test('a view built from SQLite rows has the digest and present members of the decoded set, and follows writes', async () => {
    const store = makeSqliteStore({ file: sqliteFile() });
    const shard = open(store);
    const key = keyOf('test', 'view');
    const members: SetValue['members'] = {};
    for (let i = 0; i < 100; i++)
      members[`m${i}`] =
        i % 10 === 0
          ? { add: st(i + 1, 'w2'), del: st(i + 1, 'w1') }
          : i % 7 === 0
            ? { add: st(i), del: st(i + 5) }
            : { add: st(i + 1) };
    await shard.merge(key, { kind: 'set', members });
    const decoded = (await store.get(key))!.value as SetValue;
    // A fresh shard (cold caches) builds the view from rows.
    const cold = open(store);
    const v1 = (await cold.view(key))!;
    expect(v1.digest).toBe(setDigest(decoded));
    expect([...v1.members].sort()).toEqual(setMembers(decoded));
    expect(await cold.view(key)).toBe(v1); // cached
    // A write through the shard invalidates its cached view.
    await cold.merge(key, { kind: 'set', members: { m1: { del: st(500) }, fresh: { add: st(501) } } });
    const after = (await store.get(key))!.value as SetValue;
    const v2 = (await cold.view(key))!;
    expect(v2).not.toBe(v1);
    expect(v2.digest).toBe(setDigest(after));
    expect([...v2.members].sort()).toEqual(setMembers(after));
    expect(v2.members).toContain('fresh');
    expect(v2.members).not.toContain('m1');
    expect(await cold.view(keyOf('test', 'absent'))).toBeUndefined();
    await store.close();
  });
});

describe('shard maintenance', () => {
  const rec = (c: number) => ({ kind: 'record' as const, bytes: new Uint8Array([c]), stamp: st(c) });

  test('a new entry counts as replicated when created; later merges keep that time', async () => {
    const store = makeSqliteStore({ file: sqliteFile() });
    let t = 5_000;
    const shard = open(store, { now: () => t });
    const set = keyOf('test', 'created');
    const record = keyOf('test', 'record');
    await shard.merge(set, { kind: 'set', members: { a: { add: st(1) } } });
    await shard.merge(record, rec(1));
    t = 9_000;
    await shard.merge(set, { kind: 'set', members: { b: { add: st(2) } } });
    await shard.merge(record, rec(2));
    expect((await store.get(set))!.replicatedAt).toBe(5_000);
    expect((await store.get(record))!.replicatedAt).toBe(5_000);
    await store.close();
  });

  test("a set's digest and an entry's metadata are read without loading the value", async () => {
    const inner = makeSqliteStore({ file: sqliteFile() });
    const store = counting(inner);
    const shard = open(store);
    const set = keyOf('test', 'digest-set');
    const members: SetValue['members'] = {};
    for (let i = 0; i < 100; i++) members[`m${i}`] = { add: st(i + 1) };
    await shard.merge(set, { kind: 'set', members });
    const record = keyOf('test', 'digest-record');
    await shard.merge(record, { kind: 'record', stamp: st(5), bytes: new Uint8Array([1]) });
    await shard.drain();
    const cold = open(store); // nothing cached: the digest comes from the set's rows
    const gets = store.gets;
    const digest = await cold.setDigestOf(set);
    expect(digest).toBe(setDigest((await inner.get(set))!.value as SetValue));
    expect(await cold.setDigestOf(record)).toBeUndefined();
    expect(await cold.setDigestOf(keyOf('test', 'absent'))).toBeUndefined();
    expect(await cold.meta(record)).toMatchObject({ kind: 'record', publisher: false });
    expect(await cold.meta(keyOf('test', 'absent'))).toBeUndefined();
    expect(store.gets).toBe(gets);
    await inner.close();
  });

  test('marking replicated updates the row alone: no load, no rewrite of the set', async () => {
    const inner = makeSqliteStore({ file: sqliteFile() });
    const store = counting(inner);
    const writes: unknown[] = [];
    store.putMany = async (w) => {
      writes.push(...w);
      return inner.putMany!(w);
    };
    const shard = open(store);
    const key = keyOf('test', 'marked');
    const members: SetValue['members'] = {};
    for (let i = 0; i < 500; i++) members[`m${i}`] = { add: st(i + 1) };
    await shard.merge(key, { kind: 'set', members });
    const [gets, written] = [store.gets, writes.length];
    await Promise.all([shard.markReplicated(key, 77), shard.markReplicated(keyOf('test', 'absent'), 77)]);
    expect(store.gets).toBe(gets);
    expect(writes.length).toBe(written);
    const e = (await inner.get(key))!;
    expect(e.replicatedAt).toBe(77);
    expect(Object.keys((e.value as SetValue).members)).toHaveLength(500);
    // A mark and a merge of one key in one batch: the whole-entry path keeps both.
    await Promise.all([
      shard.markReplicated(key, 88),
      shard.merge(key, { kind: 'set', members: { extra: { add: st(900) } } }),
    ]);
    const both = (await inner.get(key))!;
    expect(both.replicatedAt).toBe(88);
    expect(Object.keys((both.value as SetValue).members)).toHaveLength(501);
    await inner.close();
  });

  test('a mark refreshes the expiry as a merge would; an expired entry is not revived', async () => {
    const store = makeSqliteStore({ file: sqliteFile() });
    let t = 1_000;
    const shard = open(store, { tExpire: () => 10_000, now: () => t });
    const live = keyOf('test', 'mark-live');
    const old = keyOf('test', 'mark-old');
    await shard.merge(live, { kind: 'set', members: { a: { add: st(1) } } });
    await shard.merge(old, rec(1));
    t = 5_000;
    await shard.markReplicated(live, 5_000);
    expect(await store.get(live)).toMatchObject({ replicatedAt: 5_000, expiresAt: 15_000 });
    t = 12_000; // both expired at 11,000 but for the mark
    await shard.markReplicated(old, 12_000);
    expect(await store.get(old)).toMatchObject({ replicatedAt: 1_000, expiresAt: 11_000 });
    await store.close();
  });

  test('walkMeta hands the picked live entries in batches, reads no value, and lets the event loop turn', async () => {
    const inner = makeSqliteStore({ file: sqliteFile() });
    const store = counting(inner);
    let t = 1_000;
    const shard = open(store, { tExpire: () => 10_000, now: () => t });
    await shard.mergeMany(
      Array.from({ length: 2_500 }, (_, i) => ({ key: keyOf('walk', String(i)), value: rec(i + 1) })),
    );
    t = 6_000;
    await shard.mergeMany(
      Array.from({ length: 10 }, (_, i) => ({ key: keyOf('walk', String(i)), value: rec(5_000 + i) })),
    );
    t = 12_000; // the first write (expires at 11,000) is expired but for the 10 keys written again
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const gets = store.gets;
    const batches: number[] = [];
    const handed = await shard.walkMeta(
      (m) => m.kind === 'record',
      async (b) => void batches.push(b.length),
      4,
    );
    ticking = false;
    expect(handed).toBe(10);
    expect(batches).toEqual([4, 4, 2]);
    expect(store.gets - gets).toBe(0); // metadata only
    expect(turns).toBeGreaterThanOrEqual(3); // 2,500 metas: the loop turned while walking
    expect(await shard.expire()).toBe(2_490);
    await inner.close();
  });
});

describe('makeReadFence', () => {
  test('a read that straddles a write of its key may not cache; other keys and later reads may', () => {
    const f = makeReadFence(3);
    const a = f.begin();
    const b = f.begin();
    f.written(['k1']);
    const c = f.begin(); // began after the write
    expect(f.end('k1', a)).toBe(false);
    expect(f.end('k2', b)).toBe(true);
    expect(f.end('k1', c)).toBe(true);
    // Nothing in flight: writes are not remembered, and a new read caches.
    f.written(['k1']);
    const d = f.begin();
    expect(f.end('k1', d)).toBe(true);
  });

  test('past maxKeys remembered, every read in flight is refused, later ones are not', () => {
    const f = makeReadFence(3);
    const a = f.begin();
    f.written(['a', 'b', 'c', 'd']);
    const b = f.begin();
    expect(f.end('zzz', a)).toBe(false);
    expect(f.end('zzz', b)).toBe(true);
  });
});

test('a set rewritten as a slice is warmed once writes pause, and onViewWarmed gets the view a read returns', async () => {
  const store = makeSqliteStore({ file: sqliteFile() });
  const warmed: (readonly string[])[] = [];
  const shard = open(store, { onViewWarmed: (members) => warmed.push(members) });
  const key = keyOf('w', 'love#0');
  await shard.merge(key, { kind: 'set', members: { a: { add: st(1) } } }); // a new set: written whole
  await shard.merge(key, { kind: 'set', members: { b: { add: st(2) } } }); // a slice: reaches the warmer
  for (let t = 0; warmed.length === 0 && t < 300; t++) await new Promise((r) => setTimeout(r, 10));
  expect(warmed.length).toBe(1);
  expect([...warmed[0]!].sort()).toEqual(['a', 'b']);
  expect((await shard.view(key))?.members).toBe(warmed[0]); // the same array: derived data stays valid
  await shard.stopWarming();
  await store.close();
});

test('a restarted shard warms the largest sets its store holds, biggest first', async () => {
  const file = sqliteFile();
  const before = makeSqliteStore({ file });
  const first = open(before);
  const sizes = [3, 40, 12]; // members per set
  for (const [i, n] of sizes.entries()) {
    const members: SetValue['members'] = {};
    for (let j = 0; j < n; j++) members[`s${i}m${j}`] = { add: st(j + 1) };
    await first.merge(keyOf('w', `set${i}#0`), { kind: 'set', members });
  }
  await first.stopWarming();
  await before.close();
  const store = makeSqliteStore({ file });
  const warmed: number[] = [];
  const shard = open(store, { onViewWarmed: (members) => warmed.push(members.length) });
  expect(await shard.warmLargest()).toBe(3);
  for (let t = 0; warmed.length < 3 && t < 300; t++) await new Promise((r) => setTimeout(r, 10));
  expect(warmed).toEqual([40, 12, 3]);
  await shard.stopWarming();
  await store.close();
});
