/**
 * Picks a node's shard store from the environment: MongoDB when `MONGODB_URI` is set (collections
 * prefixed with the node name, database from `MONGODB_DB`), otherwise SQLite at
 * `${dataDir}/shard.sqlite`.
 *
 * Does not: create `dataDir` policy or node names (the role launchers do).
 */
import { join } from 'node:path';
import type { ShardStore } from '../types.js';
import { makeMongoStore } from './mongo.js';
import { makeSqliteStore } from './sqlite.js';

export interface StoreFromEnvOptions {
  /** This node's data directory (e.g. `./data/<node-name>`). */
  dataDir: string;
  /** Node name, used as the MongoDB collection prefix so nodes can share a database. */
  nodeName: string;
  /** Environment to read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Which backend `makeStoreFromEnv` would pick, for logs and /healthz. */
export function storeKindFromEnv(env: NodeJS.ProcessEnv = process.env): 'mongodb' | 'sqlite' {
  return env.MONGODB_URI ? 'mongodb' : 'sqlite';
}

export async function makeStoreFromEnv(opts: StoreFromEnvOptions): Promise<ShardStore> {
  const env = opts.env ?? process.env;
  const uri = env.MONGODB_URI;
  if (uri) {
    const prefix = `${opts.nodeName.replace(/[^A-Za-z0-9_-]/g, '_')}.`;
    return makeMongoStore({ uri, dbName: env.MONGODB_DB || 'gotify', collectionPrefix: prefix });
  }
  return makeSqliteStore({ file: join(opts.dataDir, 'shard.sqlite') });
}
