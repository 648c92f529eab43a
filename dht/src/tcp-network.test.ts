/**
 * A real 20-node Kademlia network over the TCP transport on 127.0.0.1 with SQLite shard stores:
 * join through one bootstrap node, store blobs, records and sets from many nodes (r = 6, W = 3),
 * find everything from everywhere, stop 5 nodes, find everything again from every survivor, and
 * restart a stopped node from its store file alone (persisted contacts, no bootstrap).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KademliaNode, ReplicationPolicy } from './api.js';
import { keyOf, sha256, toHex } from './id.js';
import { makeKademliaNode } from './node/index.js';
import { makeSqliteStore } from './store/sqlite.js';
import { makeTcpTransport } from './transport/tcp.js';
import type { Id } from './types.js';

const N = 20;
const KILLED = [3, 7, 11, 15, 19];
const CLUSTER_KEY = 'tcp-network-test';
const POLICY: ReplicationPolicy = { r: 6, w: 3 };
/**
 * Nodes checked at once. All 20 nodes share one process (and two cores with other work): checking
 * from every node at once starves the event loop past the RPC deadline, which a real deployment
 * (one process per node) never sees. Correctness, not throughput, is under test here.
 */
const CHECK_CONCURRENCY = 4;
const dir = mkdtempSync(join(tmpdir(), 'gotify-tcpnet-'));

interface Slot {
  id: Id;
  file: string;
  port: number;
  node: KademliaNode;
  alive: boolean;
}
const slots: Slot[] = [];

async function startNode(i: number, id: Id | undefined, bootstrap: string[], port = 0): Promise<Slot> {
  const transport = await makeTcpTransport({ clusterKey: CLUSTER_KEY, port });
  const file = join(dir, `node-${i}`, 'shard.sqlite');
  const node = makeKademliaNode({
    ...(id ? { id } : {}),
    transport,
    store: makeSqliteStore({ file }),
    bootstrap,
    replication: { blob: POLICY, record: POLICY, set: POLICY },
  });
  await node.start();
  return { id: node.id, file, port: Number(transport.address.split(':')[1]), node, alive: true };
}

const blobs: { key: Id; bytes: Uint8Array }[] = [];
const records: { key: Id; bytes: Uint8Array }[] = [];
const sets: { key: Id; members: string[] }[] = [];
const live = (): Slot[] => slots.filter((s) => s.alive);

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function expectAllFoundFrom(slot: Slot): Promise<void> {
  const where = `from node ${slots.indexOf(slot)}`;
  for (const b of blobs) {
    const got = await slot.node.getBlob(b.key);
    expect({
      where,
      key: toHex(b.key),
      found: got !== undefined && Buffer.from(got).equals(b.bytes),
    }).toEqual({ where, key: toHex(b.key), found: true });
  }
  for (const r of records) {
    const got = await slot.node.getRecord(r.key);
    expect({
      where,
      key: toHex(r.key),
      found: got !== undefined && Buffer.from(got.bytes).equals(r.bytes),
    }).toEqual({ where, key: toHex(r.key), found: true });
  }
  for (const s of sets) {
    expect({ where, members: (await slot.node.getSet(s.key)).sort() }).toEqual({
      where,
      members: [...s.members].sort(),
    });
  }
}

beforeAll(async () => {
  slots.push(await startNode(0, undefined, []));
  const boot = [slots[0]!.node.address];
  for (let i = 1; i < N; i++) slots.push(await startNode(i, undefined, boot));
}, 30_000);

afterAll(async () => {
  await Promise.all(live().map((s) => s.node.stop().catch(() => {})));
  rmSync(dir, { recursive: true, force: true });
});

describe('20 nodes over TCP with SQLite stores', () => {
  test('every node joined through the bootstrap node and knows many others', () => {
    for (const s of slots) expect(s.node.contacts().length).toBeGreaterThanOrEqual(5);
  });

  test('values stored from various nodes are found from every node', async () => {
    for (let i = 0; i < 6; i++) {
      const bytes = new Uint8Array(randomBytes(1_000 + i * 2_000));
      const res = await slots[(i * 3) % N]!.node.putBlob(bytes);
      expect(res.acks).toBeGreaterThanOrEqual(POLICY.w);
      expect(toHex(res.key)).toBe(toHex(sha256(bytes)));
      blobs.push({ key: res.key, bytes });
    }
    for (let i = 0; i < 4; i++) {
      const key = keyOf('test-record', `r${i}`);
      const writer = slots[(i * 5 + 1) % N]!.node;
      await writer.putRecord(key, new TextEncoder().encode(`first ${i}`), { policy: POLICY });
      const bytes = new TextEncoder().encode(JSON.stringify({ version: 2, i }));
      // a second writer overwrites: the later version must win everywhere
      const res = await slots[(i * 5 + 2) % N]!.node.putRecord(key, bytes);
      expect(res.acks).toBeGreaterThanOrEqual(POLICY.w);
      records.push({ key, bytes });
    }
    for (let i = 0; i < 3; i++) {
      const key = keyOf('test-set', `s${i}`);
      const members: string[] = [];
      for (let w = 0; w < 3; w++) {
        const m = [`song-${i}-${w}-a`, `song-${i}-${w}-b`];
        await slots[(i + w * 6) % N]!.node.addToSet(key, m);
        members.push(...m);
      }
      sets.push({ key, members });
    }
    await forEachLimited(slots, CHECK_CONCURRENCY, expectAllFoundFrom);
  }, 30_000);

  test('after stopping 5 nodes no value is lost: every survivor finds every value', async () => {
    expect(blobs.length).toBeGreaterThan(0);
    // The stopped nodes must have held replicas, or stopping them would prove nothing.
    let heldByKilled = 0;
    for (const { key } of [...blobs, ...records, ...sets]) {
      for (const i of KILLED) if (await slots[i]!.node.getLocal(key)) heldByKilled += 1;
    }
    expect(heldByKilled).toBeGreaterThan(0);
    for (const i of KILLED) {
      await slots[i]!.node.stop();
      slots[i]!.alive = false;
    }
    await forEachLimited(live(), CHECK_CONCURRENCY, expectAllFoundFrom);
  }, 30_000);

  test('a stopped node restarts from its store file alone and rejoins without bootstrap', async () => {
    const old = slots[KILLED[0]!]!;
    const restarted = await startNode(KILLED[0]!, old.id, [], old.port);
    slots[KILLED[0]!] = restarted;
    expect(toHex(restarted.node.id)).toBe(toHex(old.id));
    expect(restarted.node.contacts().length).toBeGreaterThanOrEqual(5);
    // It reaches the network through persisted contacts: it finds values it never held...
    await expectAllFoundFrom(restarted);
    // ...and the network reaches it: another node's lookup of its id returns it.
    const found = await slots[0]!.node.findNode(restarted.node.id);
    expect(found.map((c) => toHex(c.id))).toContain(toHex(restarted.node.id));
  }, 30_000);
});
