/**
 * SQLite shard store (better-sqlite3): one database file per node, WAL mode, prepared statements.
 * Schema version 5 (sqlite-schema.ts, which also migrates older files on open):
 * `entries(key, kind, value, expires_at, publisher, replicated_at, size, set_id)` with record
 * values as msgpack; a set's row keeps only its metadata and a stable integer `set_id`, and a
 * blob's only its metadata: its bytes are in `blob_values(key, value)`, so no metadata read or
 * write (`markReplicated`, hourly) reads or rewrites a peer's 256 KiB chunk.
 * `set_members(set_id, member, add_c, add_w, del_c, del_w)` holds one row per member, so a posting
 * delta writes its own rows instead of re-encoding the whole set (`EntryWrite` slices,
 * `getSetMembers`): rows are keyed by the small id, not the 32-byte key; a 64-hex member (a song
 * id) is stored as its 32 bytes, any other as text; writers are ids into `writers(id, w)`. So a
 * row is ~45 bytes instead of ~135 and a new set's rows append at the end of the B-tree.
 * `contacts(id, address, position)` holds the routing table snapshot.
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
  ScanOptions,
  SetRowFn,
  SetSlice,
  SetValue,
  ShardStore,
  Stamp,
  StoredEntry,
  ValueKind,
} from '../types.js';
import { newMembers } from '../types.js';
import { valueBytes } from './memory.js';
import {
  MEMBER_AS_TEXT_SQL,
  MEMBER_NAME_LENGTH_SQL,
  decodeMember,
  encodeMember,
  makeSetIds,
  makeWriterIds,
  openSchema,
  type StoredMember,
} from './sqlite-schema.js';
import { copyContact, decodeValue, encodeValue, plainBytes } from './value-codec.js';

export interface SqliteStoreOptions {
  /** Database file; created with its directory when missing. `':memory:'` for a throwaway store. */
  file: string;
  /**
   * How long opening waits for a file another store holds (a node still shutting down) before it
   * fails with "in use by another process". @default OPEN_BUSY_TIMEOUT_MS (5000)
   */
  busyTimeoutMs?: number;
}

/** Page cache per store, KiB (SQLite's default is 2 MB): see the pragma in openFile. */
const SQLITE_CACHE_KIB = 256 * 1024;
/** WAL pages before an automatic checkpoint (default 1000 ≈ 4 MB): ~40 MB of WAL between checkpoints. */
const SQLITE_WAL_CHECKPOINT_PAGES = 10_000;
/**
 * How long opening waits for a file another connection holds: better-sqlite3's default, long
 * enough for a node restarted in place while its old process still shuts down.
 */
const OPEN_BUSY_TIMEOUT_MS = 5_000;
/** Rows per page of `largestSets`' pass over the keys: ~10 ms each. */
const SIZE_PAGE_ROWS = 5_000;
/**
 * Encoded members remembered between a batch's reads and its writes (`member`): a posting batch
 * names each song id in ~18 sets, read then written, and hex-decoding it costs more than a lookup.
 * Cleared after each `putMany` and whenever it reaches this size.
 */
const MAX_MEMO_MEMBERS = 50_000;
/**
 * Rows fetched per page by `scanMeta` (no values: ~1 µs a row). A page's statement runs
 * synchronously, so this bounds how long one page holds the event loop (~1 ms).
 */
const META_PAGE_ROWS = 1_000;
/** Rows fetched per page by `scan`: big enough to amortise the query, small enough to keep memory flat with 256 KiB chunks. */
const SCAN_PAGE_ROWS = 64;

/** Every column of `entries`, in table order (the row shape of EntryRow). */
const ENTRY_COLUMNS = 'key, kind, value, expires_at, publisher, replicated_at, size, set_id';
/** ENTRY_COLUMNS of `entries e` as read, then a blob's bytes from `blob_values b` (joined on the key). */
const READ_COLUMNS = `e.key, e.kind, e.value, e.expires_at, e.publisher, e.replicated_at, e.size, e.set_id,
  b.value AS blob`;
