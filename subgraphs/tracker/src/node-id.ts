/**
 * The tracker's persistent identity: a random 256-bit id written once to `<dataDir>/node-id`, so a
 * restarted tracker keeps its place in the keyspace. Does not persist data (the shard store does).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromHex, randomId, toHex, type Id } from '@gotify/dht';

/** File name of the persisted id inside the data directory. */
export const NODE_ID_FILE = 'node-id';

export async function loadOrCreateNodeId(dataDir: string): Promise<Id> {
  const file = join(dataDir, NODE_ID_FILE);
  try {
    const id = fromHex((await readFile(file, 'utf8')).trim());
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
