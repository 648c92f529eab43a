/**
 * Large hand-overs over the real TCP transport: a node holding 40 × 256 KiB blobs (10 MiB, more
 * than two 4 MiB frames) hands them over to a newly joined closer node and re-replicates them to
 * another, so STORE batches must be split by bytes, not only by item count.
 */
import { afterAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { ReplicationPolicy } from './api.js';
import { makeKademliaNode, type KademliaNodeInternal } from './node/index.js';
import { makeMemoryStore } from './store/memory.js';
import { makeTcpTransport } from './transport/tcp.js';
import type { Id } from './types.js';

const BLOBS = 40;
const BLOB_BYTES = 256 * 1024;
const nodes: KademliaNodeInternal[] = [];

async function start(bootstrap: string[], policy: ReplicationPolicy): Promise<KademliaNodeInternal> {
  const node = makeKademliaNode({
    transport: await makeTcpTransport({ clusterKey: 'tcp-handover-test' }),
    store: makeMemoryStore(),
    bootstrap,
    replication: { blob: policy },
    timers: { rpcTimeout: 10_000 },
  });
  await node.start();
  nodes.push(node);
  return node;
}

async function holds(node: KademliaNodeInternal, keys: Id[]): Promise<number> {
  let n = 0;
  for (const k of keys) if ((await node.getLocal(k))?.value.kind === 'blob') n++;
  return n;
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check()) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
});

test('40 × 256 KiB blobs are handed over and re-replicated to new nodes over TCP', async () => {
  // r = 3 with one node: every blob lives on the publisher alone (W = 1) until others join.
  const policy: ReplicationPolicy = { r: 3, w: 1 };
  const a = await start([], policy);
  const keys: Id[] = [];
  for (let i = 0; i < BLOBS; i++) keys.push((await a.putBlob(new Uint8Array(randomBytes(BLOB_BYTES)))).key);
  expect(await holds(a, keys)).toBe(BLOBS);

  // Hand-over: b joins, is among the r closest of every key, and receives them all.
  const b = await start([a.address], policy);
  await waitFor(async () => (await holds(b, keys)) === BLOBS, 15_000);
  expect(await holds(b, keys)).toBe(BLOBS);

  // Re-replication: c joins; a round on a pushes every key to it (hand-over may race; both must work).
  const c = await start([a.address], policy);
  await a.maintain('replicate');
  await waitFor(async () => (await holds(c, keys)) === BLOBS, 15_000);
  expect(await holds(c, keys)).toBe(BLOBS);
  // The bytes arrived intact: c serves a blob from its own shard.
  expect((await c.getBlob(keys[7]!))?.byteLength).toBe(BLOB_BYTES);
}, 60_000);
