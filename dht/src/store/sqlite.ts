/**
 * SQLite shard store (better-sqlite3): one database file per node, WAL mode, prepared statements.
 * Tables: `entries(key, kind, value, expires_at, publisher, replicated_at, size)` with blob and
 * record values as msgpack; `set_members(key, member, add_c, add_w, del_c, del_w)` with one row per
 * member of a set (the set's `entries` row keeps only its metadata), so a posting delta writes its
 * own rows instead of re-encoding the whole set (`EntryWrite` slices, `getSetMembers`); and
 * `contacts(id, address, position)` for the routing table snapshot.
 *
 * The driver is synchronous; the async methods wrap it (calls are short: one key each, `putMany`
 * one transaction, and `scan` pages by key so it never holds a statement open across an `await`).
 *
 * Does not: merge, verify or expire values (the node does), or share a file between nodes.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  Contact,
  EntryWrite,
  Id,
  SetSlice,
  SetValue,
  ShardStore,
  Stamp,
  StoredEntry,
} from '../types.js';
import { valueBytes } from './memory.js';
import { copyContact, decodeValue, encodeValue, plainBytes } from './value-codec.js';

export interface SqliteStoreOptions {
  /** Database file; created with its directory when missing. `':memory:'` for a throwaway store. */
  file: string;
}

/** Page cache per store, KiB (SQLite's default is 2 MB): see the pragma in makeSqliteStore. */
const SQLITE_CACHE_KIB = 256 * 1024;
/** WAL pages before an automatic checkpoint (default 1000 ≈ 4 MB): ~40 MB of WAL between checkpoints. */
const SQLITE_WAL_CHECKPOINT_PAGES = 10_000;
/** Rows fetched per page by `scan`: big enough to amortise the query, small enough to keep memory flat with 256 KiB chunks. */
const SCAN_PAGE_ROWS = 64;
/**
 * Schema version in `PRAGMA user_version`, so a later migration knows what it opens.
 * 1: sets stored whole as msgpack in `entries.value`; 2: set members as rows (migrated on open).
 */
