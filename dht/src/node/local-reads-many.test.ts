/**
 * Batched local-first set reads (getSetMany / FIND_VALUES) on three real nodes of a memory
 * network: equal copies answer `same`, differences are merged and repaired both ways, failing or
 * lying replicas are routed around, big replies split by the byte budget, garbage requests get ERR.
 */
import { jest } from '@jest/globals';
import { compareDistance, keyOf, randomId, toHex } from '../id.js';
import { makeMemoryStore } from '../store/memory.js';
import { encodeMessage } from '../transport/codec.js';
import { MAX_FRAME_BYTES } from '../transport/frame.js';
import { makeMemoryNetwork, type MemoryNetwork } from '../transport/memory.js';
import type { Id, Payload, SetValue, ShardStore, Transport } from '../types.js';
import { packFindValues } from './find-values.js';
import { makeKademliaNode, type KademliaNodeInternal } from './index.js';
import { setDigest } from './local-reads.js';
import { MAX_FIND_VALUES_KEYS, MAX_FIND_VALUES_REPLY_BYTES, SMALL_NET_TRUST_MS } from './options.js';

interface Traffic {
  findNode: number;
  findValues: number;
  findValue: number;
  /** Values carried by FIND_VALUES replies, `same` answers, largest encoded reply. */
  values: number;
  same: number;
  maxReplyBytes: number;
  /** FIND_VALUES requests per destination address. */
  to: Map<string, number>;
}

/** The reader's real memory transport, counting what its reads send and receive. */
function counting(inner: Transport, t: Traffic): Transport {
  return {
    get address() {
      return inner.address;
    },
    async request(to: string, p: Payload, timeoutMs: number) {
      if (p.t === 'FIND_VALUE') t.findValue++;
      if (p.t === 'FIND_NODE') t.findNode++;
      if (p.t !== 'FIND_VALUES') return inner.request(to, p, timeoutMs);
      t.findValues++;
      t.to.set(to, (t.to.get(to) ?? 0) + 1);
      const res = await inner.request(to, p, timeoutMs);
      const bytes = encodeMessage({ t: 'res', id: 1, p: res }).byteLength;
      t.maxReplyBytes = Math.max(t.maxReplyBytes, bytes);
      for (const a of Array.isArray(res.answers) ? (res.answers as Payload[]) : []) {
        if (a.value !== undefined) t.values++;
        if (a.same === true) t.same++;
      }
      return res;
    },
    listen: (h) => inner.listen(h),
    close: () => inner.close(),
  };
}

/** A transport whose FIND_VALUES answers are replaced by `garble` (other RPCs pass through). */
function lying(inner: Transport, garble: (honest: Payload) => Payload): Transport {
  return {
    get address() {
      return inner.address;
    },
    request: (to, p, ms) => inner.request(to, p, ms),
    listen: (h) =>
      inner.listen(async (p, from) => {
        const res = await h(p, from);
        return p.t === 'FIND_VALUES' && res.t === 'OK' ? garble(res) : res;
      }),
    close: () => inner.close(),
  };
}

interface Cluster {
  net: MemoryNetwork;
  reader: KademliaNodeInternal;
  readerStore: ShardStore;
  /** The two other nodes (stores by address). */
  remotes: { node: KademliaNodeInternal; store: ShardStore; addr: string }[];
  traffic: Traffic;
  corrupt: () => number;
  stop(): Promise<void>;
}

async function cluster(garble?: (honest: Payload) => Payload): Promise<Cluster> {
  const net = makeMemoryNetwork();
  const traffic: Traffic = {
    findNode: 0,
    findValues: 0,
    findValue: 0,
    values: 0,
    same: 0,
    maxReplyBytes: 0,
    to: new Map(),
  };
  let corrupt = 0;
  const remotes: Cluster['remotes'] = [];
  for (const addr of ['a', 'b']) {
    const store = makeMemoryStore();
    const t = net.makeTransport(addr);
    const node = makeKademliaNode({
      transport: garble && addr === 'a' ? lying(t, garble) : t,
      store,
      bootstrap: remotes.map((r) => r.addr),
      timers: { rpcTimeout: 200 },
    });
    await node.start();
    remotes.push({ node, store, addr });
  }
  const readerStore = makeMemoryStore();
  const reader = makeKademliaNode({
    transport: counting(net.makeTransport('reader'), traffic),
    store: readerStore,
    bootstrap: ['a', 'b'],
    timers: { rpcTimeout: 200 },
    metrics: { corruptReplica: () => corrupt++ },
  });
  await reader.start();
  await reader.getSet(randomId()); // a lookup that learns nobody new: the network is known small
  traffic.findValue = 0;
  return {
    net,
    reader,
    readerStore,
    remotes,
    traffic,
    corrupt: () => corrupt,
    stop: () => Promise.all([reader, ...remotes.map((r) => r.node)].map((n) => n.stop())).then(() => {}),
  };
}

const stamp = (c: number) => ({ c, w: 'ab' });
const setOf = (members: Record<string, number>): SetValue => ({
  kind: 'set',
  members: Object.fromEntries(Object.entries(members).map(([m, c]) => [m, { add: stamp(c) }])),
});
const put = (store: ShardStore, key: Id, value: SetValue) =>
  store.put({ key, value, expiresAt: Date.now() + 3_600_000, publisher: false, replicatedAt: 0 });

