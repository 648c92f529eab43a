/**
 * MongoDB shard store (official `mongodb` driver), chosen when MONGODB_URI is set. Several nodes
 * may share one database: each node's collections carry its own prefix (`<prefix>entries`,
 * `<prefix>contacts`). Keys are stored as BSON Binary `_id`s, values as msgpack Binary (the same
 * encoding as the SQLite store), so a 256 KiB chunk is one document well under the 16 MiB limit.
 *
 * Does not: merge, verify or expire values (the node does); create the database user or replica set.
 */
import { Binary, MongoClient, type Collection } from 'mongodb';
import type { Contact, Id, ShardStore, StoredEntry } from '../types.js';
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

interface ContactsDoc {
  _id: string;
  list: { id: Binary; address: string }[];
}

const bin = (b: Uint8Array): Binary => new Binary(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function entryToDoc(entry: StoredEntry): EntryDoc {
  return {
    _id: bin(entry.key),
    kind: entry.value.kind,
    value: new Binary(encodeValue(entry.value)),
    expiresAt: entry.expiresAt,
    publisher: entry.publisher,
    replicatedAt: entry.replicatedAt,
    size: valueBytes(entry.value),
  };
}

function docToEntry(doc: EntryDoc): StoredEntry {
  return {
    key: plainBytes(doc._id.buffer),
    value: decodeValue(doc.value.buffer),
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

  return {
    async get(key: Id) {
      const doc = await entries.findOne({ _id: bin(key) });
      return doc ? docToEntry(doc) : undefined;
    },
    async put(entry: StoredEntry) {
      const doc = entryToDoc(entry);
      await entries.replaceOne({ _id: doc._id }, doc, { upsert: true });
    },
    async putMany(list: StoredEntry[]) {
      if (list.length === 0) return;
      // Unordered: keys are distinct, so the server may apply the replacements in any order.
      await entries.bulkWrite(
        list.map((e) => {
          const doc = entryToDoc(e);
          return { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } };
        }),
        { ordered: false },
      );
    },
    async delete(key) {
      await entries.deleteOne({ _id: bin(key) });
    },
    async *scan() {
      const cursor = entries.find({}, { batchSize: SCAN_BATCH });
      try {
        for await (const doc of cursor) yield docToEntry(doc);
      } finally {
        await cursor.close();
      }
    },
    async size() {
      const [agg] = await entries
        .aggregate<{ keys: number; bytes: number }>([
          { $group: { _id: null, keys: { $sum: 1 }, bytes: { $sum: '$size' } } },
        ])
        .toArray();
      return { keys: agg?.keys ?? 0, bytes: agg?.bytes ?? 0 };
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
