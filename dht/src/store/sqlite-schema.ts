/**
 * Schema of the SQLite shard store (sqlite.ts), version 5: the tables, how set members and writer
 * ids are encoded in them, and the migration of version 1 to 4 files on open (one transaction).
 *
 * Does not: prepare the store's statements or serve reads and writes (sqlite.ts does), or VACUUM:
 * a migrated file keeps the pages of its dropped rows as free pages for later writes.
 */
import type Database from 'better-sqlite3';
import { decodeValue } from './value-codec.js';

/**
 * Schema version in `PRAGMA user_version`, so a later migration knows what it opens.
 * 1: sets stored whole as msgpack in `entries.value`; 2: set members as rows keyed by the set's key;
 * 3: member rows keyed by the set's integer id, hex members as blobs, writers as integers; 4: an
 * index over blobs' metadata (`entries_blob_meta`); 5: blobs' bytes in `blob_values`, the index
 * dropped.
 */
export const SCHEMA_VERSION = 5;

/** Writer ids cached per store, both ways: writers are nodes, a cluster has far fewer. */
const MAX_CACHED_WRITERS = 100_000;

/**
 * `blob_values`: a blob's bytes, out of its `entries` row (whose `value` is empty). A peer's 256 KiB
 * chunk spills over ~64 overflow pages, and SQLite reads and rewrites a row whole: in `entries`,
 * marking a chunk replicated (an UPDATE of one column, hourly) rewrote the chunk, and its metadata
 * could only be read by walking the chunk (version 4 added a covering index for the reads; the
 * UPDATE still rewrote it). Here every `entries` row is small, so the metadata reads and writes
 * (`getMeta`, `scanMeta`, `size`, `markReplicated`) never touch a chunk.
 *
 * `entries.set_id`: a set's id, given once (max + 1, so a new set's member rows append at the end
 * of `set_members`) and kept by every later upsert of its row; NULL for blobs and records.
 * `set_members.member` has BLOB affinity, so each value keeps its storage class (see encodeMember).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  key BLOB PRIMARY KEY,
  kind TEXT NOT NULL,
  value BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  publisher INTEGER NOT NULL,
  replicated_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  set_id INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_set_id ON entries (set_id) WHERE set_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS blob_values (
  key BLOB PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS set_members (
  set_id INTEGER NOT NULL,
  member BLOB NOT NULL,
  add_c INTEGER,
  add_w INTEGER,
  del_c INTEGER,
  del_w INTEGER,
  PRIMARY KEY (set_id, member)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS writers (
  id INTEGER PRIMARY KEY,
  w TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS contacts (
  id BLOB PRIMARY KEY,
  address TEXT NOT NULL,
  position INTEGER NOT NULL
);
`;

/** The next set id, for an insert's VALUES (a covering search of the set_id index). */
export const NEXT_SET_ID = '(SELECT coalesce(max(set_id), 0) + 1 FROM entries WHERE set_id IS NOT NULL)';

/**
 * Set ids given out by one store: max + 1 at open, then counted in memory (the file has one writer:
 * its store). An id handed to a write that turned out not to need it (the key already had one, or
 * the transaction rolled back) is a gap, and gaps are harmless: ids only need to be unique.
 */
export function makeSetIds(db: Database.Database): { next(): number } {
  let last = db.prepare<[], number>(`SELECT ${NEXT_SET_ID} - 1`).pluck().get()!;
  return { next: () => ++last };
}

/** A stored member: a `Buffer` (64-hex id) or a string (anything else). */
export type StoredMember = string | Buffer;

const HEX64 = /^[0-9a-f]{64}$/;
/** Song ids (64 lowercase hex chars) as their 32 bytes; a blob never equals a text value. */
export function encodeMember(m: string): StoredMember {
  return m.length === 64 && HEX64.test(m) ? Buffer.from(m, 'hex') : m;
}
export function decodeMember(v: StoredMember): string {
  return typeof v === 'string' ? v : v.toString('hex');
}
/** encodeMember in SQL, for the version 2 migration (GLOB is case-sensitive, like HEX64). */
const ENCODE_MEMBER_SQL = `CASE WHEN length(m.member) = 64 AND m.member NOT GLOB '*[^0-9a-f]*'
  THEN unhex(m.member) ELSE m.member END`;