const SCHEMA_VERSION = 2;

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
CREATE TABLE IF NOT EXISTS set_members (
  key BLOB NOT NULL,
  member TEXT NOT NULL,
  add_c INTEGER,
  add_w TEXT,
  del_c INTEGER,
  del_w TEXT,
  PRIMARY KEY (key, member)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contacts (
  id BLOB PRIMARY KEY,
  address TEXT NOT NULL,
  position INTEGER NOT NULL
);
`;

interface EntryRow {
  key: Buffer;
  kind: string;
  value: Buffer;
  expires_at: number;
  publisher: number;
  replicated_at: number;
  size: number;
}

/** A member row, raw: [member, add_c, add_w, del_c, del_w]. */
type MemberRow = [string, number | null, string | null, number | null, string | null];

/** Writer ids repeat across millions of member rows: one string each instead of one per row. */
const writerIds = new Map<string, string>();
function internWriter(w: string): string {
  const had = writerIds.get(w);
  if (had !== undefined) return had;
  if (writerIds.size < MAX_INTERNED_WRITERS) writerIds.set(w, w);
  return w;
}
/** Bounds the interning table: writers are nodes, a cluster has far fewer. */
const MAX_INTERNED_WRITERS = 100_000;

function addRow(members: SetValue['members'], [m, ac, aw, dc, dw]: MemberRow): void {
  const s: { add?: Stamp; del?: Stamp } = {};
  if (ac !== null && aw !== null) s.add = { c: ac, w: internWriter(aw) };
  if (dc !== null && dw !== null) s.del = { c: dc, w: internWriter(dw) };
  members[m] = s;
}

function rowsToSet(rows: MemberRow[]): SetValue {
  const members: SetValue['members'] = {};
  for (const r of rows) addRow(members, r);
  return { kind: 'set', members };
}

interface MetaAndMemberRow {
  kind: string;
  key: Buffer;
  expires_at: number;
  publisher: number;
  replicated_at: number;
  size: number;
  member: string | null;
  add_c: number | null;
  add_w: string | null;
  del_c: number | null;
  del_w: string | null;
}

/** The encoded `value` column of a set's entries row: its members live in `set_members`. */
const SET_PLACEHOLDER = Buffer.alloc(0);

export function makeSqliteStore(opts: SqliteStoreOptions): ShardStore {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: durable against process crashes; a power loss may drop the last commits,
  // which replication repairs.
  db.pragma('synchronous = NORMAL');
  // Keys are SHA-256 digests: every write lands on a random page. SQLite's default page cache
  // (2 MB) misses on almost every row of a shard of 100k songs; a big one keeps the B-tree hot.
  db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // Fewer, larger checkpoints: a random-key workload rewrites the same hot pages many times.
  db.pragma(`wal_autocheckpoint = ${SQLITE_WAL_CHECKPOINT_PAGES}`);
  db.exec(SCHEMA);

  const getStmt = db.prepare<[Buffer], EntryRow>(
    'SELECT key, kind, value, expires_at, publisher, replicated_at, size FROM entries WHERE key = ?',
  );
  const memberStmt = db
    .prepare<[Buffer, string]>(
      'SELECT member, add_c, add_w, del_c, del_w FROM set_members WHERE key = ? AND member = ?',
    )
    .raw();
  const membersStmt = db
    .prepare<[Buffer]>('SELECT member, add_c, add_w, del_c, del_w FROM set_members WHERE key = ?')
    .raw();
  const putMemberStmt = db.prepare(
    'INSERT OR REPLACE INTO set_members (key, member, add_c, add_w, del_c, del_w) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const deleteMemberStmt = db.prepare<[Buffer, string]>(
    'DELETE FROM set_members WHERE key = ? AND member = ?',
  );
  const metaAndMemberStmt = db.prepare<[string, Buffer]>(
    `SELECT e.kind, e.key, e.expires_at, e.publisher, e.replicated_at, e.size,
            m.member, m.add_c, m.add_w, m.del_c, m.del_w
       FROM entries e LEFT JOIN set_members m ON m.key = e.key AND m.member = ?
      WHERE e.key = ?`,
  );
  const updateMetaStmt = db.prepare<[number, number, number, number, Buffer]>(
    'UPDATE entries SET expires_at = ?, publisher = ?, replicated_at = ?, size = ? WHERE key = ?',
  );
  const deleteMembersStmt = db.prepare<[Buffer]>('DELETE FROM set_members WHERE key = ?');
  const putStmt = db.prepare(
    `INSERT OR REPLACE INTO entries (key, kind, value, expires_at, publisher, replicated_at, size)
     VALUES (@key, @kind, @value, @expires_at, @publisher, @replicated_at, @size)`,
  );
  const deleteStmt = db.prepare<[Buffer]>('DELETE FROM entries WHERE key = ?');
  const pageStmt = db.prepare<[Buffer, number], EntryRow>(
    'SELECT key, kind, value, expires_at, publisher, replicated_at, size FROM entries WHERE key > ? ORDER BY key LIMIT ?',
  );
  // A set's bytes are the lengths of its member names (valueBytes), summed over its rows (its
  // `size` column is its wire size, kept for the size cap).
  const sizeStmt = db.prepare<[], { keys: number; bytes: number }>(
    `SELECT COUNT(*) AS keys, COALESCE(SUM(CASE WHEN kind = 'set' THEN 0 ELSE size END), 0)
       + (SELECT COALESCE(SUM(length(member)), 0) FROM set_members) AS bytes FROM entries`,
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

  function rowToEntry(row: EntryRow): StoredEntry {
    return {
      key: plainBytes(row.key),
      value: row.kind === 'set' ? rowsToSet(membersStmt.all(row.key) as MemberRow[]) : decodeValue(row.value),
      expiresAt: row.expires_at,
      publisher: row.publisher === 1,
      replicatedAt: row.replicated_at,
    };
  }

  function putMember(key: Buffer, m: string, s: SetValue['members'][string] | undefined): void {
    if (!s) deleteMemberStmt.run(key, m);
    else putMemberStmt.run(key, m, s.add?.c ?? null, s.add?.w ?? null, s.del?.c ?? null, s.del?.w ?? null);
  }

  /** Writes one entry (metadata row; for a set all its member rows) or one set slice (its rows only). */
  function write(w: EntryWrite): void {
    if ('slice' in w) {
      const sl = w.slice;
      const key = buf(sl.key);
      for (const m in sl.members) putMember(key, m, sl.members[m]);
      if (w.membersOnly) return;
      // The set's row exists (a slice is only read from a stored set): update it in place.
      const meta = [sl.expiresAt, sl.publisher ? 1 : 0, sl.replicatedAt, sl.bytes, key] as const;
      if (updateMetaStmt.run(...meta).changes === 0)
        putStmt.run({
          key,
          kind: 'set',
          value: SET_PLACEHOLDER,
          expires_at: sl.expiresAt,
          publisher: meta[1],
          replicated_at: sl.replicatedAt,
          size: sl.bytes,
        });
      return;
    }
    const { entry } = w;
    const key = buf(entry.key);
    const v = entry.value;
    putStmt.run({
      key,
      kind: v.kind,
      value: v.kind === 'set' ? SET_PLACEHOLDER : encodeValue(v),
      expires_at: entry.expiresAt,
      publisher: entry.publisher ? 1 : 0,
      replicated_at: entry.replicatedAt,
      size: v.kind === 'set' ? (w.setBytes ?? 0) : valueBytes(v),
    });
    // Keys are namespaced by kind (a set key never holds a record): only a set clears old rows.
    if (v.kind !== 'set') return;
    if (!w.fresh) deleteMembersStmt.run(key);
    for (const m in v.members) putMember(key, m, v.members[m]);
  }

  function getSetMembers(key: Id, members: string[]): SetSlice | 'not-a-set' | undefined {
    const k = buf(key);
    // One statement for the metadata and the first member (a delta usually touches one member).
    const row = metaAndMemberStmt.get(members[0] ?? '', k) as MetaAndMemberRow | undefined;
    if (!row) return undefined;
    if (row.kind !== 'set') return 'not-a-set';
    const out: SetValue['members'] = {};
    if (row.member !== null) addRow(out, [row.member, row.add_c, row.add_w, row.del_c, row.del_w]);
    for (let i = 1; i < members.length; i++) {
      const r = memberStmt.get(k, members[i]!) as MemberRow | undefined;
      if (r) addRow(out, r);
    }
    return {
      key: plainBytes(row.key),
      expiresAt: row.expires_at,
      publisher: row.publisher === 1,
      replicatedAt: row.replicated_at,
      bytes: row.size,
      members: out,
    };
  }
  // One transaction per batch: the commit (WAL append + fsync policy) dominates small writes.
  const putAll = db.transaction((list: EntryWrite[]) => {
    for (const w of list) write(w);
  });
  const deleteOne = db.transaction((key: Buffer) => {
    deleteStmt.run(key);
    deleteMembersStmt.run(key);
  });

  // Version 1 kept sets whole in `entries.value`: move their members to rows, once.
  if ((db.pragma('user_version', { simple: true }) as number) < 2) {
    db.transaction(() => {
      const sets = db
        .prepare<[], { key: Buffer; value: Buffer }>("SELECT key, value FROM entries WHERE kind = 'set'")
        .all();
      const clearValue = db.prepare('UPDATE entries SET value = ?, size = 0 WHERE key = ?');
      for (const r of sets) {
        const v = r.value.byteLength > 0 ? decodeValue(r.value) : undefined;
        if (v?.kind !== 'set') continue;
        for (const m in v.members) putMember(r.key, m, v.members[m]);
        clearValue.run(SET_PLACEHOLDER, r.key);
      }
    })();
  }
  db.pragma(`user_version = ${SCHEMA_VERSION}`);

  return {
    async get(key) {
      const row = getStmt.get(buf(key));
      return row ? rowToEntry(row) : undefined;
    },
    async put(entry: StoredEntry) {
      putAll([{ entry }]);
    },
    async putMany(list: EntryWrite[]) {
      if (list.length > 0) putAll(list);
    },
    async getSetMembers(key, members) {
      return getSetMembers(key, members);
    },
    async scanSet(key, row) {
      const k = buf(key);
      const e = getStmt.get(k);
      if (!e) return undefined;
      if (e.kind !== 'set') return 'not-a-set';
      for (const r of membersStmt.iterate(k) as IterableIterator<MemberRow>)
        row(r[0], r[1], r[2], r[3], r[4]);
      return { expiresAt: e.expires_at };
    },
    async delete(key) {
      deleteOne(buf(key));
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
