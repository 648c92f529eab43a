/**
 * MongoDB shard store (official `mongodb` driver), chosen when MONGODB_URI is set. Several nodes
 * may share one database: each node's collections carry its own prefix (`<prefix>entries`,
 * `<prefix>contacts`, `<prefix>set_members`). Keys are stored as BSON Binary `_id`s, blob and record
 * values as msgpack Binary (the same encoding as the SQLite store), so a 256 KiB chunk is one
 * document well under the 16 MiB limit. A set's members are one document each in `set_members`
 * (indexed by key), so a posting delta upserts its own documents instead of rewriting the set
 * (`EntryWrite` slices, `getSetMembers`; a flush's batch in two queries, `getSetMembersMany`). Without a replica set there are no multi-collection transactions:
 * member documents are written before the entry document, so a crash in between leaves at worst
 * members without an entry (invisible; the next whole write of the key clears them).
 *
 * Does not: merge, verify or expire values (the node does); create the database user or replica set.
 */
import { Binary, MongoClient, type AnyBulkWriteOperation, type Collection } from 'mongodb';
import type {
  Contact,
  EntryMeta,
  EntryWrite,
  Id,
  ScanOptions,
  SetSlice,
  SetValue,
  ShardStore,
  StoredEntry,
  ValueKind,
} from '../types.js';
import { newMembers } from '../types.js';
import { valueBytes } from './memory.js';
import { copyContact, decodeValue, encodeValue, plainBytes } from './value-codec.js';

export interface MongoStoreOptions {
  /** Connection string, e.g. `mongodb://127.0.0.1:27017`. */
  uri: string;
  /** Database holding the collections. @default 'gotify' */
  dbName?: string;
  /** Prefix of this node's collection names, so nodes can share a database. @default '' */
  collectionPrefix?: string;
  /** How long to wait for a reachable server before failing. @default MONGO_SERVER_SELECTION_MS */
  serverSelectionTimeoutMs?: number;
}

/** Fail fast at start-up when MongoDB is down instead of the driver's 30 s default. */
export const MONGO_SERVER_SELECTION_MS = 5_000;
/** Documents per cursor batch in `scan`: bounds memory with 256 KiB chunk values. */
const SCAN_BATCH = 64;
/** Member documents per cursor batch in `scanSet`: ~150 B each, so ~600 KB per batch. */
const MEMBER_SCAN_BATCH = 4096;
/** `_id` of the single contacts document: replacing one document keeps the snapshot atomic. */
const CONTACTS_DOC_ID = 'routing-table';

interface EntryDoc {
  _id: Binary;
  kind: string;
  value: Binary;
  expiresAt: number;
  publisher: boolean;
  replicatedAt: number;
  size: number;
}

/** One member of a set: `_id` = key hex + '/' + member; stamps flattened (absent when unset). */
interface MemberDoc {
  _id: string;
  k: Binary;
  m: string;
  ac?: number;
  aw?: string;
  dc?: number;
  dw?: string;
}

interface ContactsDoc {
  _id: string;
  list: { id: Binary; address: string }[];
}

