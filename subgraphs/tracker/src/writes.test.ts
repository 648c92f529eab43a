/**
 * The vocabulary is written once per word across trackers: a tracker that finds a word in its own
 * `sym:` name in its replica skips it, and a writer puts that name last, after the word's deletion
 * and prefix names were acknowledged. Two real nodes on one memory network, both replicas of
 * every key; the nodes the services use only record the set keys they write.
 */
import { createHash } from 'node:crypto';
import { makeKademliaNode, makeMemoryNetwork, makeMemoryStore, toHex, type KademliaNode } from '@gotify/dht';
import { searchKey, wordKeyNames } from './keys.js';
import { makeTrackerService, type TrackerService } from './schema.js';

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');
const song = (i: number, title: string) => ({
  id: idOf(`writes-${i}`),
  title,
  artist: 'Quartet',
  album: 'Harbour',
  genre: 'Jazz',
});
const hexOf = (name: string): string => toHex(searchKey(name));

/** The node, recording the keys of each addToSetMany call (in call order). */
function recording(node: KademliaNode, calls: string[][]): KademliaNode {
  return {
    ...node,
    addToSetMany: async (ops, opts) => {
      calls.push(ops.map((o) => toHex(o.key)));
      return node.addToSetMany(ops, opts);
    },
  };
}

const net = makeMemoryNetwork();
const nodes = ['wa', 'wb'].map((addr, i) =>
  makeKademliaNode({
    transport: net.makeTransport(addr),
    store: makeMemoryStore(),
    bootstrap: i === 0 ? [] : ['wa'],
    replication: { record: { r: 2, w: 2 }, set: { r: 2, w: 2 } },
  }),
);
const callsA: string[][] = [];
const callsB: string[][] = [];
let a: TrackerService;
let b: TrackerService;
beforeAll(async () => {
  for (const n of nodes) await n.start();
  a = makeTrackerService(recording(nodes[0]!, callsA));
  b = makeTrackerService(recording(nodes[1]!, callsB));
});
afterAll(async () => {
  a.close();
  b.close();
  for (const n of nodes) await n.stop();
});

test("a word's own sym: name is written after its other vocabulary names", async () => {
  await a.writes.importSongs([song(1, 'Lighthouse Serenade')]);
  const callOf = (name: string) => callsA.findIndex((keys) => keys.includes(hexOf(name)));
  for (const w of ['lighthouse', 'serenade', 'quartet', 'harbour', 'jazz']) {
    const [own, ...others] = wordKeyNames(w);
    expect(others.length).toBeGreaterThan(0);
    for (const n of others) expect(callOf(n)).toBeGreaterThanOrEqual(0);
    const last = Math.max(...others.map(callOf));
    expect(callOf(own!)).toBeGreaterThan(last);
  }
});

test('another tracker skips the vocabulary of words its replica holds, and writes the new ones', async () => {
  await b.writes.importSongs([song(2, 'Lighthouse Nocturne')]);
  const written = new Set(callsB.flat());
  // Every word but "nocturne" was written by tracker A: none of their vocabulary names again.
  for (const w of ['lighthouse', 'quartet', 'harbour', 'jazz'])
    for (const n of wordKeyNames(w)) expect(written.has(hexOf(n))).toBe(false);
  for (const n of wordKeyNames('nocturne')) expect(written.has(hexOf(n))).toBe(true);
  // The skipped words are still found through B, by prefix and with a typo.
  for (const q of ['lighthous', 'lihgthouse nocturne']) {
    const titles = (await b.reads.songs({ search: q, first: 10 })).edges.map((e) => e.node.song.title);
    expect([...titles].sort()).toEqual(['Lighthouse Nocturne', 'Lighthouse Serenade']);
    if (q.includes('nocturne')) expect(titles[0]).toBe('Lighthouse Nocturne');
  }
});
