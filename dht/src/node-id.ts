/**
 * The node's persistent identity: a random 256-bit id written once to `<dataDir>/node-id` (hex),
 * so a restarted node (peer or tracker) keeps its place in the keyspace and the keys it is responsible for.
 *
 * Does not: persist contacts or data (the shard store does).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromHex, randomId, toHex } from './id.js';
import type { Id } from './types.js';

/** File name of the persisted id inside the data directory. */
export const NODE_ID_FILE = 'node-id';

/** Reads `<dataDir>/node-id`, creating it (and `dataDir`) with a random id when missing. */
export async function loadOrCreateNodeId(dataDir: string): Promise<Id> {
  const file = join(dataDir, NODE_ID_FILE);
  try {
    const hex = (await readFile(file, 'utf8')).trim();
    const id = fromHex(hex);
    if (id.length !== 32) throw new Error(`${file} does not hold a 32-byte hex id`);
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const id = randomId();
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${toHex(id)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return id;
}