/** decodeMember in SQL: a blob-stored id as its 64 lowercase hex characters, text as is. */
export const MEMBER_AS_TEXT_SQL = `CASE WHEN typeof(member) = 'blob' THEN lower(hex(member)) ELSE member END`;
/** `length(member)` as version 2 counted it (`size()`): 64 for a blob-stored hex id. */
export const MEMBER_NAME_LENGTH_SQL = `CASE WHEN typeof(member) = 'blob' THEN 2 * length(member) ELSE length(member) END`;

/** Writer ids (`Stamp.w`) as the small integers of the `writers` table, cached both ways. */
export interface WriterIds {
  /** The writer's id, inserted when new (call inside the write's transaction). */
  id(w: string): number;
  /** The writer of an id; the same string object on every call while cached. */
  name(id: number): string;
  /** Drops the cache: after a rolled-back transaction its new ids may not exist. */
  forget(): void;
  /**
   * Caches every writer of the table unless all are cached already. Call it before a statement
   * whose SQL function names writers per row: `name` may then not query, since better-sqlite3
   * refuses any statement while a function callback runs ("This database connection is busy
   * executing a query": what a restarted node's first set scan hit).
   */
  cacheAll(): void;
}

export function makeWriterIds(db: Database.Database): WriterIds {
  const ids = new Map<string, number>();
  const names = new Map<number, string>();
  const findStmt = db.prepare<[string], number>('SELECT id FROM writers WHERE w = ?').pluck();
  const addStmt = db.prepare<[string], number>('INSERT INTO writers (w) VALUES (?) RETURNING id').pluck();
  const nameStmt = db.prepare<[number], string>('SELECT w FROM writers WHERE id = ?').pluck();
  const allStmt = db.prepare<[], { id: number; w: string }>('SELECT id, w FROM writers');
  /** Every writer of the table is cached (a new one is cached as it is inserted). */
  let complete = false;
  function remember(w: string, id: number, always = false): void {
    if (!always && names.size >= MAX_CACHED_WRITERS) {
      complete = false;
      return;
    }
    ids.set(w, id);
    names.set(id, w);
  }
  return {
    id(w) {
      const had = ids.get(w);
      if (had !== undefined) return had;
      const id = findStmt.get(w) ?? addStmt.get(w)!;
      remember(w, id);
      return id;
    },
    name(id) {
      const had = names.get(id);
      if (had !== undefined) return had;
      const w = nameStmt.get(id);
      if (w === undefined) throw new Error(`set member row names unknown writer id ${id}`);
      remember(w, id);
      return w;
    },
    forget() {
      ids.clear();
      names.clear();
      complete = false;
    },
    cacheAll() {
      if (complete) return;
      // Past MAX_CACHED_WRITERS too: a read must see every name, and writers are nodes (few).
      for (const { id, w } of allStmt.all()) remember(w, id, true);
      complete = true;
    },
  };
}

const tableColumns = (db: Database.Database, table: string): string[] =>
  db.prepare<[string], string>('SELECT name FROM pragma_table_info(?)').pluck().all(table);

/**
 * Creates the tables of a new file or migrates an older one to SCHEMA_VERSION, in one transaction.
 * Throws on a file of a newer version.
 */
