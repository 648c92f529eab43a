/**
 * SQLite shard store (better-sqlite3): one database file per node, WAL mode, prepared statements.
 * Tables: `entries(key, kind, value, expires_at, publisher, replicated_at, size)` with the value as
 * msgpack, and `contacts(id, address, position)` for the routing table snapshot.
 *
 * The driver is synchronous; the async methods wrap it (calls are short: one row each, `putMany`
 * one transaction, and `scan` pages by key so it never holds a statement open across an `await`).
 *
 * Does not: merge, verify or expire values (the node does), or share a file between nodes.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Contact, Id, ShardStore, StoredEntry } from '../types.js';
import { valueBytes } from './memory.js';
import { copyContact, decodeValue, encodeValue, plainBytes } from './value-codec.js';

export interface SqliteStoreOptions {
  /** Database file; created with its directory when missing. `':memory:'` for a throwaway store. */
  file: string;
}

/** Rows fetched per page by `scan`: big enough to amortise the query, small enough to keep memory flat with 256 KiB chunks. */
const SCAN_PAGE_ROWS = 64;
/** Schema version in `PRAGMA user_version`, so a later migration knows what it opens. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  key BLOB PRIMARY KEY,
  kind TEXT NOT NULL,
  value BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  publisher INTEGER NOT NULL,
  replicated_at INTEGER NOT NULL,
  size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
  id BLOB PRIMARY KEY,
  address TEXT NOT NULL,
  position INTEGER NOT NULL
);
`;

interface EntryRow {
  key: Buffer;
  value: Buffer;
  expires_at: number;
  publisher: number;
  replicated_at: number;
}

function rowToEntry(row: EntryRow): StoredEntry {
  return {
    key: plainBytes(row.key),
    value: decodeValue(row.value),
    expiresAt: row.expires_at,
    publisher: row.publisher === 1,
    replicatedAt: row.replicated_at,
  };
}

export function makeSqliteStore(opts: SqliteStoreOptions): ShardStore {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: durable against process crashes; a power loss may drop the last commits,
  // which replication repairs.
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);

  const getStmt = db.prepare<[Buffer], EntryRow>(
    'SELECT key, value, expires_at, publisher, replicated_at FROM entries WHERE key = ?',
  );
  const putStmt = db.prepare(
    `INSERT OR REPLACE INTO entries (key, kind, value, expires_at, publisher, replicated_at, size)
     VALUES (@key, @kind, @value, @expires_at, @publisher, @replicated_at, @size)`,
  );
  const deleteStmt = db.prepare<[Buffer]>('DELETE FROM entries WHERE key = ?');
  const pageStmt = db.prepare<[Buffer, number], EntryRow>(
    'SELECT key, value, expires_at, publisher, replicated_at FROM entries WHERE key > ? ORDER BY key LIMIT ?',
  );
  const sizeStmt = db.prepare<[], { keys: number; bytes: number }>(
    'SELECT COUNT(*) AS keys, COALESCE(SUM(size), 0) AS bytes FROM entries',
  );
  const clearContacts = db.prepare('DELETE FROM contacts');
  const insertContact = db.prepare(
    'INSERT OR REPLACE INTO contacts (id, address, position) VALUES (?, ?, ?)',
  );
  const loadContactsStmt = db.prepare<[], { id: Buffer; address: string }>(
    'SELECT id, address FROM contacts ORDER BY position',
  );
  const replaceContacts = db.transaction((contacts: Contact[]) => {
    clearContacts.run();
    contacts.forEach((c, i) => insertContact.run(Buffer.from(c.id), c.address, i));
  });

  let closed = false;
  const buf = (key: Id): Buffer => Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const row = (entry: StoredEntry) => ({
    key: buf(entry.key),
    kind: entry.value.kind,
    value: encodeValue(entry.value),
    expires_at: entry.expiresAt,
    publisher: entry.publisher ? 1 : 0,
    replicated_at: entry.replicatedAt,
    size: valueBytes(entry.value),
  });
  // One transaction per batch: the commit (WAL append + fsync policy) dominates small writes.
  const putAll = db.transaction((list: StoredEntry[]) => {
    for (const e of list) putStmt.run(row(e));
  });

  return {
    async get(key) {
      const row = getStmt.get(buf(key));
      return row ? rowToEntry(row) : undefined;
    },
    async put(entry: StoredEntry) {
      putStmt.run(row(entry));
    },
    async putMany(list: StoredEntry[]) {
      if (list.length > 0) putAll(list);
    },
    async delete(key) {
      deleteStmt.run(buf(key));
    },
    async *scan() {
      let after: Buffer = Buffer.alloc(0); // every key sorts after the empty blob
      for (;;) {
        if (closed) return;
        const rows = pageStmt.all(after, SCAN_PAGE_ROWS);
        for (const row of rows) yield rowToEntry(row);
        if (rows.length < SCAN_PAGE_ROWS) return;
        after = rows[rows.length - 1]!.key;
      }
    },
    async size() {
      const row = sizeStmt.get()!;
      return { keys: row.keys, bytes: row.bytes };
    },
    async saveContacts(contacts) {
      replaceContacts(contacts);
    },
    async loadContacts() {
      return loadContactsStmt.all().map((r) => copyContact({ id: r.id, address: r.address }));
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