/** Polls `check` until it holds (repairs are fire-and-forget). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met');
}

const members = async (store: ShardStore, key: Id): Promise<string[]> => {
  const v = (await store.get(key))?.value;
  return v?.kind === 'set' ? Object.keys(v.members).sort() : [];
};

/** Of the two remotes, the one the reader asks first for `key` (the closer one). */
const firstAsked = (c: Cluster, key: Id) =>
  [...c.remotes].sort((x, y) => compareDistance(key, x.node.id, y.node.id))[0]!;

test('equal copies answer `same`: one request per replica, no value sent', async () => {
  const c = await cluster();
  const keys = Array.from({ length: 40 }, (_, i) => keyOf('same', String(i)));
  for (const [i, key] of keys.entries())
    for (const s of [c.readerStore, ...c.remotes.map((r) => r.store)])
      await put(s, key, setOf({ [`m${i}`]: 1 }));
  const got = await c.reader.getSetMany([...keys, keys[0]!], { localFirst: true });
  expect(got).toEqual([...keys.map((_, i) => [`m${i}`]), ['m0']]);
  expect(c.traffic.findValues).toBeLessThanOrEqual(2); // one per remote replica asked
  expect(c.traffic.findValue).toBe(0);
  expect(c.traffic.same).toBe(40);
  expect(c.traffic.values).toBe(0);
  expect(await c.reader.getSetMany([], { localFirst: true })).toEqual([]);
  await c.stop();
});

test('a differing remote copy is merged, and both copies are repaired', async () => {
  const c = await cluster();
  const key = keyOf('diff', 'x');
  const absent = keyOf('diff', 'nowhere');
  await put(c.readerStore, key, setOf({ shared: 1, mine: 2 }));
  for (const r of c.remotes) await put(r.store, key, setOf({ shared: 1, theirs: 3 }));
  // A remove on the remotes, newer than the reader's add, wins in the merge.
  const removed: SetValue = { kind: 'set', members: { gone: { add: stamp(1), del: stamp(5) } } };
  const other = keyOf('diff', 'y');
  await put(c.readerStore, other, setOf({ gone: 1, kept: 1 }));
  for (const r of c.remotes) await put(r.store, other, { kind: 'set', members: { ...removed.members } });
  const got = await c.reader.getSetMany([key, absent, other], { localFirst: true });
  expect(got).toEqual([['mine', 'shared', 'theirs'], [], ['kept']]);
  expect(c.traffic.findValue).toBe(0);
  await eventually(async () => (await members(c.readerStore, key)).includes('theirs'));
  const asked = firstAsked(c, key);
  await eventually(async () => (await members(asked.store, key)).includes('mine'));
  await c.stop();
});

test('each key asks its nearer remote replica first, as a lookup would order them', async () => {
  const c = await cluster();
  const keys = Array.from({ length: 24 }, (_, i) => keyOf('order', String(i)));
  for (const key of keys) {
    await put(c.readerStore, key, setOf({ mine: 1 }));
    for (const r of c.remotes) await put(r.store, key, setOf({ theirs: 2 }));
  }
  expect(await c.reader.getSetMany(keys, { localFirst: true })).toEqual(keys.map(() => ['mine', 'theirs']));
  // R = 2: one remote is asked per key, and only the one asked is repaired with the reader's copy.
  const remotes = new Set(keys.map((k) => firstAsked(c, k)));
  expect(remotes.size).toBe(2); // the keys' nearer remotes differ: the order is per key
  for (const key of keys) {
    const [near, far] = [...c.remotes].sort((x, y) => compareDistance(key, x.node.id, y.node.id));
    await eventually(async () => (await members(near!.store, key)).includes('mine'));
    expect(await members(far!.store, key)).toEqual(['theirs']);
  }
  await c.stop();
});

test('a lapsed small-network trust is renewed by one lookup, not one per key', async () => {
  const c = await cluster();
  const keys = Array.from({ length: 30 }, (_, i) => keyOf('trust', String(i)));
  for (const key of keys)
    for (const s of [c.readerStore, ...c.remotes.map((r) => r.store)]) await put(s, key, setOf({ m: 1 }));
  const realNow = Date.now;
  const later = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + SMALL_NET_TRUST_MS + 1_000);
  try {
    c.traffic.findNode = 0;
    expect(await c.reader.getSetMany(keys, { localFirst: true })).toEqual(keys.map(() => ['m']));
    expect(c.traffic.findNode).toBeLessThanOrEqual(2); // one lookup: each remote asked once
    expect(c.traffic.findValue).toBe(0);
    expect(c.traffic.same).toBe(30);
  } finally {
    later.mockRestore();
    await c.stop();
  }
});

