/**
 * Runs the Peer subgraph contract against SQLite (always) and MongoDB (MONGODB_URI, or a local mongod
 * through mongodb-memory-server; otherwise a skipped suite that says why).
 */
import { afterAll, describe, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeMongoStore, makeSqliteStore } from '@gotify/dht';
import { definePeerContract } from './contract.js';
import { startTestMongo as startMongo } from '@gotify/dht';

const dir = mkdtempSync(join(tmpdir(), 'gotify-peer-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
definePeerContract('SQLite', async () => makeSqliteStore({ file: join(dir, 'shard.sqlite') }));

const mongo = await startMongo();
if ('skip' in mongo) {
  describe.skip(`Peer subgraph contract (MongoDB) — SKIPPED: ${mongo.skip}`, () => {
    test('contract (needs MONGODB_URI or a local mongod)', () => {});
  });
} else {
  afterAll(() => mongo.stop());
  definePeerContract('MongoDB', () =>
    makeMongoStore({
      uri: mongo.uri,
      dbName: 'gotify_test',
      collectionPrefix: `peer${randomBytes(6).toString('hex')}.`,
    }),
  );
}
