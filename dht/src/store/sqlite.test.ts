import { afterAll, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BlobValue, RecordValue, SetValue, StoredEntry } from '../types.js';
import { blobEntry, defineStoreContract, expectSameEntry, withoutRef } from './contract.js';
import { valueBytes } from './memory.js';
import { makeSqliteStore } from './sqlite.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';
import { makeStoreFromEnv, storeKindFromEnv } from './from-env.js';

const root = mkdtempSync(join(tmpdir(), 'gotify-sqlite-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

defineStoreContract('SQLite', () => {
  const file = join(root, `node-${n++}`, 'shard.sqlite');
  return { open: () => makeSqliteStore({ file }) };
});

test('the SQLite file is in WAL mode and created with its directory', async () => {
  const file = join(root, 'deep', 'er', 'shard.sqlite');
  const store = makeSqliteStore({ file });
  await store.put({
    key: new Uint8Array(32),
    value: { kind: 'blob', bytes: new Uint8Array(1) },
    expiresAt: 0,
    publisher: false,
    replicatedAt: 0,
  });
  expect(existsSync(file)).toBe(true);
  expect(existsSync(`${file}-wal`)).toBe(true);
  await store.close();
});

test('makeStoreFromEnv picks SQLite under dataDir when MONGODB_URI is unset', async () => {
  const dataDir = join(root, 'env-node');
  expect(storeKindFromEnv({})).toBe('sqlite');
  expect(storeKindFromEnv({ MONGODB_URI: 'mongodb://127.0.0.1:1' })).toBe('mongodb');
  const store = await makeStoreFromEnv({ dataDir, nodeName: 'tracker-1', env: {} });
  await store.saveContacts([{ id: new Uint8Array(32), address: '127.0.0.1:1' }]);
  await store.close();
  expect(existsSync(join(dataDir, 'shard.sqlite'))).toBe(true);
});

test('a version-1 file (sets stored whole) is migrated to member rows on open, losing nothing', async () => {
  const { default: Database } = await import('better-sqlite3');
  const { encodeValue } = await import('./value-codec.js');
  const file = join(root, 'v1', 'shard.sqlite');
  const store = makeSqliteStore({ file }); // creates the tables
  await store.close();
  const set = {
    kind: 'set' as const,
    members: { a: { add: { c: 1, w: 'x' } }, b: { add: { c: 2, w: 'x' }, del: { c: 3, w: 'y' } } },
  };
  const key = new Uint8Array(32).fill(7);
  const db = new Database(file);
  db.prepare(
    `INSERT INTO entries (key, kind, value, expires_at, publisher, replicated_at, size) VALUES (?, 'set', ?, 9, 1, 4, 2)`,
  ).run(Buffer.from(key), encodeValue(set));
  db.pragma('user_version = 1');
  db.close();
  const again = makeSqliteStore({ file });
  try {
    expect(await again.get(key)).toEqual({ key, value: set, expiresAt: 9, publisher: true, replicatedAt: 4 });
    expect(await again.size()).toEqual({ keys: 1, bytes: 2 });
  } finally {
    await again.close();
  }
});

test('a version-2 file (member rows keyed by set key) is migrated to the current version on open, losing nothing', async () => {
  const { default: Database } = await import('better-sqlite3');
  const { encodeValue } = await import('./value-codec.js');
  const file = join(root, 'v2', 'shard.sqlite');
  mkdirSync(dirname(file), { recursive: true });
  const hex = (i: number): string => createHash('sha256').update(String(i)).digest('hex');
  const wa = '0123456789abcdef';
  const wb = 'fedcba9876543210';
  // A set of song ids (some removed), and one of odd members: uppercase hex, 63 chars, text, a
  // stamp with only a remove.
  const songs: SetValue = { kind: 'set', members: {} };
  for (let i = 0; i < 300; i++)
    songs.members[hex(i)] =
      i % 3 ? { add: { c: i + 1, w: wa } } : { add: { c: i, w: wa }, del: { c: i + 9, w: wb } };
  const odd: SetValue = {
    kind: 'set',
    members: {
      [hex(1).toUpperCase()]: { add: { c: 1, w: 'x' } },
      [hex(2).slice(1)]: { add: { c: 2, w: wb } },
      'b/é': { add: { c: 3, w: 'y' }, del: { c: 4, w: 'z' } },
      '123': { del: { c: 5, w: wa } },
      [hex(3)]: {},
    },
  };
  const record: RecordValue = { kind: 'record', stamp: { c: 7, w: wa }, bytes: new Uint8Array([1, 2, 3]) };
  const blob: BlobValue = { kind: 'blob', bytes: new Uint8Array([9, 8]) };
  const entries: StoredEntry[] = [songs, odd, record, blob].map((value, i) => ({
    key: new Uint8Array(32).fill(i + 1),
    value,
    expiresAt: 100 + i,
    publisher: i % 2 === 0,
    replicatedAt: 10 + i,
  }));
  const db = new Database(file);
  db.exec(`
    CREATE TABLE entries (key BLOB PRIMARY KEY, kind TEXT NOT NULL, value BLOB NOT NULL,
      expires_at INTEGER NOT NULL, publisher INTEGER NOT NULL, replicated_at INTEGER NOT NULL, size INTEGER NOT NULL);
    CREATE TABLE set_members (key BLOB NOT NULL, member TEXT NOT NULL, add_c INTEGER, add_w TEXT,
      del_c INTEGER, del_w TEXT, PRIMARY KEY (key, member)) WITHOUT ROWID;
    CREATE TABLE contacts (id BLOB PRIMARY KEY, address TEXT NOT NULL, position INTEGER NOT NULL);
  `);
  const putEntry = db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)');
  const putMember = db.prepare('INSERT INTO set_members VALUES (?, ?, ?, ?, ?, ?)');
  const fill = db.transaction(() => {
    for (const e of entries) {
      const v = e.value;
      const key = Buffer.from(e.key);
      const size = v.kind === 'set' ? 1000 : v.bytes.byteLength;
      const value = v.kind === 'set' ? Buffer.alloc(0) : encodeValue(v);
      putEntry.run(key, v.kind, value, e.expiresAt, e.publisher ? 1 : 0, e.replicatedAt, size);
      if (v.kind !== 'set') continue;
      for (const [m, s] of Object.entries(v.members))
        putMember.run(key, m, s.add?.c ?? null, s.add?.w ?? null, s.del?.c ?? null, s.del?.w ?? null);
    }
  });
  fill();
  db.prepare('INSERT INTO contacts VALUES (?, ?, 0)').run(Buffer.alloc(32, 5), '127.0.0.1:9');
  db.pragma('user_version = 2');
  const sizeBefore = db
    .prepare(
      `SELECT (SELECT SUM(length(member)) FROM set_members)
         + (SELECT SUM(size) FROM entries WHERE kind != 'set') AS bytes`,
    )
    .get() as { bytes: number };
  db.close();

  const store = makeSqliteStore({ file });
  try {
    for (const e of entries) expect(await store.get(e.key)).toEqual(e);
    expect(await store.size()).toEqual({ keys: 4, bytes: sizeBefore.bytes });
    expect((await store.loadContacts()).map((c) => c.address)).toEqual(['127.0.0.1:9']);
    const rows: unknown[] = [];
    await store.scanSet!(entries[1]!.key, (...r) => rows.push(r));
    expect(rows).toHaveLength(5);
    expect(rows).toContainEqual(['b/é', 3, 'y', 4, 'z']);
    expect(rows).toContainEqual(['123', null, null, 5, wa]);
    expect(rows).toContainEqual([hex(3), null, null, null, null]);
    expect(withoutRef(await store.getSetMembers!(entries[0]!.key, [hex(0), hex(1), 'nope']))).toEqual({
      key: entries[0]!.key,
      expiresAt: 100,
      publisher: true,
      replicatedAt: 10,
      bytes: 1000,
      members: { [hex(0)]: songs.members[hex(0)], [hex(1)]: songs.members[hex(1)] },
    });
    // Writes after the migration: a slice into a migrated set, a new set (a new id).
    const { value: _v, ...meta } = entries[0]!;
    await store.putMany!([
      {
        slice: {
          ...meta,
          bytes: 1001,
          // An undefined member deletes its row.
          members: { [hex(0)]: undefined, [hex(999)]: {} } as SetValue['members'],
        },
        membersOnly: true,
      },
      { entry: { ...entries[1]!, key: new Uint8Array(32).fill(9) }, fresh: true },
    ]);
    const after = (await store.get(entries[0]!.key))!.value as SetValue;
    expect(Object.keys(after.members)).toHaveLength(300);
    expect(after.members[hex(999)]).toEqual({});
    expect(after.members[hex(0)]).toBeUndefined();
    expect(await store.get(new Uint8Array(32).fill(9))).toMatchObject({ value: odd });
  } finally {
    await store.close();
  }
  const check = new Database(file, { readonly: true });
  try {
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const kinds = check
      .prepare('SELECT typeof(member) AS t, COUNT(*) AS n FROM set_members GROUP BY 1 ORDER BY 1')
      .all();
    // 300 + 1 (hex(999)) - 1 (hex(0)) song ids and hex(3) in each odd set, as blobs; the rest as text.
    expect(kinds).toEqual([
      { t: 'blob', n: 302 },
      { t: 'text', n: 8 },
    ]);
    expect(check.prepare('SELECT COUNT(*) FROM writers').pluck().get()).toBe(5);
    expect(check.prepare('SELECT set_id FROM entries ORDER BY set_id').pluck().all()).toEqual([
      null,
      null,
      1,
      2,
      3,
    ]);
  } finally {
    check.close();
  }
});

/** A peer's chunk size: a blob that spills over ~64 SQLite overflow pages. */
const CHUNK_BYTES = 256 * 1024;
/** A 256 KiB blob entry. */
function chunkEntry(fill: number, extra: Partial<StoredEntry> = {}): StoredEntry {
  return blobEntry(new Uint8Array(CHUNK_BYTES).fill(fill), { expiresAt: 9_000, replicatedAt: 4, ...extra });
}

test('marking a chunk replicated or refreshing its expiry writes its metadata, not its 256 KiB', async () => {
  const file = join(root, 'wal-growth', 'shard.sqlite');
  const store = makeSqliteStore({ file });
  try {
    const chunk = chunkEntry(5);
    await store.put(chunk);
    const wal = () => statSync(`${file}-wal`).size;
    const before = wal();
    expect(before).toBeGreaterThan(CHUNK_BYTES);
    // Version 4 rewrote the whole row here: the WAL grew by the chunk, ~260 KiB, each time.
    await store.markReplicated!([chunk.key], 5_000, 10_000);
    const refreshed = { ...chunk, expiresAt: 20_000, publisher: true, replicatedAt: 5_000 };
    await store.put(refreshed); // the shard's expiry refresh: the same bytes
    expect(wal() - before).toBeLessThan(32 * 1024);
    expectSameEntry(await store.get(chunk.key), {
      ...chunk,
      expiresAt: 20_000,
      publisher: true,
      replicatedAt: 5_000,
    });
    expect(await store.getMeta!(chunk.key)).toMatchObject({
      kind: 'blob',
      expiresAt: 20_000,
      replicatedAt: 5_000,
    });
  } finally {
    await store.close();
  }
});

test('a version-4 file (blob bytes in their entries row) moves them to blob_values on open, losing nothing', async () => {
  const { default: Database } = await import('better-sqlite3');
  const { encodeValue } = await import('./value-codec.js');
  const file = join(root, 'v4', 'shard.sqlite');
  const chunks = [chunkEntry(1, { publisher: true }), chunkEntry(2), chunkEntry(3, { expiresAt: 1 })];
  const record: StoredEntry = {
    key: new Uint8Array(32).fill(8),
    value: { kind: 'record', stamp: { c: 3, w: 'x' }, bytes: new Uint8Array([1, 2]) },
    expiresAt: 9_000,
    publisher: false,
    replicatedAt: 0,
  };
  const store = makeSqliteStore({ file });
  for (const e of [...chunks, record]) await store.put(e);
  await store.close();
  // As version 4 stored them: the bytes in `entries.value`, no blob_values, the metadata index.
  const old = new Database(file);
  const asV4 = old.prepare('UPDATE entries SET value = ? WHERE key = ?');
  for (const c of chunks) asV4.run(encodeValue(c.value), c.key);
  old.exec(`DROP TABLE blob_values;
    CREATE INDEX entries_blob_meta ON entries (key, expires_at, publisher, replicated_at, size) WHERE kind = 'blob';`);
  old.pragma('user_version = 4');
  expect(
    old.prepare("SELECT sum(length(value)) FROM entries WHERE kind = 'blob'").pluck().get(),
  ).toBeGreaterThan(3 * CHUNK_BYTES);
  old.close();
  const again = makeSqliteStore({ file });
  try {
    for (const e of [...chunks, record]) expectSameEntry(await again.get(e.key), e);
    expect(await again.size()).toEqual({ keys: 4, bytes: 3 * CHUNK_BYTES + valueBytes(record.value) });
    const metas = [];
    for await (const m of again.scanMeta()) metas.push(m);
    expect(metas.filter((m) => m.kind === 'blob')).toHaveLength(3);
    await again.delete(chunks[1]!.key);
    expect(await again.get(chunks[1]!.key)).toBeUndefined();
  } finally {
    await again.close();
  }
  const check = new Database(file, { readonly: true });
  try {
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(check.prepare("SELECT sum(length(value)) FROM entries WHERE kind = 'blob'").pluck().get()).toBe(0);
    expect(check.prepare('SELECT count(*) FROM blob_values').pluck().get()).toBe(2); // one deleted
    expect(
      check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'entries_blob_meta'").pluck().get(),
    ).toBe(0);
  } finally {
    check.close();
  }
});

test('a second store on a file another store holds fails with a clear error', async () => {
  const file = join(root, 'locked', 'shard.sqlite');
  const first = makeSqliteStore({ file });
  try {
    await first.put(chunkEntry(6));
    expect(() => makeSqliteStore({ file, busyTimeoutMs: 50 })).toThrow(/in use by another process/);
    expect(await first.getMeta!(chunkEntry(6).key)).toMatchObject({ kind: 'blob' });
  } finally {
    await first.close();
  }
  const reopened = makeSqliteStore({ file, busyTimeoutMs: 50 }); // the lock goes with the store
  await reopened.close();
});

test('a failed putMany rolls back its new writer ids with it', async () => {
  const store = makeSqliteStore({ file: join(root, 'rollback', 'shard.sqlite') });
  try {
    const key = new Uint8Array(32).fill(3);
    const meta = { key, expiresAt: 1, publisher: false, replicatedAt: 0, bytes: 0 };
    const bad = { entry: { ...meta, key: {} as Uint8Array, value: { kind: 'set' as const, members: {} } } };
    await expect(
      store.putMany!([{ slice: { ...meta, members: { a: { add: { c: 1, w: 'gone' } } } } }, bad]),
    ).rejects.toThrow();
    // 'other' now takes the id 'gone' had in the rolled-back transaction.
    await store.putMany!([{ slice: { ...meta, members: { b: { add: { c: 2, w: 'other' } } } } }]);
    await store.putMany!([{ slice: { ...meta, members: { a: { add: { c: 1, w: 'gone' } } } } }]);
    expect((await store.get(key))!.value).toEqual({
      kind: 'set',
      members: { a: { add: { c: 1, w: 'gone' } }, b: { add: { c: 2, w: 'other' } } },
    });
  } finally {
    await store.close();
  }
});

test('a reopened store scans a set before anything else named its writers', async () => {
  // The scan names writers from inside its query, where better-sqlite3 refuses a second statement:
  // a restarted node's first set read used to fail with "connection is busy".
  const file = join(root, 'reopen-scan', 'shard.sqlite');
  const key = createHash('sha256').update('reopen-scan').digest();
  const members: SetValue['members'] = {
    a: { add: { c: 1, w: 'writer-a' } },
    b: { add: { c: 2, w: 'writer-b' }, del: { c: 3, w: 'writer-c' } },
  };
  const first = makeSqliteStore({ file });
  await first.put({ key, value: { kind: 'set', members }, expiresAt: 10, publisher: false, replicatedAt: 0 });
  await first.close();
  const store = makeSqliteStore({ file });
  try {
    const rows: unknown[] = [];
    await store.scanSet!(key, (...r) => rows.push(r));
    expect(rows).toEqual(
      expect.arrayContaining([
        ['a', 1, 'writer-a', null, null],
        ['b', 2, 'writer-b', 3, 'writer-c'],
      ]),
    );
    expect(rows).toHaveLength(2);
  } finally {
    await store.close();
  }
});
