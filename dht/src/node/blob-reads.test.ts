/**
 * Blob reads transfer one copy: holders are probed, the bytes fetched from one holder at a time,
 * and a holder with wrong bytes is skipped (and counted) in favour of the next one.
 */
import { compareDistance, sha256 } from '../id.js';
import { makeMemoryStore } from '../store/memory.js';
import { makeMemoryNetwork } from '../transport/memory.js';
import type { Payload, ShardStore, Transport } from '../types.js';
import { makeKademliaNode, type KademliaNodeInternal } from './index.js';

const N = 20;
const POLICY = { r: 6, w: 3 };
const net = makeMemoryNetwork();
const nodes: { node: KademliaNodeInternal; store: ShardStore }[] = [];
let valueReplies = 0;
let corrupt = 0;
let reader: KademliaNodeInternal;

/** The reader's real memory transport, counting FIND_VALUE replies that carry a value. */
function counting(inner: Transport): Transport {
  return {
    get address() {
      return inner.address;
    },
    async request(to: string, p: Payload, timeoutMs: number) {
      const res = await inner.request(to, p, timeoutMs);
      if (p.t === 'FIND_VALUE' && res.value !== undefined) valueReplies++;
      return res;
    },
    listen: (h) => inner.listen(h),
    close: () => inner.close(),
  };
}

/** The reader is a full node: when its id lands among a key's r closest it holds a copy itself. */
const readerStore = makeMemoryStore();

/** Waits until r nodes hold `key` (putBlob resolves at W acks), then drops the reader's own copy. */
async function settle(key: Uint8Array): Promise<typeof nodes> {
  let holders: typeof nodes = [];
  for (let tries = 0; tries < 100; tries++) {
    holders = [];
    for (const n of nodes) if (await n.store.get(key)) holders.push(n);
    const readerHolds = (await readerStore.get(key)) !== undefined;
    if (holders.length + (readerHolds ? 1 : 0) >= POLICY.r) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await readerStore.delete(key); // so the read below must go to the network
  return holders;
}

beforeAll(async () => {
  for (let i = 0; i < N; i++) {
    const store = makeMemoryStore();
    const node = makeKademliaNode({
      transport: net.makeTransport(`n${i}`),
      store,
      bootstrap: i ? ['n0'] : [],
      k: 8,
      replication: { blob: POLICY },
      timers: { rpcTimeout: 200 },
    });
    await node.start();
    nodes.push({ node, store });
  }
  reader = makeKademliaNode({
    transport: counting(net.makeTransport('reader')),
    store: readerStore,
    bootstrap: ['n0'],
    k: 8,
    timers: { rpcTimeout: 200 },
    metrics: { corruptReplica: () => corrupt++ },
  });
  await reader.start();
});
afterAll(() => Promise.all([reader.stop(), ...nodes.map((n) => n.node.stop())]));

test('a blob read transfers exactly one copy although six nodes hold it', async () => {
  const bytes = new Uint8Array(64 * 1024).fill(7);
  const { acks } = await nodes[5]!.node.putBlob(bytes);
  expect(acks).toBeGreaterThanOrEqual(POLICY.w);
  await settle(sha256(bytes));
  valueReplies = 0;
  const got = await reader.getBlob(sha256(bytes));
  expect(got && Buffer.from(got).equals(bytes)).toBe(true);
  expect(valueReplies).toBe(1);
});

test('holders with wrong bytes are skipped and counted; the next holder serves the blob', async () => {
  const bytes = new Uint8Array(32 * 1024).fill(9);
  const key = sha256(bytes);
  await nodes[11]!.node.putBlob(bytes);
  const holders = await settle(key);
  holders.sort((a, b) => compareDistance(key, a.node.id, b.node.id));
  expect(holders.length).toBeGreaterThanOrEqual(POLICY.r - 1); // the reader may be the r-th holder
  const good = await Promise.all(holders.map(async (h) => (await h.store.get(key))!));
  const corruptCopy = (i: number) =>
    holders[i]!.store.put({
      ...good[i]!,
      value: { kind: 'blob', bytes: new Uint8Array(bytes.length).fill(1) },
    });

  // Every copy lies: nothing is returned, and every copy fetched was checked and counted.
  await Promise.all(holders.map((_, i) => corruptCopy(i)));
  corrupt = 0;
  valueReplies = 0;
  expect(await reader.getBlob(key)).toBeUndefined();
  expect(corrupt).toBeGreaterThanOrEqual(1);
  expect(valueReplies).toBe(corrupt);

  // One honest copy back, on a replica that is not the closest (a publisher outside the r closest
  // is never asked): the read skips the liars it meets first and returns it.
  const honest = Math.min(holders.length - 1, POLICY.r - 2);
  await holders[honest]!.store.put(good[honest]!);
  corrupt = 0;
  valueReplies = 0;
  const got = await reader.getBlob(key);
  expect(got && Buffer.from(got).equals(bytes)).toBe(true);
  expect(valueReplies).toBe(corrupt + 1); // one good copy, plus each bad one tried before it
});
