import { compareDistance, keyOf, randomId, sha256, toHex } from '../id.js';
import { makeTestCluster, type TestCluster } from '../sim/cluster.js';
import { makeMemoryStore } from '../store/memory.js';
import { makeSqliteStore } from '../store/sqlite.js';
import { makeMemoryNetwork } from '../transport/memory.js';
import { QuorumError, makeKademliaNode } from './index.js';
import { HANDOVER_DEBOUNCE_MS } from './options.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

describe('kademlia node on the memory network', () => {
  let c: TestCluster;
  beforeAll(async () => {
    // A loaded CI machine: an RPC that times out puts its node in backoff, and a lookup then skips
    // it, so findNode's exact k closest would miss it. No test here waits on a timeout.
    c = await makeTestCluster(30, { k: 8, timers: { rpcTimeout: 2_000 } });
  });
  afterAll(() => c.stop());

  test('findNode returns the true k closest nodes', async () => {
    for (let i = 0; i < 5; i++) {
      const target = randomId();
      const from = c.nodes[i * 5]!;
      const res = await from.lookup(target); // findNode's lookup, with what it asked
      const truth = c.nodes.filter((n) => n !== from).sort((a, b) => compareDistance(target, a.id, b.id));
      const want = truth.slice(0, 8).map((n) => toHex(n.id));
      const got = res.closest.map((x) => toHex(x.id));
      // This failed about once in a dozen runs of the dht and subgraphs suites on a loaded machine
      // (never in 350 lookups outside jest) while RPCs had 200 ms: on a miss, say why, so a next
      // failure names its cause.
      const why = want
        .filter((h) => !got.includes(h))
        .map((h) => {
          const knownBy = res.answered.filter((a) =>
            c.nodes
              .find((n) => toHex(n.id) === toHex(a.id))
              ?.contacts()
              .some((x) => toHex(x.id) === h),
          ).length;
          return `${h.slice(0, 8)} (rank ${want.indexOf(h)}): known to ${knownBy} of the ${res.answered.length} nodes that answered, ${res.rpcs} RPCs, ${c.net.stats().timeouts} RPC timeouts so far`;
        });
      expect({ got, why }).toEqual({ got: want, why: [] });
    }
  });

  test('blobs: put on one node, verified get on another', async () => {
    const bytes = enc('chunk of a song');
    const res = await c.nodes[3]!.putBlob(bytes);
    expect(toHex(res.key)).toBe(toHex(sha256(bytes)));
    expect(res.acks).toBeGreaterThanOrEqual(2);
    expect(dec(await c.nodes[17]!.getBlob(res.key))).toBe('chunk of a song');
    expect(await c.nodes[17]!.getBlob(sha256('absent'))).toBeUndefined();
  });

  test('records: later writes win, tombstones delete, every node reads the same', async () => {
    const key = keyOf('test', 'record');
    await c.nodes[1]!.putRecord(key, enc('v1'));
    await c.nodes[2]!.putRecord(key, enc('v2'));
    expect(dec((await c.nodes[9]!.getRecord(key))?.bytes)).toBe('v2');
    await c.nodes[4]!.putRecord(key, enc(''), { deleted: true });
    const r = await c.nodes[20]!.getRecord(key);
    expect(r?.deleted).toBe(true);
  });

  test('concurrent record writes converge to one winner on every reader', async () => {
    const key = keyOf('test', 'concurrent');
    await Promise.all(c.nodes.slice(0, 6).map((n, i) => n.putRecord(key, enc(`w${i}`))));
    const reads = await Promise.all(c.nodes.slice(10, 20).map((n) => n.getRecord(key)));
    const values = new Set(reads.map((x) => dec(x?.bytes)));
    expect(values.size).toBe(1);
    expect([...values][0]).toMatch(/^w[0-5]$/);
  });

  test('sets: adds from many nodes merge, removes win over the adds they saw', async () => {
    const key = keyOf('test', 'set');
    await Promise.all(c.nodes.slice(0, 5).map((n, i) => n.addToSet(key, [`m${i}`, 'shared'])));
    expect(await c.nodes[25]!.getSet(key)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'shared']);
    await c.nodes[7]!.removeFromSet(key, ['shared', 'm0']);
    expect(await c.nodes[26]!.getSet(key)).toEqual(['m1', 'm2', 'm3', 'm4']);
    await c.nodes[8]!.addToSet(key, ['m0']);
    expect(await c.nodes[27]!.getSet(key)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  test('addToSetMany batches keys per node and every key is readable', async () => {
    const ops = Array.from({ length: 60 }, (_, i) => ({
      key: keyOf('idx', `t${i}`),
      members: [`song-${i}`],
    }));
    await c.nodes[11]!.addToSetMany(ops);
    for (const i of [0, 17, 59])
      expect(await c.nodes[12]!.getSet(keyOf('idx', `t${i}`))).toEqual([`song-${i}`]);
  });

  test('a put below its write quorum fails with QuorumError naming the key', async () => {
    const err = await c.nodes[5]!.putBlob(enc('needs 40 acks'), { policy: { r: 40, w: 40 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QuorumError);
    expect((err as QuorumError).keys).toEqual([toHex(sha256(enc('needs 40 acks')))]);
    expect((err as QuorumError).acks).toBeLessThan(40);
  });

  test('application RPCs: registered method answers, unknown method is an error', async () => {
    c.nodes[2]!.handleApp('echo', async (p, from) => ({ echoed: p.x, from: from.address }));
    const target = { id: c.nodes[2]!.id, address: c.nodes[2]!.address };
    expect(await c.nodes[6]!.callApp(target, 'echo', { x: 42 })).toEqual({
      echoed: 42,
      from: c.nodes[6]!.address,
    });
    await expect(c.nodes[6]!.callApp(target, 'nope', {})).rejects.toThrow(/no application method/);
    expect(() => c.nodes[2]!.handleApp('STORE', async () => ({}))).toThrow(/reserved/);
  });

  test('garbage payloads get an error reply, never a crash', async () => {
    const probe = c.net.makeTransport('probe');
    const to = c.nodes[0]!.address;
    for (const junk of [
      {},
      { t: 'PING' },
      { t: 'PING', rpc: 'x', from: { id: 'zz', addr: 'a' } },
      { t: 'NOPE', rpc: 'x', from: { id: toHex(randomId()), addr: 'p' } },
      { t: 'STORE', rpc: 'x', from: { id: toHex(randomId()), addr: 'p' }, items: 'no' },
      { t: 'FIND_NODE', rpc: 'y', from: { id: toHex(randomId()), addr: 'p' }, target: 7 },
    ]) {
      const res = await probe.request(to, junk as Record<string, unknown>, 500);
      expect(res.t).toBe('ERR');
    }
    await probe.close();
    expect((await c.nodes[0]!.status()).phase).toBe('serving');
  });

  test('onLocalChange fires for merges into the local shard', async () => {
    const changes: string[] = [];
    const offs = c.nodes.map((n) =>
      n.onLocalChange((ch) => changes.push(`${ch.type}:${toHex(ch.entry.key)}`)),
    );
    const key = keyOf('test', 'watch');
    await c.nodes[0]!.addToSet(key, ['a']);
    offs.forEach((off) => off());
    expect(changes.filter((x) => x === `put:${toHex(key)}`).length).toBeGreaterThanOrEqual(2);
  });

  test('status reports buckets, keys and bytes', async () => {
    const s = await c.nodes[0]!.status();
    expect(s.contacts).toBeGreaterThan(5);
    expect(s.buckets.reduce((a, b) => a + b.contacts, 0)).toBe(s.contacts);
    expect(s.keys).toBeGreaterThanOrEqual(0);
  });
});

describe('node lifecycle and timers', () => {
  test('values expire after tExpire unless refreshed; tExpire must exceed tRepublish', async () => {
    expect(() =>
      makeKademliaNode({
        transport: makeMemoryNetwork().makeTransport(),
        store: makeMemoryStore(),
        timers: { tExpire: 10, tRepublish: 20 },
      }),
    ).toThrow(/tExpire/);
    const c = await makeTestCluster(4, {
      timers: { tExpire: 300, tRepublish: 200, tReplicate: 250, rpcTimeout: 200 },
    });
    try {
      const key = keyOf('test', 'expiring');
      // Once every node stops, nothing republishes or re-replicates: the entry must lapse.
      const publisher = c.nodes[0]!;
      await publisher.putRecord(key, enc('x'), { policy: { r: 1, w: 1 } });
      const holder = (
        await Promise.all(c.nodes.map(async (n) => ((await n.getLocal(key)) ? n : undefined)))
      ).find((n) => n && n !== publisher);
      const anyHolder = holder ?? publisher;
      expect(await anyHolder.getLocal(key)).toBeDefined();
      await Promise.all(c.nodes.map((n) => n.stop()));
      await new Promise((r) => setTimeout(r, 350));
      expect(await anyHolder.getLocal(key)).toBeUndefined();
    } finally {
      await c.stop();
    }
  });

  test('a small network re-seeds every watchdog turn but says so at info only when its figures change', async () => {
    const lines: { level: string; msg: string }[] = [];
    const logAs =
      (level: string) =>
      (...args: unknown[]): void => {
        lines.push({ level, msg: String(args.find((a) => typeof a === 'string')) });
      };
    const logger = { info: logAs('info'), debug: logAs('debug'), warn: logAs('warn'), error: logAs('error') };
    const c = await makeTestCluster(3, { logger, timers: { rpcTimeout: 200 } });
    try {
      const n = c.nodes[2]!;
      lines.length = 0;
      for (let i = 0; i < 3; i++) await n.maintain('watchdog');
      const reseeds = lines.filter((l) => l.msg === 'dht: low peers, re-seeded');
      expect(reseeds.map((l) => l.level)).toEqual(['info', 'debug', 'debug']);
    } finally {
      await c.stop();
    }
  });

  test("a re-replication counts as the receivers' own: they skip the key next time (paper, section 2.5)", async () => {
    const policy = { r: 3, w: 2 };
    const c = await makeTestCluster(3, {
      replication: { blob: policy, record: policy, set: policy },
      timers: { rpcTimeout: 200 },
    });
    try {
      const key = keyOf('test', 'replicated');
      await c.nodes[0]!.putRecord(key, enc('x'));
      await c.nodes[0]!.addToSet(keyOf('test', 'replicated-set'), ['a']);
      const created = await Promise.all(c.nodes.map(async (n) => (await n.getLocal(key))!.replicatedAt));
      for (const at of created) expect(at).toBeGreaterThan(0); // a new entry counts as replicated
      await new Promise((r) => setTimeout(r, 20));
      const before = Date.now();
      await c.nodes[1]!.maintain('replicate');
      for (const n of c.nodes) {
        expect((await n.getLocal(key))!.replicatedAt).toBeGreaterThanOrEqual(before);
        expect((await n.getLocal(keyOf('test', 'replicated-set')))!.replicatedAt).toBeGreaterThanOrEqual(
          before,
        );
      }
      const v = (await c.nodes[2]!.getLocal(key))!.value; // the mark left the value as it was
      expect(v.kind === 'record' && dec(v.bytes)).toBe('x');
    } finally {
      await c.stop();
    }
  });

  test('re-replication asks digests first: only what a replica lacks or holds differently is read and travels', async () => {
    const net = makeMemoryNetwork();
    // SQLite: the store that reads a set's rows and an entry's metadata without its value.
    const stores = [0, 1, 2].map(() => makeSqliteStore({ file: ':memory:' }));
    /** Hex keys whose whole value a store read, per store. */
    const reads: string[][] = stores.map((store) => {
      const seen: string[] = [];
      const get = store.get.bind(store);
      store.get = (key) => {
        seen.push(toHex(key));
        return get(key);
      };
      return seen;
    });
    const sent: string[] = [];
    const policy = { r: 3, w: 2 };
    const nodes = stores.map((store, i) =>
      makeKademliaNode({
        transport: net.makeTransport(`rep${i}`),
        store,
        bootstrap: i === 0 ? [] : ['rep0'],
        replication: { blob: policy, record: policy, set: policy },
        timers: { rpcTimeout: 2_000 }, // a loaded CI machine: a timed-out digest ask would send the value
        metrics: i === 0 ? { rpcSent: (type) => void sent.push(type) } : undefined,
      }),
    );
    try {
      for (const n of nodes) await n.start();
      const record = keyOf('test', 'rep-record');
      const set = keyOf('test', 'rep-set');
      await nodes[0]!.putRecord(record, enc('r'));
      await nodes[0]!.addToSet(set, ['a', 'b']);
      const blob = (await nodes[0]!.putBlob(enc('chunk'))).key;
      // The start-up hand-overs (HANDOVER_DEBOUNCE_MS after a node meets the others) run first: one
      // racing the passes below sent what a replica had just lost.
      await new Promise((r) => setTimeout(r, 5 * HANDOVER_DEBOUNCE_MS));
      // Every replica holds all three as they are: digests only, no value sent, and each
      // replica's copy is refreshed as a STORE would (expiry, replicatedAt).
      const expiresBefore = (await stores[1]!.get(set))!.expiresAt;
      await new Promise((r) => setTimeout(r, 5));
      sent.length = 0;
      for (const r of reads) r.length = 0;
      await nodes[0]!.maintain('replicate');
      expect(sent.filter((t) => t === 'STORE')).toEqual([]);
      // Neither the sender nor a replica read the blob or the set to compare them.
      for (const r of reads) expect(r.filter((k) => k === toHex(blob) || k === toHex(set))).toEqual([]);
      expect((await stores[1]!.get(set))!.expiresAt).toBeGreaterThan(expiresBefore);
      expect(sent.filter((t) => t === 'FIND_VALUES').length).toBeGreaterThanOrEqual(2);
      // One replica loses the record, another the blob: each gets back just that.
      await stores[1]!.delete(record);
      await stores[2]!.delete(blob);
      sent.length = 0;
      for (const r of reads) r.length = 0;
      await nodes[0]!.maintain('replicate');
      expect(sent.filter((t) => t === 'STORE')).toEqual(['STORE', 'STORE']);
      expect(reads[0]!.filter((k) => k === toHex(blob))).toEqual([toHex(blob)]); // read once, to send it
      expect(reads[0]!.filter((k) => k === toHex(set))).toEqual([]);
      expect((await stores[1]!.get(record))?.value).toMatchObject({ kind: 'record' });
      expect((await stores[2]!.get(blob))?.value).toMatchObject({ kind: 'blob' });
      expect(await nodes[2]!.getSet(set)).toEqual(['a', 'b']);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });

  test('hand-over asks digests first: a node back under a new id with its old data gets only what it lacks', async () => {
    const net = makeMemoryNetwork();
    // r = 4: the new node is among the r closest of every key, whatever the random ids (the dead
    // node still counts in the others' tables).
    const policy = { r: 4, w: 2 };
    const sent: string[] = [];
    /** Keys (hex) of the STORE items the node at ho3 received. */
    const received: string[] = [];
    const transportOf = (addr: string) => {
      const t = net.makeTransport(addr);
      if (addr !== 'ho3') return t;
      const listen = t.listen.bind(t);
      t.listen = (h) =>
        listen((payload, from) => {
          if (payload.t === 'STORE')
            for (const it of payload.items as { key: string }[]) received.push(it.key);
          return h(payload, from);
        });
      return t;
    };
    const mk = (addr: string, store = makeMemoryStore(), counted = false) =>
      makeKademliaNode({
        transport: transportOf(addr),
        store,
        bootstrap: addr === 'ho0' ? [] : ['ho0'],
        replication: { blob: policy, record: policy, set: policy },
        timers: { rpcTimeout: 2_000 }, // a loaded CI machine: a timed-out digest ask would send the value
        metrics: counted ? { rpcSent: (type) => void sent.push(type) } : undefined,
      });
    const kept = makeMemoryStore();
    const close = kept.close;
    kept.close = async () => {}; // its data outlives the first node that used it
    const nodes = [mk('ho0', undefined, true), mk('ho1', undefined, true), mk('ho2', kept)];
    try {
      for (const n of nodes) await n.start();
      const record = keyOf('test', 'ho-record');
      await nodes[0]!.putRecord(record, enc('r'));
      await nodes[0]!.addToSet(keyOf('test', 'ho-set'), ['a']);
      const blob = (await nodes[0]!.putBlob(enc('ho chunk'))).key;
      await nodes[2]!.stop();
      await kept.delete(record); // the one thing it lost while away
      sent.length = 0;
      // Same data, new id and address: the others see a new node among the r closest of every key.
      nodes[2] = mk('ho3', kept);
      await nodes[2].start();
      const until = Date.now() + 3_000;
      while (!(await kept.get(record)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300)); // both senders' hand-overs are done
      expect((await kept.get(record))?.value).toMatchObject({ kind: 'record' });
      expect((await kept.get(blob))?.value).toMatchObject({ kind: 'blob' });
      // The record travelled (once per sender at most); the blob and the set, held as they are, did not.
      expect(sent.filter((t) => t === 'FIND_VALUES').length).toBeGreaterThanOrEqual(2);
      expect(received.length).toBeGreaterThanOrEqual(1);
      expect(new Set(received)).toEqual(new Set([toHex(record)]));
    } finally {
      kept.close = close;
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });

  test('a restarted node rejoins from persisted contacts without bootstrap', async () => {
    const net = makeMemoryNetwork();
    const mk = (addr: string, store = makeMemoryStore(), bootstrap: string[] = []) =>
      makeKademliaNode({ transport: net.makeTransport(addr), store, bootstrap, timers: { rpcTimeout: 200 } });
    const a = mk('a');
    await a.start();
    const others = [mk('b', undefined, ['a']), mk('c', undefined, ['a'])];
    for (const o of others) await o.start();
    const store = makeMemoryStore();
    const close = store.close;
    store.close = async () => {}; // keep the in-memory contacts across the restart
    const d = mk('d', store, ['a']);
    await d.start();
    await d.stop();
    store.close = close;
    const d2 = makeKademliaNode({
      id: d.id,
      transport: net.makeTransport('d'),
      store,
      timers: { rpcTimeout: 200 },
    });
    await d2.start();
    expect(d2.contacts().length).toBeGreaterThanOrEqual(3);
    await Promise.all([a, ...others, d2].map((n) => n.stop()));
  });

  test('after a whole-cluster restart, one node at a time, nodes hand nothing over to members they knew', async () => {
    const net = makeMemoryNetwork();
    const stores = [makeMemoryStore(), makeMemoryStore(), makeMemoryStore()];
    for (const s of stores) s.close = async () => {}; // keep entries and contacts across the restart
    const sent: string[] = [];
    const mk = (i: number, id?: Uint8Array) =>
      makeKademliaNode({
        id,
        transport: net.makeTransport(`n${i}`),
        store: stores[i]!,
        bootstrap: i === 0 ? [] : ['n0'],
        timers: { rpcTimeout: 200 },
        metrics: id ? { rpcSent: (type) => void sent.push(type) } : undefined,
      });
    const first = [0, 1, 2].map((i) => mk(i));
    for (const n of first) await n.start();
    const keys = Array.from({ length: 20 }, (_, i) => keyOf('test', `restart-${i}`));
    await Promise.all(keys.map((k) => first[0]!.putRecord(k, enc('v'))));
    for (const n of first) await n.stop();
    // n0 comes back alone (its pings fail), then n1 and n2 join it: each is new to n0's table.
    const again = [];
    for (const [i, n] of first.entries()) {
      const x = mk(i, n.id);
      await x.start();
      again.push(x);
    }
    await new Promise((r) => setTimeout(r, 400));
    expect(sent.filter((t) => t === 'STORE')).toEqual([]);
    for (const x of again) expect(dec((await x.getRecord(keys[0]!))?.bytes)).toBe('v');
    await Promise.all(again.map((x) => x.stop()));
  });
});