/** The rows READ_COLUMNS reads from: a blob's `blob_values` row is looked up only for blobs. */
const READ_FROM = "entries e LEFT JOIN blob_values b ON e.kind = 'blob' AND b.key = e.key";

interface EntryRow {
  key: Buffer;
  kind: string;
  value: Buffer;
  expires_at: number;
  publisher: number;
  replicated_at: number;
  size: number;
  /** NULL for blobs and records. */
  set_id: number | null;
  /** A blob's bytes (from `blob_values`, raw); NULL for sets and records. */
  blob: Buffer | null;
}

/** An `entries` row as statement parameters, in ENTRY_COLUMNS order. */
type EntryParams = [Id, string, Buffer, number, number, number, number, number | null];

/** A member's stamp fields, raw: [add_c, add_w, del_c, del_w] (writers as ids). */
type StampRow = [number | null, number | null, number | null, number | null];
/** A member row, raw: [member, add_c, add_w, del_c, del_w]. */
type MemberRow = [StoredMember, ...StampRow];

/**
 * A set's metadata and its first asked member, raw (no key column: the caller has it, and a Buffer
 * per row costs more than the lookup): kind, expires_at, publisher, replicated_at, size, set_id,
 * then the member's StampRow (all null when it has no row).
 */
type MetaAndMemberRow = [string, number, number, number, number, number | null, ...StampRow];

/** The `value` column of a set's and a blob's entries row: members live in `set_members`, bytes in `blob_values`. */
const EMPTY_VALUE = Buffer.alloc(0);

/** One entry's metadata (every `entries` row is small: a blob's bytes are in `blob_values`). */
const META_SQL = 'SELECT kind, expires_at, publisher, replicated_at FROM entries WHERE key = ?';
/** A page of entries' metadata after a key. */
const META_PAGE_SQL = `SELECT key, kind, expires_at, publisher, replicated_at FROM entries
  WHERE key > ? ORDER BY key LIMIT ?`;
/**
 * Number of entries and their value bytes: a blob's and a record's `size`, a set's member names
 * (valueBytes), summed over its rows (its `size` column is its wire size, kept for the size cap).
 */
const SIZE_SQL = `SELECT (SELECT COUNT(*) FROM entries) AS keys,
  (SELECT COALESCE(SUM(size), 0) FROM entries WHERE kind <> 'set')
  + (SELECT COALESCE(SUM(${MEMBER_NAME_LENGTH_SQL}), 0) FROM set_members) AS bytes`;

/** Sets the connection's pragmas and opens (creates or migrates) the schema. */
function openFile(db: Database.Database): void {
  // One connection per file, ever (a node owns its shard): SQLite takes the file's lock at the
  // first access and keeps it, so a second node started on the same data directory fails (after
  // OPEN_BUSY_TIMEOUT_MS) instead of interleaving writes, and each transaction skips the lock
  // calls and the WAL index's shared memory (replaying 30,000 songs' writes into one shard, two
  // alternating pairs: 1,477 and 1,582 songs/s against 1,387 and 1,434 without; runs vary ~5%).
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: durable against process crashes; a power loss may drop the last commits,
  // which replication repairs.
  db.pragma('synchronous = NORMAL');
  // Keys are SHA-256 digests: every write lands on a random page. SQLite's default page cache
  // (2 MB) misses on almost every row of a shard of 100k songs; a big one keeps the B-tree hot.
  db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // Fewer, larger checkpoints: a random-key workload rewrites the same hot pages many times.
  db.pragma(`wal_autocheckpoint = ${SQLITE_WAL_CHECKPOINT_PAGES}`);
  openSchema(db);
}

