import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineStoreContract } from './contract.js';
import { makeSqliteStore } from './sqlite.js';
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
