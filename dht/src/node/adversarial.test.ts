/** Replies from a lying peer: wrong blob bytes, or a reply for another key, are skipped and counted. */
import { randomId, sha256, toHex } from '../id.js';
import { makeMemoryStore } from '../store/memory.js';
import { makeMemoryNetwork } from '../transport/memory.js';
import type { Payload } from '../types.js';
import { makeKademliaNode } from './index.js';

test('a replica returning wrong bytes or another key is skipped and counted', async () => {
  const net = makeMemoryNetwork();
  let corrupt = 0;
  const bytes = new TextEncoder().encode('the real chunk');
  const key = sha256(bytes);
  // The honest holder is the farthest node from the key, so the liars are asked first (alpha 1).
  const honestStore = makeMemoryStore();
  await honestStore.put({
    key,
    value: { kind: 'blob', bytes },
    expiresAt: Date.now() + 60_000,
    publisher: true,
    replicatedAt: 0,
  });
  const honest = makeKademliaNode({
    id: key.map((b) => 255 - b),
    transport: net.makeTransport('honest'),
    store: honestStore,
    timers: { rpcTimeout: 200 },
  });
  const reader = makeKademliaNode({
    transport: net.makeTransport('reader'),
    store: makeMemoryStore(),
    bootstrap: ['honest'],
    alpha: 1,
    timers: { rpcTimeout: 200 },
    metrics: { corruptReplica: () => corrupt++ },
  });
  await honest.start();

  // Two liars: one serves wrong bytes for every key, the other answers for a different key.
  const liars = ['liar-bytes', 'liar-key'].map((addr) => {
    const t = net.makeTransport(addr);
    const id = randomId();
    t.listen(async (p: Payload) => {
      const base = { t: 'OK', rpc: p.rpc, from: { id, addr } };
      if (p.t !== 'FIND_VALUE') return { ...base, contacts: [], acks: [] };
      return addr === 'liar-bytes'
        ? {
            ...base,
            key: p.key,
            value: { kind: 'blob', bytes: new TextEncoder().encode('forged') },
            contacts: [],
          }
        : { ...base, key: toHex(randomId()), value: { kind: 'blob', bytes }, contacts: [] };
    });
    return { t, id, addr };
  });
  await reader.start();
  for (const l of liars) {
    // Introduce the liar: a PING from it puts it in the reader's table.
    await l.t.request('reader', { t: 'PING', rpc: 'r1', from: { id: l.id, addr: l.addr } }, 200);
  }
  expect(reader.contacts().length).toBe(3);
  const got = await reader.getBlob(key);
  expect(got && new TextDecoder().decode(got)).toBe('the real chunk');
  expect(corrupt).toBe(2);
  await Promise.all([honest.stop(), reader.stop(), ...liars.map((l) => l.t.close())]);
});