export function openSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new Error(`shard file has schema version ${version}, newer than ${SCHEMA_VERSION}`);
  const isNew = tableColumns(db, 'entries').length === 0;
  if (!isNew && version === SCHEMA_VERSION) return;
  db.transaction(() => {
    if (isNew) db.exec(SCHEMA);
    else migrate(db, version);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/**
 * Versions 0 (none written) to 4 to version 5; versions 3 and 4 only move their blobs' bytes.
 * Member rows of keys without a set entry were unreachable: dropped.
 */
function migrate(db: Database.Database, from: number): void {
  if (!tableColumns(db, 'entries').includes('set_id'))
    db.exec('ALTER TABLE entries ADD COLUMN set_id INTEGER');
  const v2Members = tableColumns(db, 'set_members').includes('key');
  if (v2Members) db.exec('ALTER TABLE set_members RENAME TO set_members_v2');
  db.exec(SCHEMA);
  moveBlobValues(db);
  if (from >= 3) return;
  // Number the sets in key order (the order of version 2's member rows), above any id given.
  const base = db.prepare<[], number>(`SELECT ${NEXT_SET_ID} - 1`).pluck().get()!;
  db.prepare<[number]>(
    `UPDATE entries SET set_id = ? + t.n
       FROM (SELECT key, row_number() OVER (ORDER BY key) AS n FROM entries
              WHERE kind = 'set' AND set_id IS NULL) AS t
      WHERE entries.key = t.key`,
  ).run(base);
  if (v2Members) {
    db.exec(`
      INSERT OR IGNORE INTO writers (w)
        SELECT add_w FROM set_members_v2 WHERE add_w IS NOT NULL
        UNION SELECT del_w FROM set_members_v2 WHERE del_w IS NOT NULL;
      INSERT OR REPLACE INTO set_members (set_id, member, add_c, add_w, del_c, del_w)
        SELECT e.set_id, ${ENCODE_MEMBER_SQL}, m.add_c, wa.id, m.del_c, wd.id
          FROM set_members_v2 m JOIN entries e ON e.key = m.key AND e.set_id IS NOT NULL
          LEFT JOIN writers wa ON wa.w = m.add_w LEFT JOIN writers wd ON wd.w = m.del_w
         ORDER BY 1, 2;
      DROP TABLE set_members_v2;
    `);
  }
  if (from >= 2) return;
  // Version 1 kept sets whole in `entries.value`: move their members to rows.
  const writers = makeWriterIds(db);
  const sets = db
    .prepare<[], { set_id: number; value: Buffer }>(
      "SELECT set_id, value FROM entries WHERE kind = 'set' AND length(value) > 0",
    )
    .all();
  const putMember = db.prepare(
    'INSERT OR REPLACE INTO set_members (set_id, member, add_c, add_w, del_c, del_w) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const clearValue = db.prepare("UPDATE entries SET value = x'', size = 0 WHERE set_id = ?");
  for (const r of sets) {
    const v = decodeValue(r.value);
    if (v.kind !== 'set') continue;
    for (const [m, s] of Object.entries(v.members)) {
      const aw = s.add ? writers.id(s.add.w) : null;
      const dw = s.del ? writers.id(s.del.w) : null;
      putMember.run(r.set_id, encodeMember(m), s.add?.c ?? null, aw, s.del?.c ?? null, dw);
    }
    clearValue.run(r.set_id);
  }
}

/**
 * Moves every blob's bytes from its `entries` row (msgpack, as versions 1 to 4 kept them) to
 * `blob_values` (raw), one blob at a time: the pages a cleared row frees hold the next blob's
 * copy, so the file grows by about one chunk, not by the whole store (a 500 MiB file: 501 → 502
 * MiB, 3.2 s). Drops version 4's `entries_blob_meta`.
 */
function moveBlobValues(db: Database.Database): void {
  db.exec('DROP INDEX IF EXISTS entries_blob_meta');
  const keys = db
    .prepare<[], Buffer>("SELECT key FROM entries WHERE kind = 'blob' AND length(value) > 0")
    .pluck();
  const read = db.prepare<[Buffer], Buffer>('SELECT value FROM entries WHERE key = ?').pluck();
  const copy = db.prepare<[Buffer, Uint8Array]>(
    'INSERT OR REPLACE INTO blob_values (key, value) VALUES (?, ?)',
  );
  const clear = db.prepare<[Buffer]>("UPDATE entries SET value = x'' WHERE key = ?");
  for (const key of keys.all()) {
    const v = decodeValue(read.get(key)!);
    if (v.kind !== 'blob') continue;
    copy.run(key, v.bytes);
    clear.run(key);
  }
}
