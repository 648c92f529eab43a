/**
 * The one behavioural contract every durable `ShardStore` must meet, as jest tests. A store's test
 * file calls `defineStoreContract` with a factory of fresh locations (a temp file, a collection
 * prefix); each location can be opened more than once, which is how durability across reopen is
 * checked.
 *
 * Does not: start databases (each store's test file does, or reports itself skipped).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import type { Contact, SetSlice, SetValue, ShardStore, StoredEntry, Value } from '../types.js';

/** A place a store lives in; `open` may be called again after `close` and must see the same data. */
export interface StoreLocation {
  open(): Promise<ShardStore> | ShardStore;
  /** Removes whatever the location left behind. */
  cleanup?(): Promise<void>;
}

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const id = (): Uint8Array => new Uint8Array(randomBytes(32));

/** A set holding one member, `a`, added at stamp 1 of writer `w1`. */
function oneMemberSet(extra: Partial<StoredEntry> = {}): StoredEntry {
  return {
    key: id(),
    value: { kind: 'set', members: { a: { add: { c: 1, w: 'w1' } } } },
    expiresAt: 1_000,
    publisher: false,
    replicatedAt: 0,
    ...extra,
  };
}

/** A blob entry keyed by its bytes' hash (expires at 1,000, not published, never replicated). */
export function blobEntry(bytes: Uint8Array, extra: Partial<StoredEntry> = {}): StoredEntry {
  return {
    key: sha(bytes),
    value: { kind: 'blob', bytes },
    expiresAt: 1_000,
    publisher: false,
    replicatedAt: 0,
    ...extra,
  };
}

/** Bytes comparison that ignores Buffer vs Uint8Array. */
/** A slice as the contract pins it: `ref` is the store's own handle (SQLite has one, MongoDB none). */
export function withoutRef<T>(s: T): T {
  if (!s || typeof s !== 'object' || !('ref' in s)) return s;
  const { ref: _ref, ...rest } = s as T & SetSlice;
  return rest as T;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** Expects `got` to be `want`: key, metadata and value (bytes compared as bytes). */
export function expectSameEntry(got: StoredEntry | undefined, want: StoredEntry): void {
  expect(got).toBeDefined();
  const g = got!;
  expect(g.key).toBeInstanceOf(Uint8Array);
  expect(same(g.key, want.key)).toBe(true);
  expect(g.expiresAt).toBe(want.expiresAt);
  expect(g.publisher).toBe(want.publisher);
  expect(g.replicatedAt).toBe(want.replicatedAt);
  expect(g.value.kind).toBe(want.value.kind);
  if (want.value.kind === 'set') {
    expect(g.value).toEqual(want.value);
  } else {
    const gv = g.value as Extract<Value, { bytes: Uint8Array }>;
    expect(gv.bytes).toBeInstanceOf(Uint8Array);
    expect(same(gv.bytes, want.value.bytes)).toBe(true);
    if (want.value.kind === 'record') {
      expect(gv).toMatchObject({ stamp: want.value.stamp });
      expect(!!(gv as { deleted?: boolean }).deleted).toBe(!!want.value.deleted);
    }
  }
}

async function collect(store: ShardStore): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  for await (const e of store.scan()) out.push(e);
  return out;
}