const bin = (b: Uint8Array): Binary => new Binary(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function entryToDoc(entry: StoredEntry): EntryDoc {
  const isSet = entry.value.kind === 'set';
  return {
    _id: bin(entry.key),
    kind: entry.value.kind,
    value: new Binary(isSet ? Buffer.alloc(0) : encodeValue(entry.value)),
    expiresAt: entry.expiresAt,
    publisher: entry.publisher,
    replicatedAt: entry.replicatedAt,
    size: isSet ? 0 : valueBytes(entry.value), // a set's size is its wire size: writeToDoc
  };
}

const hexOf = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('hex');

function memberDoc(key: Uint8Array, m: string, s: SetValue['members'][string]): MemberDoc {
  const doc: MemberDoc = { _id: `${hexOf(key)}/${m}`, k: bin(key), m };
  if (s.add) Object.assign(doc, { ac: s.add.c, aw: s.add.w });
  if (s.del) Object.assign(doc, { dc: s.del.c, dw: s.del.w });
  return doc;
}

function docsToSet(docs: MemberDoc[]): SetValue {
  const members: SetValue['members'] = newMembers();
  for (const d of docs) {
    members[d.m] = {
      ...(d.ac !== undefined && d.aw !== undefined ? { add: { c: d.ac, w: d.aw } } : {}),
      ...(d.dc !== undefined && d.dw !== undefined ? { del: { c: d.dc, w: d.dw } } : {}),
    };
  }
  return { kind: 'set', members };
}

/** An entries document read without its value (`projection: { value: 0 }`) as metadata. */
function docToMeta(doc: Omit<EntryDoc, 'value'>): EntryMeta {
  return {
    key: plainBytes(doc._id.buffer),
    kind: doc.kind as ValueKind,
    expiresAt: doc.expiresAt,
    publisher: doc.publisher,
    replicatedAt: doc.replicatedAt,
  };
}

export async function makeMongoStore(opts: MongoStoreOptions): Promise<ShardStore> {
  const client = new MongoClient(opts.uri, {
    serverSelectionTimeoutMS: opts.serverSelectionTimeoutMs ?? MONGO_SERVER_SELECTION_MS,
  });
  await client.connect();
  const db = client.db(opts.dbName ?? 'gotify');
  const prefix = opts.collectionPrefix ?? '';
  const entries: Collection<EntryDoc> = db.collection<EntryDoc>(`${prefix}entries`);
  const contacts: Collection<ContactsDoc> = db.collection<ContactsDoc>(`${prefix}contacts`);
  const members: Collection<MemberDoc> = db.collection<MemberDoc>(`${prefix}set_members`);
  await members.createIndex({ k: 1 });

  async function docToEntry(doc: EntryDoc): Promise<StoredEntry> {
    const key = plainBytes(doc._id.buffer);
    return {
      key,
      value:
        doc.kind === 'set'
          ? docsToSet(await members.find({ k: doc._id }).toArray())
          : decodeValue(doc.value.buffer),
      expiresAt: doc.expiresAt,
      publisher: doc.publisher,
      replicatedAt: doc.replicatedAt,
    };
  }

  /** A set's entries document and some of its member documents as a `SetSlice`. */
  function sliceOfDocs(doc: Omit<EntryDoc, 'value'>, docs: MemberDoc[]): SetSlice {
    return {
      key: plainBytes(doc._id.buffer),
      expiresAt: doc.expiresAt,
      publisher: doc.publisher,
      replicatedAt: doc.replicatedAt,
      bytes: doc.size,
      members: docsToSet(docs).members,
    };
  }

  /** Member operations of a batch, in order: a whole set first clears the key's old members. */
  function memberOps(list: EntryWrite[]): AnyBulkWriteOperation<MemberDoc>[] {
    const ops: AnyBulkWriteOperation<MemberDoc>[] = [];
    const upsert = (key: Uint8Array, m: string, st: SetValue['members'][string] | undefined) => {
      const _id = `${hexOf(key)}/${m}`;
      ops.push(
        st
          ? { replaceOne: { filter: { _id }, replacement: memberDoc(key, m, st), upsert: true } }
          : { deleteOne: { filter: { _id } } },
      );
    };
    for (const w of list) {
      if ('slice' in w) {
        for (const m in w.slice.members) upsert(w.slice.key, m, w.slice.members[m]);
        continue;
      }
      const v = w.entry.value;
      // Keys are namespaced by kind (a set key never holds a record): only a set clears old members.
      if (v.kind !== 'set') continue;
      // Always cleared, even when `fresh`: without multi-collection transactions a crash can leave
      // members without their entry (see the header), and they must not resurface here.
      ops.push({ deleteMany: { filter: { k: bin(w.entry.key) } } });
      for (const m in v.members) upsert(w.entry.key, m, v.members[m]);
    }
    return ops;
  }

  function writeToDoc(w: EntryWrite): EntryDoc {
    if ('entry' in w) {
      const doc = entryToDoc(w.entry);
      if (w.entry.value.kind === 'set') doc.size = w.setBytes ?? 0;
      return doc;
    }
    const sl = w.slice;
    return {
      _id: bin(sl.key),
      kind: 'set',
      value: new Binary(Buffer.alloc(0)),
      expiresAt: sl.expiresAt,
      publisher: sl.publisher,
      replicatedAt: sl.replicatedAt,
      size: sl.bytes,
    };
  }

  async function putMany(list: EntryWrite[]): Promise<void> {
    if (list.length === 0) return;
    // Ordered for members: a whole set's deleteMany must precede its inserts.
    const mops = memberOps(list);
    if (mops.length > 0) await members.bulkWrite(mops, { ordered: true });
    // Unordered: keys are distinct, so the server may apply the replacements in any order.
    const docs = list.filter((w) => !('slice' in w && w.membersOnly));
    if (docs.length === 0) return;
    await entries.bulkWrite(
      docs.map((w) => {
        const doc = writeToDoc(w);
        return { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } };
      }),
      { ordered: false },
    );
  }

  return {
    async get(key: Id) {
      const doc = await entries.findOne({ _id: bin(key) });
      return doc ? docToEntry(doc) : undefined;
    },
    async put(entry: StoredEntry) {
      await putMany([{ entry }]);
    },
    putMany,
    async getSetMembers(key, names) {
      const doc = await entries.findOne({ _id: bin(key) });
      if (!doc) return undefined;
      if (doc.kind !== 'set') return 'not-a-set';
      const hex = hexOf(key);
      const docs = await members.find({ _id: { $in: names.map((m) => `${hex}/${m}`) } }).toArray();
      return sliceOfDocs(doc, docs);
    },
    async getSetMembersMany(asks) {
      if (asks.length === 0) return [];
      // Two queries for the whole batch: the entries, then every asked member of the sets among them.
      const docs = await entries
        .find({ _id: { $in: asks.map((a) => bin(a.key)) } }, { projection: { value: 0 } })
        .toArray();
      const byHex = new Map(docs.map((d) => [hexOf(d._id.buffer), d]));
      const ids: string[] = [];
      for (const a of asks) {
        const hex = hexOf(a.key);
        if (byHex.get(hex)?.kind === 'set') for (const m of a.members) ids.push(`${hex}/${m}`);
      }
      const found = new Map<string, MemberDoc[]>();
      if (ids.length > 0)
        for (const d of await members.find({ _id: { $in: ids } }).toArray()) {
          const hex = d._id.slice(0, d._id.indexOf('/'));
          const list = found.get(hex);
          if (list) list.push(d);
          else found.set(hex, [d]);
        }
      return asks.map((a) => {
        const hex = hexOf(a.key);
        const doc = byHex.get(hex);
        if (!doc) return undefined;
        if (doc.kind !== 'set') return 'not-a-set';
        return sliceOfDocs(doc, found.get(hex) ?? []);
      });
    },
    async scanSet(key, row) {
      const doc = await entries.findOne({ _id: bin(key) });
      if (!doc) return undefined;
      if (doc.kind !== 'set') return 'not-a-set';
      for await (const d of members.find({ k: doc._id }, { batchSize: MEMBER_SCAN_BATCH }))
        row(d.m, d.ac ?? null, d.aw ?? null, d.dc ?? null, d.dw ?? null);
      return { expiresAt: doc.expiresAt };
    },
    async largestSets(limit) {
      const docs = entries
        .find({ kind: 'set' }, { projection: { _id: 1, size: 1 } })
        .sort({ size: -1 })
        .limit(limit);
      const out: [Id, number][] = [];
      for await (const d of docs) out.push([plainBytes(d._id.buffer), d.size]);
      return out;
    },
    async delete(key) {
      await entries.deleteOne({ _id: bin(key) });
      await members.deleteMany({ k: bin(key) });
    },
    async *scanMeta() {
      const cursor = entries.find({}, { batchSize: SCAN_BATCH, projection: { value: 0 } });
      try {
        for await (const doc of cursor) yield docToMeta(doc);
      } finally {
        await cursor.close();
      }
    },
    async getMeta(key) {
      const doc = await entries.findOne({ _id: bin(key) }, { projection: { value: 0 } });
      return doc ? docToMeta(doc) : undefined;
    },
    async markReplicated(keys, at, expiresAt) {
      if (keys.length === 0) return;
      await entries.updateMany(
        { _id: { $in: keys.map((k) => bin(k)) }, expiresAt: { $gt: at } },
        { $set: { replicatedAt: at }, $max: { expiresAt } },
      );
    },
    async *scan(opts?: ScanOptions) {
      const filter = opts?.kinds ? { kind: { $in: [...opts.kinds] } } : {};
      const cursor = entries.find(filter, { batchSize: SCAN_BATCH });
      try {
        for await (const doc of cursor) yield await docToEntry(doc);
      } finally {
        await cursor.close();
      }
    },
    async size() {
      const [agg] = await entries
        .aggregate<{ keys: number; bytes: number }>([
          {
            $group: {
              _id: null,
              keys: { $sum: 1 },
              // a set's `size` is its wire size (for the cap); its bytes are counted from its members
              bytes: { $sum: { $cond: [{ $eq: ['$kind', 'set'] }, 0, '$size'] } },
            },
          },
        ])
        .toArray();
      // A set's bytes are the lengths of its member names (valueBytes).
      const [mem] = await members
        .aggregate<{ bytes: number }>([{ $group: { _id: null, bytes: { $sum: { $strLenCP: '$m' } } } }])
        .toArray();
      return { keys: agg?.keys ?? 0, bytes: (agg?.bytes ?? 0) + (mem?.bytes ?? 0) };
    },
    async saveContacts(list: Contact[]) {
      await contacts.replaceOne(
        { _id: CONTACTS_DOC_ID },
        { list: list.map((c) => ({ id: bin(c.id), address: c.address })) },
        { upsert: true },
      );
    },
    async loadContacts() {
      const doc = await contacts.findOne({ _id: CONTACTS_DOC_ID });
      return (doc?.list ?? []).map((c) => copyContact({ id: c.id.buffer, address: c.address }));
    },
    async close() {
      await client.close();
    },
  };
}
