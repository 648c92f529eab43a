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

const dir = mkdtempSync(join(tmpdir(), 'gotify-peer-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
definePeerContract('SQLite', async () => makeSqliteStore({ file: join(dir, 'shard.sqlite') }));

/** How long mongodb-memory-server may take to start a local mongod before we give up. */
const MEMORY_SERVER_START_MS = 15_000;

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