export function defineStoreContract(
  name: string,
  newLocation: () => Promise<StoreLocation> | StoreLocation,
): void {
  describe(`ShardStore contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    async function fresh(): Promise<{ store: ShardStore; loc: StoreLocation }> {
      const loc = await newLocation();
      const store = await loc.open();
      cleanups.push(async () => {
        await store.close().catch(() => {});
        await loc.cleanup?.();
      });
      return { store, loc };
    }
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });

    test('get of a missing key is undefined; an empty store has size 0 and no contacts', async () => {
      const { store } = await fresh();
      expect(await store.get(id())).toBeUndefined();
      expect(await store.size()).toEqual({ keys: 0, bytes: 0 });
      expect(await store.loadContacts()).toEqual([]);
      expect(await collect(store)).toEqual([]);
    });

    test('put/get round-trips blobs, records and sets with their metadata', async () => {
      const { store } = await fresh();
      const blob = blobEntry(new Uint8Array([1, 2, 3, 0, 255]), {
        publisher: true,
        expiresAt: 123_456,
        replicatedAt: 42,
      });
      const record: StoredEntry = {
        key: id(),
        value: {
          kind: 'record',
          stamp: { c: 7, w: 'ab'.repeat(32) },
          bytes: new TextEncoder().encode('{"t":1}'),
          deleted: true,
        },
        expiresAt: 9_999_999_999_999,
        publisher: false,
        replicatedAt: 1,
      };
      const set: StoredEntry = {
        key: id(),
        value: {
          kind: 'set',
          members: { a: { add: { c: 1, w: 'x' } }, 'b/é': { add: { c: 2, w: 'y' }, del: { c: 3, w: 'z' } } },
        },
        expiresAt: 5,
        publisher: true,
        replicatedAt: 6,
      };
      for (const e of [blob, record, set]) await store.put(e);
      expectSameEntry(await store.get(blob.key), blob);
      expectSameEntry(await store.get(record.key), record);
      expectSameEntry(await store.get(set.key), set);
    });

    test('put replaces the entry for the same key', async () => {
      const { store } = await fresh();
      const key = id();
      await store.put({
        key,
        value: { kind: 'record', stamp: { c: 1, w: 'a' }, bytes: new Uint8Array(10) },
        expiresAt: 1,
        publisher: false,
        replicatedAt: 0,
      });
      const second: StoredEntry = {
        key,
        value: { kind: 'record', stamp: { c: 2, w: 'a' }, bytes: new Uint8Array([9, 9]) },
        expiresAt: 2,
        publisher: true,
        replicatedAt: 3,
      };
      await store.put(second);
      expectSameEntry(await store.get(key), second);
      expect(await store.size()).toEqual({ keys: 1, bytes: 2 });
    });

    test('putMany inserts and replaces many entries in one call; an empty list is a no-op', async () => {
      const { store, loc } = await fresh();
      expect(typeof store.putMany).toBe('function');
      const blobs = Array.from({ length: 300 }, (_, i) => blobEntry(new Uint8Array([i & 255, i >> 8, 9])));
      await store.putMany!(blobs.map((entry) => ({ entry })));
      await store.putMany!([]);
      const setKey = id();
      const first: StoredEntry = {
        key: setKey,
        value: { kind: 'set', members: { a: { add: { c: 1, w: 'x' } } } },
        expiresAt: 1,
        publisher: false,
        replicatedAt: 0,
      };
      await store.put(first);
      const replaced: StoredEntry = {
        key: setKey,
        value: {
          kind: 'set',
          members: { a: { add: { c: 1, w: 'x' }, del: { c: 2, w: 'y' } }, bc: { add: { c: 3, w: 'x' } } },
        },
        expiresAt: 8,
        publisher: true,
        replicatedAt: 4,
      };
      const record: StoredEntry = {
        key: id(),
        value: { kind: 'record', stamp: { c: 5, w: 'ab' }, bytes: new Uint8Array([1, 2]) },
        expiresAt: 3,
        publisher: true,
        replicatedAt: 2,
      };
      await store.putMany!(
        [replaced, record, { ...blobs[0]!, replicatedAt: 77 }].map((entry) => ({ entry })),
      );
      expectSameEntry(await store.get(setKey), replaced);
      expectSameEntry(await store.get(record.key), record);
      expectSameEntry(await store.get(blobs[0]!.key), { ...blobs[0]!, replicatedAt: 77 });
      expectSameEntry(await store.get(blobs[299]!.key), blobs[299]!);
      expect(await store.size()).toEqual({ keys: 302, bytes: 300 * 3 + 3 + 2 });
      await store.close();
      const again = await loc.open();
      try {
        expectSameEntry(await again.get(setKey), replaced);
        expect((await again.size()).keys).toBe(302);
      } finally {
        await again.close();
      }
    });

    test('largestSets: the biggest sets by stored wire size, biggest first, sets only', async () => {
      const { store } = await fresh();
      if (!store.largestSets) return void (await store.close()); // optional: a memory store has no restart
      const sets = [300, 50, 1200, 700].map((bytes) => ({ key: id(), bytes }));
      await store.putMany!(
        sets.map(({ key, bytes }) => ({
          entry: {
            key,
            value: { kind: 'set', members: { [`m${bytes}`]: { add: { c: 1, w: 'w1' } } } },
            expiresAt: 10,
            publisher: false,
            replicatedAt: 0,
          },
          setBytes: bytes,
          fresh: true,
        })),
      );
      await store.put(blobEntry(new Uint8Array(5000)));
      const got = await store.largestSets(3);
      expect(got.map(([, n]) => n)).toEqual([1200, 700, 300]);
      expect(got.map(([k]) => Buffer.from(k).toString('hex'))).toEqual(
        [2, 3, 0].map((i) => Buffer.from(sets[i]!.key).toString('hex')),
      );
      await store.close();
    });

    test('set slices: getSetMembers reads some members, putMany writes only a slice', async () => {
      const { store, loc } = await fresh();
      expect(typeof store.getSetMembers).toBe('function');
      const key = id();
      const st = (c: number) => ({ c, w: 'w1' });
      const members: Record<string, { add?: { c: number; w: string }; del?: { c: number; w: string } }> = {};
      for (let i = 0; i < 50; i++) members[`m${i}`] = { add: st(i + 1) };
      const base: StoredEntry = {
        key,
        value: { kind: 'set', members },
        expiresAt: 10,
        publisher: false,
        replicatedAt: 0,
      };
      expect(await store.getSetMembers!(key, ['m1'])).toBeUndefined();
      await store.putMany!([{ entry: base, setBytes: 1234, fresh: true }]);
      const read = await store.getSetMembers!(key, ['m1', 'm7', 'nope']);
      expect(withoutRef(read)).toEqual({
        key,
        expiresAt: 10,
        publisher: false,
        replicatedAt: 0,
        bytes: 1234,
        members: { m1: { add: st(2) }, m7: { add: st(8) } },
      });
      // A members-only write of what was read (with the store's handle, if it gave one).
      const m7: SetValue['members'] = { m7: { add: st(9) } };
      await store.putMany!([{ slice: { ...(read as SetSlice), members: m7 }, membersOnly: true }]);
      expect(withoutRef(await store.getSetMembers!(key, ['m7']))).toMatchObject({ bytes: 1234, members: m7 });
      members.m7 = m7.m7!;
      // A slice: m3 removed (del stamp), m50 new, new metadata; every other member unchanged.
      await store.putMany!([
        {
          slice: {
            key,
            expiresAt: 20,
            publisher: true,
            replicatedAt: 5,
            bytes: 1300,
            members: { m3: { add: st(4), del: st(60) }, m50: { add: st(61) } },
          },
        },
      ]);
      const next: StoredEntry = {
        key,
        value: {
          kind: 'set',
          members: { ...members, m3: { add: st(4), del: st(60) }, m50: { add: st(61) } },
        },
        expiresAt: 20,
        publisher: true,
        replicatedAt: 5,
      };
      expectSameEntry(await store.get(key), next);
      expect(withoutRef(await store.getSetMembers!(key, ['m3']))).toMatchObject({
        bytes: 1300,
        members: { m3: next.value.kind === 'set' ? next.value.members.m3 : {} },
      });
      // A whole write replaces every member (the old rows go).
      const whole: StoredEntry = { ...next, value: { kind: 'set', members: { z: { add: st(70) } } } };
      await store.putMany!([{ entry: whole, setBytes: 40 }]);
      expectSameEntry(await store.get(key), whole);
      expect(await store.size()).toEqual({ keys: 1, bytes: 1 });
      const blob = blobEntry(new Uint8Array([5]));
      await store.put(blob);
      expect(await store.getSetMembers!(blob.key, ['a'])).toBe('not-a-set');
      await store.close();
      const again = await loc.open();
      try {
        expectSameEntry(await again.get(key), whole);
        expect((await again.getSetMembers!(key, ['z']))?.valueOf()).toMatchObject({ bytes: 40 });
      } finally {
        await again.close();
      }
    });

    test('a write marked fresh to a key that exists after all replaces it (fresh is a hint)', async () => {
      const { store } = await fresh();
      const st = (c: number) => ({ c, w: 'w1' });
      const key = id();
      const old: StoredEntry = {
        key,
        value: { kind: 'set', members: { a: { add: st(1) }, b: { add: st(2) } } },
        expiresAt: 10,
        publisher: false,
        replicatedAt: 0,
      };
      await store.putMany!([{ entry: old, setBytes: 100, fresh: true }]);
      const next: StoredEntry = {
        ...old,
        value: { kind: 'set', members: { c: { add: st(3) } } },
        expiresAt: 20,
      };
      await store.putMany!([{ entry: next, setBytes: 50, fresh: true }]);
      expectSameEntry(await store.get(key), next);
      const record = (c: number, bytes: number[]): StoredEntry => ({
        key: id(),
        value: { kind: 'record', stamp: st(c), bytes: new Uint8Array(bytes) },
        expiresAt: 10 + c,
        publisher: c % 2 === 0,
        replicatedAt: 0,
      });
      const rec = record(1, [1]);
      await store.putMany!([{ entry: rec, fresh: true }]);
      const rec2 = { ...record(2, [2, 2]), key: rec.key };
      await store.putMany!([{ entry: rec2, fresh: true }]);
      expectSameEntry(await store.get(rec.key), rec2);
      await store.close();
    });

    test('getSetMembersMany answers, in order, what getSetMembers answers per key', async () => {
      const { store } = await fresh();
      if (!store.getSetMembersMany) {
        await store.close();
        return; // optional: the shard reads per key without it
      }
      const st = (c: number) => ({ c, w: 'w1' });
      const set = (n: number): StoredEntry => ({
        key: id(),
        value: {
          kind: 'set',
          members: Object.fromEntries([...Array(n)].map((_, i) => [`m${i}`, { add: st(i + 1) }])),
        },
        expiresAt: 10 + n,
        publisher: n % 2 === 0,
        replicatedAt: 0,
      });
      const a = set(3);
      const b = set(8);
      const blob = blobEntry(new Uint8Array([9]));
      await store.putMany!([
        { entry: a, setBytes: 300, fresh: true },
        { entry: b, setBytes: 800, fresh: true },
        { entry: blob, fresh: true },
      ]);
      const asks = [
        { key: b.key, members: ['m7', 'm1', 'nope'] },
        { key: id(), members: ['m1'] },
        { key: blob.key, members: ['m1'] },
        { key: a.key, members: ['m2'] },
      ];
      const many = await store.getSetMembersMany(asks);
      const each = await Promise.all(asks.map((q) => store.getSetMembers!(q.key, q.members)));
      expect(many).toEqual(each);
      expect(withoutRef(many[0])).toMatchObject({
        bytes: 800,
        members: { m1: { add: st(2) }, m7: { add: st(8) } },
      });
      expect(many[1]).toBeUndefined();
      expect(many[2]).toBe('not-a-set');
      expect(await store.getSetMembersMany([])).toEqual([]);
      await store.close();
    });

    test('delete removes one entry and tolerates missing keys', async () => {
      const { store } = await fresh();
      const a = blobEntry(new Uint8Array([1]));
      const b = blobEntry(new Uint8Array([2]));
      await store.put(a);
      await store.put(b);
      await store.delete(a.key);
      await store.delete(id());
      expect(await store.get(a.key)).toBeUndefined();
      expectSameEntry(await store.get(b.key), b);
      expect((await store.size()).keys).toBe(1);
    });

    test('scan yields every entry exactly once, even while entries are written during the scan', async () => {
      const { store } = await fresh();
      const entries = Array.from({ length: 150 }, (_, i) => blobEntry(new Uint8Array([i, i >> 8, 7])));
      for (const e of entries) await store.put(e);
      const seen = new Set<string>();
      for await (const e of store.scan()) {
        const hex = Buffer.from(e.key).toString('hex');
        expect(seen.has(hex)).toBe(false);
        seen.add(hex);
        // writing while scanning (republish refreshes entries as it goes) must not break the scan
        await store.put({ ...e, replicatedAt: 99 });
      }
      expect(seen.size).toBe(150);
      for (const e of entries) expect(seen.has(Buffer.from(e.key).toString('hex'))).toBe(true);
      expect((await store.get(entries[0]!.key))!.replicatedAt).toBe(99);
    });

    test('scan with kinds yields only entries of those kinds', async () => {
      const { store } = await fresh();
      const blobs = Array.from({ length: 70 }, (_, i) => blobEntry(new Uint8Array([i, 3])));
      const records: StoredEntry[] = Array.from({ length: 70 }, (_, i) => ({
        key: id(),
        value: { kind: 'record', bytes: new Uint8Array([i]), stamp: { c: i + 1, w: 'w1' } },
        expiresAt: 1_000,
        publisher: false,
        replicatedAt: 0,
      }));
      const set = oneMemberSet();
      for (const e of [...blobs, ...records, set]) await store.put(e);
      const kindsOf = async (kinds: ('blob' | 'record' | 'set')[]) => {
        const out: string[] = [];
        for await (const e of store.scan({ kinds })) out.push(e.value.kind);
        return out.sort();
      };
      expect(await kindsOf(['record'])).toEqual(Array(70).fill('record'));
      expect(await kindsOf(['set', 'blob'])).toEqual([...Array(70).fill('blob'), 'set']);
      for await (const e of store.scan({ kinds: ['set'] })) expectSameEntry(e, set);
      expect(await kindsOf([])).toEqual([]);
      expect((await collect(store)).length).toBe(141);
    });

    test('scanMeta yields every entry once (over 1,000: several pages) with its metadata and no value', async () => {
      const { store } = await fresh();
      const blobs = Array.from({ length: 1_100 }, (_, i) => ({
        ...blobEntry(new Uint8Array([i, i >> 8, 9])),
        expiresAt: 5_000 + i,
        publisher: i % 3 === 0,
        replicatedAt: i,
      }));
      const set = oneMemberSet({ expiresAt: 7_000, publisher: true, replicatedAt: 42 });
      await store.putMany!([...blobs, set].map((entry) => ({ entry })));
      const seen = new Map<string, unknown>();
      for await (const m of store.scanMeta()) {
        const hex = Buffer.from(m.key).toString('hex');
        expect(seen.has(hex)).toBe(false);
        expect('value' in m).toBe(false);
        seen.set(hex, m);
      }
      expect(seen.size).toBe(1_101);
      for (const { value, ...meta } of [...blobs, set])
        expect(seen.get(Buffer.from(meta.key).toString('hex'))).toEqual({
          ...meta,
          key: new Uint8Array(meta.key),
          kind: value.kind,
        });
    });

    test("getMeta reads one entry's metadata without its value; undefined for an absent key", async () => {
      const { store } = await fresh();
      if (!store.getMeta) return; // optional
      const blob = { ...blobEntry(new Uint8Array(256 * 1024).fill(7)), publisher: true, replicatedAt: 11 };
      const set = oneMemberSet({ expiresAt: 7_000, replicatedAt: 42 });
      const expired = blobEntry(new Uint8Array([4, 5]), { expiresAt: 1 });
      for (const e of [blob, set, expired]) await store.put(e);
      for (const { value, ...meta } of [blob, set, expired]) {
        const m = await store.getMeta(meta.key);
        expect(m).toEqual({ ...meta, key: new Uint8Array(meta.key), kind: value.kind });
        expect('value' in m!).toBe(false);
      }
      expect(await store.getMeta(id())).toBeUndefined();
    });

    test('markReplicated sets replicatedAt and raises the expiry of live keys, values untouched; absent and expired keys are skipped', async () => {
      const { store } = await fresh();
      const blob = blobEntry(new Uint8Array([1, 2, 3]), { expiresAt: 5_000 });
      const set: StoredEntry = {
        key: id(),
        value: { kind: 'set', members: { a: { add: { c: 1, w: 'w1' } }, b: { del: { c: 2, w: 'w2' } } } },
        expiresAt: 9_000,
        publisher: true,
        replicatedAt: 0,
      };
      const expired = blobEntry(new Uint8Array([4, 5]), { expiresAt: 1_000 });
      for (const e of [blob, set, expired]) await store.put(e);
      const missing = id();
      await store.markReplicated!([blob.key, set.key, expired.key, missing], 1_234, 8_000);
      expectSameEntry((await store.get(blob.key))!, { ...blob, replicatedAt: 1_234, expiresAt: 8_000 });
      expectSameEntry((await store.get(set.key))!, { ...set, replicatedAt: 1_234 }); // 9,000 > 8,000: kept
      expectSameEntry((await store.get(expired.key))!, expired);
      expect(await store.get(missing)).toBeUndefined();
      await store.markReplicated!([], 9, 10);
    });

    test('maxCounter is the highest stamp counter of records and set members', async () => {
      const { store } = await fresh();
      if (!store.maxCounter) return;
      expect(await store.maxCounter()).toBe(0);
      const at = (value: StoredEntry['value']): StoredEntry => ({
        key: id(),
        value,
        expiresAt: 1_000,
        publisher: false,
        replicatedAt: 0,
      });
      await store.put(at({ kind: 'record', bytes: new Uint8Array([1]), stamp: { c: 41, w: 'w1' } }));
      await store.put(at({ kind: 'set', members: { a: { add: { c: 7, w: 'w1' } } } }));
      expect(await store.maxCounter()).toBe(41);
      await store.put(
        at({ kind: 'set', members: { b: { add: { c: 9, w: 'w2' }, del: { c: 77, w: 'w1' } } } }),
      );
      expect(await store.maxCounter()).toBe(77);
      await store.put(
        at({ kind: 'record', bytes: new Uint8Array([2]), stamp: { c: 90, w: 'w2' }, deleted: true }),
      );
      expect(await store.maxCounter()).toBe(90);
    });

    test('size counts keys and value bytes', async () => {
      const { store } = await fresh();
      await store.put(blobEntry(new Uint8Array(100)));
      await store.put(blobEntry(new Uint8Array(50).fill(1)));
      await store.put({
        key: id(),
        value: { kind: 'set', members: { abc: { add: { c: 1, w: 'w' } }, de: {} } },
        expiresAt: 1,
        publisher: false,
        replicatedAt: 0,
      });
      expect(await store.size()).toEqual({ keys: 3, bytes: 155 });
    });

    test('contacts are saved, replaced wholesale and loaded in order', async () => {
      const { store } = await fresh();
      const cs: Contact[] = Array.from({ length: 30 }, (_, i) => ({
        id: id(),
        address: `127.0.0.1:${7000 + i}`,
      }));
      await store.saveContacts(cs);
      const loaded = await store.loadContacts();
      expect(loaded.map((c) => c.address)).toEqual(cs.map((c) => c.address));
      loaded.forEach((c, i) => {
        expect(c.id).toBeInstanceOf(Uint8Array);
        expect(same(c.id, cs[i]!.id)).toBe(true);
      });
      await store.saveContacts(cs.slice(0, 2).reverse());
      expect((await store.loadContacts()).map((c) => c.address)).toEqual([cs[1]!.address, cs[0]!.address]);
      await store.saveContacts([]);
      expect(await store.loadContacts()).toEqual([]);
    });

    test('large values (300 KiB) round-trip byte for byte', async () => {
      const { store } = await fresh();
      const big = new Uint8Array(randomBytes(300 * 1024));
      const e = blobEntry(big);
      await store.put(e);
      const got = await store.get(e.key);
      expectSameEntry(got, e);
      expect(same(sha((got!.value as { bytes: Uint8Array }).bytes), e.key)).toBe(true);
      expect(await store.size()).toEqual({ keys: 1, bytes: big.length });
    });

    test('entries and contacts survive close and reopen', async () => {
      const { store, loc } = await fresh();
      const e = blobEntry(new Uint8Array([4, 5, 6]), { publisher: true, expiresAt: 77 });
      const contact = { id: id(), address: '127.0.0.1:7101' };
      await store.put(e);
      await store.saveContacts([contact]);
      await store.close();
      const again = await loc.open();
      try {
        expectSameEntry(await again.get(e.key), e);
        const cs = await again.loadContacts();
        expect(cs).toHaveLength(1);
        expect(cs[0]!.address).toBe(contact.address);
        expect(same(cs[0]!.id, contact.id)).toBe(true);
        expect(await again.size()).toEqual({ keys: 1, bytes: 3 });
      } finally {
        await again.close();
      }
    });
  });
}
