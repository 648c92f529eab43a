/**
 * The ShardStore contract against a real MongoDB: MONGODB_URI when set, else mongodb-memory-server
 * when it can start a local mongod (runtime download disabled: this machine has no route to the
 * binary mirror). With neither, the suite reports itself skipped with the reason. Never a fake.
 */
import { afterAll, describe, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { defineStoreContract } from './contract.js';
import { makeMongoStore } from './mongo.js';

/** How long mongodb-memory-server may take to start a local mongod before we give up. */
const MEMORY_SERVER_START_MS = 15_000;
const DB = 'gotify_test';

async function startMongo(): Promise<{ uri: string; stop(): Promise<void> } | { skip: string }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => {} };
  process.env.MONGOMS_RUNTIME_DOWNLOAD ??= 'false';
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    let timer: NodeJS.Timeout | undefined;
    const server = await Promise.race([
      MongoMemoryServer.create(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no mongod within ${MEMORY_SERVER_START_MS} ms`)),
          MEMORY_SERVER_START_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return { uri: server.getUri(), stop: async () => void (await server.stop()) };
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return { skip: `no MONGODB_URI and mongodb-memory-server cannot start mongod (${reason})` };
  }
}

const mongo = await startMongo();

if ('skip' in mongo) {
  console.warn(`MongoDB store contract SKIPPED: ${mongo.skip}`);
  describe.skip(`ShardStore contract: MongoDB — SKIPPED: ${mongo.skip}`, () => {
    test('contract (needs MONGODB_URI or a local mongod)', () => {});
  });
} else {
  const prefixes: string[] = [];
  afterAll(async () => {
    const client = await MongoClient.connect(mongo.uri);
    try {
      const db = client.db(DB);
      for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
        if (prefixes.some((p) => c.name.startsWith(p))) await db.dropCollection(c.name);
      }
    } finally {
      await client.close();
    }
    await mongo.stop();
  });
  defineStoreContract('MongoDB', () => {
    const collectionPrefix = `t${randomBytes(6).toString('hex')}.`;
    prefixes.push(collectionPrefix);
    return { open: () => makeMongoStore({ uri: mongo.uri, dbName: DB, collectionPrefix }) };
  });
}