export function makeSqliteStore(opts: SqliteStoreOptions): ShardStore {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file, { timeout: opts.busyTimeoutMs ?? OPEN_BUSY_TIMEOUT_MS });
  try {
    openFile(db);
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new Error(
        `shard file ${opts.file} is in use by another process (another node on the same data directory?)`,
        { cause: err },
      );
    throw err;
  }
  const writers = makeWriterIds(db);
  const setIds = makeSetIds(db);

  const getStmt = db.prepare<[Id], EntryRow>(`SELECT ${READ_COLUMNS} FROM ${READ_FROM} WHERE e.key = ?`);
  const setIdStmt = db.prepare<[Id], number | null>('SELECT set_id FROM entries WHERE key = ?').pluck();
  // What scanSet needs of a key, raw: [kind, expires_at, set_id] (no key or value blob to copy out).
  const scanMetaStmt = db.prepare<[Id]>('SELECT kind, expires_at, set_id FROM entries WHERE key = ?').raw();
  const memberStmt = db
    .prepare<[number, StoredMember]>(
      'SELECT add_c, add_w, del_c, del_w FROM set_members WHERE set_id = ? AND member = ?',
    )
    .raw();
  const membersStmt = db
    .prepare<[number]>('SELECT member, add_c, add_w, del_c, del_w FROM set_members WHERE set_id = ?')
    .raw();
  const putMemberStmt = db.prepare(
    'INSERT OR REPLACE INTO set_members (set_id, member, add_c, add_w, del_c, del_w) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const deleteMemberStmt = db.prepare<[number, StoredMember]>(
    'DELETE FROM set_members WHERE set_id = ? AND member = ?',
  );
  const metaAndMemberStmt = db
    .prepare<[StoredMember, Id]>(
      `SELECT e.kind, e.expires_at, e.publisher, e.replicated_at, e.size, e.set_id,
              m.add_c, m.add_w, m.del_c, m.del_w
         FROM entries e LEFT JOIN set_members m ON m.set_id = e.set_id AND m.member = ?
        WHERE e.key = ?`,
    )
    .raw();
  // Upserts, never INSERT OR REPLACE: a replaced row would lose its set_id. A set's id is given
  // once (setIds.next(): the last argument) and kept by every later write of the row.
  const putSliceMetaStmt = db
    .prepare<[Id, number, number, number, number, number], number>(
      `INSERT INTO entries (${ENTRY_COLUMNS}) VALUES (?, 'set', x'', ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, publisher = excluded.publisher,
         replicated_at = excluded.replicated_at, size = excluded.size, set_id = coalesce(set_id, excluded.set_id)
       RETURNING set_id`,
    )
    .pluck();
  // Positional parameters: binding a named-parameter object costs more than the insert itself.
  const putStmt = db
    .prepare<EntryParams, number | null>(
      `INSERT INTO entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, value = excluded.value,
         expires_at = excluded.expires_at, publisher = excluded.publisher,
         replicated_at = excluded.replicated_at, size = excluded.size, set_id = coalesce(set_id, excluded.set_id)
       RETURNING set_id`,
    )
    .pluck();
  // A key the shard found absent (`EntryWrite.fresh`): a plain insert with no row to return (~5% of
  // a posting batch's statement time); were the key there after all, nothing is written and the
  // upsert above runs instead.
  const insertFreshStmt = db.prepare<EntryParams>(
    `INSERT INTO entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
  );
  const deleteMembersStmt = db.prepare<[number]>('DELETE FROM set_members WHERE set_id = ?');
  const deleteStmt = db.prepare<[Id], { kind: string; set_id: number | null }>(
    'DELETE FROM entries WHERE key = ? RETURNING kind, set_id',
  );
  const deleteBlobStmt = db.prepare<[Id]>('DELETE FROM blob_values WHERE key = ?');
  // A blob's bytes, written only when they differ (a blob is content-addressed: a metadata change,
  // an expiry refresh say, re-puts the same bytes, and rewriting 256 KiB for it would be waste).
  const putBlobStmt = db.prepare<[Id, Uint8Array]>(
    `INSERT INTO blob_values (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value <> excluded.value`,
  );
  const pageStmt = db.prepare<[Buffer, number], EntryRow>(
    `SELECT ${READ_COLUMNS} FROM ${READ_FROM} WHERE e.key > ? ORDER BY e.key LIMIT ?`,
  );
  // A kind-filtered scan walks the key index too (pages stay bounded); the `kind` test is on the row.
  const pageOfKindsStmt = db.prepare<[Buffer, string, number], EntryRow>(
    `SELECT ${READ_COLUMNS} FROM ${READ_FROM}
      WHERE e.key > ? AND e.kind IN (SELECT value FROM json_each(?)) ORDER BY e.key LIMIT ?`,
  );
  // scanSet hands rows to its callback from inside the query (an SQL function per row): ~0.8 µs a
  // row instead of ~2 µs for a row array with a Buffer per blob (a cold posting set of 8,700
  // members: 7 ms instead of 20). The callback must not use this connection (it never does: it
  // builds a read view), and names writers from the cache only (WriterIds.cacheAll first).
  let scanRow: SetRowFn | undefined;
  db.function('gotify_scan_row', { deterministic: false }, (m, ac, aw, dc, dw) => {
    scanRow!(
      m as string,
      ac as number | null,
      writer(aw as number | null),
      dc as number | null,
      writer(dw as number | null),
    );
    return null;
  });
  const scanSetStmt = db
    .prepare<[number], number>(
      `SELECT count(gotify_scan_row(${MEMBER_AS_TEXT_SQL}, add_c, add_w, del_c, del_w)) FROM set_members WHERE set_id = ?`,
    )
    .pluck();
  const maxMemberCounterStmt = db
    .prepare<[], number>(
      'SELECT max(coalesce((SELECT max(add_c) FROM set_members), 0), coalesce((SELECT max(del_c) FROM set_members), 0))',
    )
    .pluck();
  // largestSets pages through the sets by key: one sort of all of them blocked the event loop
  // ~0.45 s at 30,000 songs (216,000 rows), so over a second at 100,000, right after a node started
  // serving.
  const setSizesPageStmt = db
    .prepare<[Buffer, number]>(
      "SELECT key, size FROM entries WHERE key > ? AND kind = 'set' ORDER BY key LIMIT ?",
    )
    .raw();
  const metaStmt = db.prepare<[Id]>(META_SQL).raw();
  const metaPageStmt = db.prepare<[Buffer, number]>(META_PAGE_SQL).raw();
  const markStmt = db.prepare<[number, number, Id, number]>(
    'UPDATE entries SET replicated_at = ?, expires_at = max(expires_at, ?) WHERE key = ? AND expires_at > ?',
  );
  const markAll = db.transaction((keys: readonly Id[], at: number, expiresAt: number) => {
    for (const k of keys) markStmt.run(at, expiresAt, k, at);
  });
  const recordValuesStmt = db.prepare<[], Buffer>("SELECT value FROM entries WHERE kind = 'record'").pluck();
  const sizeStmt = db.prepare<[], { keys: number; bytes: number }>(SIZE_SQL);
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
  const memo = new Map<string, StoredMember>();
  /** encodeMember, memoised (MAX_MEMO_MEMBERS). */
  function member(m: string): StoredMember {
    let v = memo.get(m);
    if (v === undefined) {
      if (memo.size >= MAX_MEMO_MEMBERS) memo.clear();
      memo.set(m, (v = encodeMember(m)));
    }
    return v;
  }
  const writer = (id: number | null): string | null => (id === null ? null : writers.name(id));

  function addRow(members: SetValue['members'], m: string, [ac, aw, dc, dw]: StampRow): void {
    const s: { add?: Stamp; del?: Stamp } = {};
    if (ac !== null && aw !== null) s.add = { c: ac, w: writers.name(aw) };
    if (dc !== null && dw !== null) s.del = { c: dc, w: writers.name(dw) };
    members[m] = s;
  }

  function setOf(setId: number | null): SetValue {
    const members: SetValue['members'] = newMembers();
    if (setId !== null)
      for (const [m, ...stamps] of membersStmt.iterate(setId) as IterableIterator<MemberRow>)
        addRow(members, decodeMember(m), stamps);
    return { kind: 'set', members };
  }

  /** A blob row's bytes (`blob_values`): every blob write puts them in the same transaction. */
  function blobBytes(row: EntryRow): Buffer {
    if (row.blob === null)
      throw new Error(`shard file: blob ${row.key.toString('hex')} has no bytes in blob_values`);
    return row.blob;
  }

  function rowToEntry(row: EntryRow): StoredEntry {
    return {
      key: plainBytes(row.key),
      value:
        row.kind === 'set'
          ? setOf(row.set_id)
          : row.kind === 'blob'
            ? { kind: 'blob', bytes: plainBytes(blobBytes(row)) }
            : decodeValue(row.value),
      expiresAt: row.expires_at,
      publisher: row.publisher === 1,
      replicatedAt: row.replicated_at,
    };
  }

  function putMember(setId: number, m: string, s: SetValue['members'][string] | undefined): void {
    if (!s) deleteMemberStmt.run(setId, member(m));
    else {
      const aw = s.add ? writers.id(s.add.w) : null;
      const dw = s.del ? writers.id(s.del.w) : null;
      putMemberStmt.run(setId, member(m), s.add?.c ?? null, aw, s.del?.c ?? null, dw);
    }
  }

  /** Writes one entry (metadata row; for a set all its member rows) or one set slice (its rows only). */
  function write(w: EntryWrite): void {
    if ('slice' in w) {
      const sl = w.slice;
      const key = sl.key; // better-sqlite3 binds any Uint8Array as a blob: no Buffer view needed
      // A slice is only read from a stored set, so its row exists; were it missing (or not a set's),
      // the metadata is written too: member rows need the set's id.
      let setId = w.membersOnly ? (sl.ref ?? setIdStmt.get(key)) : undefined;
      if (setId === undefined || setId === null)
        setId = putSliceMetaStmt.get(
          key,
          sl.expiresAt,
          sl.publisher ? 1 : 0,
          sl.replicatedAt,
          sl.bytes,
          setIds.next(),
        )!;
      for (const m in sl.members) putMember(setId, m, sl.members[m]);
      return;
    }
    const { entry } = w;
    const v = entry.value;
    const isSet = v.kind === 'set';
    const id = isSet ? setIds.next() : null;
    if (v.kind === 'blob') putBlobStmt.run(entry.key, v.bytes);
    const row: EntryParams = [
      entry.key,
      v.kind,
      isSet || v.kind === 'blob' ? EMPTY_VALUE : encodeValue(v),
      entry.expiresAt,
      entry.publisher ? 1 : 0,
      entry.replicatedAt,
      isSet ? (w.setBytes ?? 0) : valueBytes(v),
      id,
    ];
    const inserted = !!w.fresh && insertFreshStmt.run(...row).changes === 1;
    const setId = inserted ? id : putStmt.get(...row);
    // Keys are namespaced by kind (a set key never holds a record): only a set clears old rows.
    if (v.kind !== 'set' || setId === null || setId === undefined) return;
    if (!inserted) deleteMembersStmt.run(setId); // the row was there (even if the write was marked fresh)
    for (const m in v.members) putMember(setId, m, v.members[m]);
  }

  function getSetMembers(key: Id, members: string[]): SetSlice | 'not-a-set' | undefined {
    // One statement for the metadata and the first member (a delta usually touches one member).
    const row = metaAndMemberStmt.get(member(members[0] ?? ''), key) as MetaAndMemberRow | undefined;
    if (!row) return undefined;
    const [kind, expiresAt, publisher, replicatedAt, size, setId, ac, aw, dc, dw] = row;
    if (kind !== 'set') return 'not-a-set';
    const out: SetValue['members'] = newMembers();
    if (ac !== null || dc !== null) addRow(out, members[0]!, [ac, aw, dc, dw]);
    for (let i = 1; i < members.length && setId !== null; i++) {
      const r = memberStmt.get(setId, member(members[i]!)) as StampRow | undefined;
      if (r) addRow(out, members[i]!, r);
    }
    const slice: SetSlice = {
      key: plainBytes(key),
      expiresAt,
      publisher: publisher === 1,
      replicatedAt,
      bytes: size,
      members: out,
    };
    if (setId !== null) slice.ref = setId;
    return slice;
  }
  // One transaction per batch: the commit (WAL append + fsync policy) dominates small writes.
  const putAllTx = db.transaction((list: EntryWrite[]) => {
    for (const w of list) write(w);
  });
  function putAll(list: EntryWrite[]): void {
    try {
      putAllTx(list);
    } catch (err) {
      writers.forget(); // writer ids given in the rolled-back transaction are gone
      throw err;
    } finally {
      memo.clear();
    }
  }
  const deleteOne = db.transaction((key: Id) => {
    const row = deleteStmt.get(key);
    if (row?.kind === 'blob') deleteBlobStmt.run(key);
    if (row?.set_id !== undefined && row.set_id !== null) deleteMembersStmt.run(row.set_id);
  });

  return {
    async get(key) {
      const row = getStmt.get(key);
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
    async getSetMembersMany(asks) {
      return asks.map((a) => getSetMembers(a.key, a.members));
    },
    async scanSet(key, row) {
      const e = scanMetaStmt.get(key) as [string, number, number | null] | undefined;
      if (!e) return undefined;
      const [kind, expiresAt, setId] = e;
      if (kind !== 'set') return 'not-a-set';
      if (setId !== null) {
        writers.cacheAll(); // gotify_scan_row names writers from inside the query
        scanRow = row;
        try {
          scanSetStmt.get(setId);
        } finally {
          scanRow = undefined;
        }
      }
      return { expiresAt };
    },
    async maxCounter() {
      let c = maxMemberCounterStmt.get() ?? 0;
      for (const b of recordValuesStmt.iterate()) {
        const v = decodeValue(b);
        if (v.kind === 'record') c = Math.max(c, v.stamp.c);
      }
      return c;
    },
    async largestSets(limit) {
      const sets: [Buffer, number][] = [];
      let after: Buffer = Buffer.alloc(0);
      for (;;) {
        if (closed) return [];
        const rows = setSizesPageStmt.all(after, SIZE_PAGE_ROWS) as [Buffer, number][];
        for (const r of rows) sets.push(r);
        if (rows.length < SIZE_PAGE_ROWS) break;
        after = rows[rows.length - 1]![0];
        await new Promise((r) => setImmediate(r)); // requests run between pages
      }
      sets.sort((a, b) => b[1] - a[1]);
      return sets.slice(0, limit).map(([k, n]) => [plainBytes(k), n]);
    },
    async delete(key) {
      deleteOne(key);
    },
    async *scanMeta() {
      let after: Buffer = Buffer.alloc(0);
      for (;;) {
        if (closed) return;
        const rows = metaPageStmt.all(after, META_PAGE_ROWS) as [Buffer, ValueKind, number, number, number][];
        for (const [key, kind, expiresAt, publisher, replicatedAt] of rows)
          yield { key: plainBytes(key), kind, expiresAt, publisher: publisher === 1, replicatedAt };
        if (rows.length < META_PAGE_ROWS) return;
        after = rows[rows.length - 1]![0];
      }
    },
    async getMeta(key) {
      const row = metaStmt.get(key) as [ValueKind, number, number, number] | undefined;
      if (!row) return undefined;
      const [kind, expiresAt, publisher, replicatedAt] = row;
      return { key: plainBytes(key), kind, expiresAt, publisher: publisher === 1, replicatedAt };
    },
    async markReplicated(keys, at, expiresAt) {
      if (keys.length > 0) markAll(keys, at, expiresAt);
    },
    async *scan(opts?: ScanOptions) {
      const kinds = opts?.kinds ? JSON.stringify(opts.kinds) : undefined;
      let after: Buffer = Buffer.alloc(0); // every key sorts after the empty blob
      for (;;) {
        if (closed) return;
        const rows =
          kinds === undefined
            ? pageStmt.all(after, SCAN_PAGE_ROWS)
            : pageOfKindsStmt.all(after, kinds, SCAN_PAGE_ROWS);
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