test('a dead replica is routed around: its keys are asked from the next replica', async () => {
  const c = await cluster();
  const keys = Array.from({ length: 10 }, (_, i) => keyOf('dead', String(i)));
  for (const key of keys) {
    await put(c.readerStore, key, setOf({ old: 1 }));
    for (const r of c.remotes) await put(r.store, key, setOf({ old: 1, fresh: 2 }));
  }
  c.net.kill('a');
  const got = await c.reader.getSetMany(keys, { localFirst: true });
  expect(got).toEqual(keys.map(() => ['fresh', 'old']));
  // One request per round: the keys b answers first, then the ones whose first replica died.
  expect(c.traffic.to.get('b')).toBeLessThanOrEqual(2);
  expect(c.traffic.findValue).toBe(0);
  await c.stop();
});

test.each([
  ['answers that are not an array', (h: Payload) => ({ ...h, answers: 'garbage' })],
  ['too few answers', (h: Payload) => ({ ...h, answers: [] })],
  [
    'an invalid value (counted)',
    (h: Payload) => ({ ...h, answers: [{ value: { kind: 'set', members: 5 } }] }),
  ],
  ['`same` for a key we hold no copy of', (h: Payload) => ({ ...h, answers: [{ same: true }] })],
  ['only `later`', (h: Payload) => ({ ...h, answers: [{ later: true }] })],
  ['an ERR (an older node)', (h: Payload) => ({ ...h, t: 'ERR', code: 'UNKNOWN_TYPE' })],
])('a replica sending %s is routed around', async (what, garble) => {
  const c = await cluster(garble);
  let key = keyOf('liar', '0'); // the reader holds no copy: a `same` answer is a lie
  for (let i = 1; firstAsked(c, key).addr !== 'a'; i++) key = keyOf('liar', String(i));
  for (const r of c.remotes) await put(r.store, key, setOf({ real: 1 }));
  expect(await c.reader.getSetMany([key], { localFirst: true })).toEqual([['real']]);
  expect(c.traffic.to.get('a')).toBe(1);
  expect(c.traffic.to.get('b')).toBe(1);
  expect(c.corrupt()).toBe(what.includes('counted') ? 1 : 0);
  await c.stop();
});

test('the byte budget: values in order until it is spent, the rest `later`, the first always sent', () => {
  const big = setOf(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`member-${i}`, i + 1])));
  const small = setOf({ x: 1 });
  const asks = [
    { key: 'k0' },
    { key: 'k1', digest: setDigest(small) },
    { key: 'k2' },
    { key: 'k3' },
    { key: 'k4' },
  ];
  const copies = [big, small, undefined, big, small];
  expect(packFindValues(asks, copies, 1)).toEqual([
    { value: big },
    { same: true },
    { none: true },
    { later: true },
    { later: true },
  ]);
  expect(packFindValues(asks, copies).map((a) => Object.keys(a)[0])).toEqual([
    'value',
    'same',
    'none',
    'value',
    'value',
  ]);
});

test('big sets split over several replies under the frame cap, and every key is read', async () => {
  const c = await cluster();
  // Four keys whose first-asked replica is the same remote, each ~1.2 MiB: over one reply's budget.
  const keys: Id[] = [];
  for (let i = 0; keys.length < 4; i++) {
    const k = keyOf('big', String(i));
    if (firstAsked(c, k).addr === 'a') keys.push(k);
  }
  const sets = keys.map((_, j) =>
    setOf(
      Object.fromEntries(Array.from({ length: 11_000 }, (_, i) => [toHex(keyOf(`s${j}`, String(i))), i + 1])),
    ),
  );
  for (const [j, key] of keys.entries()) for (const r of c.remotes) await put(r.store, key, sets[j]!);
  const got = await c.reader.getSetMany(keys, { localFirst: true });
  expect(got.map((m) => m.length)).toEqual([11_000, 11_000, 11_000, 11_000]);
  expect(c.traffic.to.get('a')).toBeGreaterThanOrEqual(2);
  expect(c.traffic.values).toBe(4);
  expect(c.traffic.maxReplyBytes).toBeLessThanOrEqual(MAX_FIND_VALUES_REPLY_BYTES + 64 * 1024);
  expect(c.traffic.maxReplyBytes).toBeLessThan(MAX_FRAME_BYTES);
  await c.stop();
}, 30_000);

test('garbage FIND_VALUES requests get an ERR reply and the node keeps serving', async () => {
  const c = await cluster();
  const probe = c.net.makeTransport('probe');
  const from = { id: randomId(), addr: 'probe' };
  const ask = (extra: Payload) =>
    probe.request('reader', { t: 'FIND_VALUES', rpc: 'r1', from, ...extra }, 500);
  const hex = toHex(keyOf('g', '1'));
  for (const keys of [
    undefined,
    'x',
    [null],
    [{ key: 'zz' }],
    [{ key: hex, digest: 5 }],
    [{ key: hex, digest: 'd'.repeat(100) }],
    Array.from({ length: MAX_FIND_VALUES_KEYS + 1 }, () => ({ key: hex })),
  ]) {
    const res = await ask({ keys });
    expect(res).toMatchObject({ t: 'ERR', code: 'BAD_REQUEST' });
  }
  expect(await ask({ keys: [{ key: hex }] })).toMatchObject({ t: 'OK', answers: [{ none: true }] });
  await probe.close();
  await c.stop();
});
