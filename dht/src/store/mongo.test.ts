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
import { startTestMongo as startMongo } from './test-mongo.js';

/** Database the contract suite writes into (dropped afterwards). */
const DB = 'gotify_test';

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
