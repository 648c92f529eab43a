/**
 * Search planning on a real single-node DHT: every query word is read, the first page is exactly
 * the page of scoring every song of the catalogue however early verification stops, and a page
 * decided on the first posting buckets is the page of reading them all.
 */
import { createHash } from 'node:crypto';
import { makeKademliaNode, makeMemoryNetwork, makeMemoryStore, toHex, type KademliaNode } from '@gotify/dht';
import { makeSearchReads, rankedCandidates } from './candidates.js';
import { SEARCH_VERIFY_CHUNK, WORD_BUCKETS } from './limits.js';
import { bucketOf, songWords, wordReadKeys } from './keys.js';
import { compareScored, makeVerifier, verifyFirstPage } from './relevance.js';
import { makeTrackerService, type TrackerService } from './schema.js';
import { scoreSong } from './search.js';

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Seeded PRNG (mulberry32), so the catalogue is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(3);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
const FILLER = ['alpha', 'bravo', 'delta', 'echo', 'lantern', 'lanterns', 'lovely', 'waltz', 'walts'];
/** "love" in ~80% of the songs, in any field; "lantern" and its neighbours in a few. */
const phrase = (n: number): string =>
  Array.from({ length: n }, () => (rand() < 0.3 ? 'Love' : pick(FILLER))).join(' ');
const SONGS = Array.from({ length: 300 }, (_, i) => ({
  id: idOf(`cand-${i}`),
  title: phrase(1 + Math.floor(rand() * 3)),
  artist: phrase(1 + Math.floor(rand() * 2)),
  album: phrase(1 + Math.floor(rand() * 2)),
  genre: pick(['Love', 'Rock', 'Waltz']),
}));

let node: KademliaNode;
let svc: TrackerService;
beforeAll(async () => {
  node = makeKademliaNode({
    transport: makeMemoryNetwork().makeTransport('t1'),
    store: makeMemoryStore(),
    replication: { record: { r: 1, w: 1 }, set: { r: 1, w: 1 } },
  });
  svc = makeTrackerService(node);
  await node.start();
  expect(await svc.writes.importSongs(SONGS)).toBe(SONGS.length);
});
afterAll(async () => {
  svc.close();
  await node.stop();
});

/** The node, recording every set key candidates.ts reads. */
function recording(read: Set<string>): KademliaNode {
  return {
    ...node,
    getSetMany: async (keys, opts) => {
      for (const k of keys) read.add(toHex(k));
      return node.getSetMany(keys, opts);
    },
  };
}

const entries = async (ids: string[]) => ids.flatMap((id) => svc.catalogue.get(id) ?? []);

test.each([
  [['love', 'lantern'], 1],
  [['love', 'lantern'], 10],
  [['lovel', 'lanter', 'walz'], 20],
  [['love', 'waltz', 'echo'], 100],
  [['love', 'lovely'], 5],
  [['love', 'alpha', 'bravo', 'delta'], 12],
])('%j, first %i: every word read, the page of scoring every song', async (qs, first) => {
  expect(svc.catalogue.wordSongs('love')).toBeGreaterThan(SONGS.length / 2);
  const read = new Set<string>();
  const { ranked, finalAt } = await rankedCandidates(recording(read), qs, svc.catalogue.wordSongs);
  expect(finalAt).toBe(0);
  for (const k of wordReadKeys('love')) expect(read.has(toHex(k))).toBe(qs.some((q) => q.startsWith('lov')));
  // Small chunks stop verifying early: bounds that miss only field weights keep that exact.
  const pages = await Promise.all(
    [SEARCH_VERIFY_CHUNK, 7, 1].map((chunk) => verifyFirstPage(qs, ranked, first, entries, chunk)),
  );
  const all = SONGS.flatMap((s) => svc.catalogue.get(s.id) ?? [])
    .map((e) => ({ e, score: scoreSong(qs, e.words) }))
    .filter((r) => r.score > 0)
    .sort(compareScored);
  expect(all.length).toBeGreaterThan(first + 1);
  const show = (rows: typeof all) => rows.map((r) => `${r.e.song.id.slice(0, 8)}:${r.score}`);
  for (const page of pages) {
    expect(show(page.rows)).toEqual(show(all.slice(0, first + 1)));
    expect(page.totalCount).toBeGreaterThanOrEqual(all.length);
  }
  expect(pages[0]!.totalCount).toBe(all.length); // one chunk verified them all
  expect(ranked.length).toBe(all.length); // no false positive: every candidate holds a matching word
});

test('searches share per-song scratch arrays: a search after others ranks as it did before them', async () => {
  const plan = async (qs: string[]) => {
    const { ranked } = await rankedCandidates(node, qs, svc.catalogue.wordSongs);
    return ranked.slice(0, ranked.length).map((c) => `${c.id.slice(0, 8)}:${c.bound}`);
  };
  const before = await plan(['lantern', 'love']);
  // Other words at the same query positions: what they leave behind would inflate the bounds.
  await plan(['echo', 'waltz']);
  await plan(['walts', 'bravo', 'delta']);
  expect(await plan(['lantern', 'love'])).toEqual(before);
});

test("the catalogue's word counts follow imports, edits and deletions", async () => {
  const holding = (w: string) => SONGS.filter((s) => songWords(s).includes(w)).length;
  expect(svc.catalogue.wordSongs('echo')).toBe(holding('echo'));
  expect(svc.catalogue.wordSongs('lovely')).toBe(holding('lovely'));
  expect(svc.catalogue.wordSongs('nowhere')).toBe(0);
  const withEcho = SONGS.find((s) => songWords(s).includes('echo'))!;
  const without = SONGS.find((s) => !songWords(s).includes('echo') && s.id !== withEcho.id)!;
  await svc.writes.deleteSong(withEcho.id);
  await svc.writes.updateSong(without.id, { title: 'Echo Echo Nowhere' });
  expect(svc.catalogue.wordSongs('echo')).toBe(holding('echo'));
  expect(svc.catalogue.wordSongs('nowhere')).toBe(1);
});

test('bucketOf: buckets are ranges of ids, bucket 0 holding the smallest', () => {
  const ids = Array.from({ length: 200 }, (_, i) => idOf(`range-${i}`)).sort();
  const buckets = ids.map((id) => bucketOf(id, WORD_BUCKETS));
  expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  expect(bucketOf('0'.repeat(64), WORD_BUCKETS)).toBe(0);
  expect(bucketOf('f'.repeat(64), WORD_BUCKETS)).toBe(WORD_BUCKETS - 1);
  expect(new Set(buckets).size).toBe(WORD_BUCKETS);
});

test.each([
  [['love'], 3],
  [['love'], 40],
  [['lovel'], 5],
  [['love', 'echo'], 4],
  [['love', 'walz'], 2],
  [['lantern', 'love'], 1],
])('%j, first %i: a page decided on the first buckets is the page of reading them all', async (qs, first) => {
  const hint = (w: string) => svc.catalogue.wordSongs(w);
  const full = await rankedCandidates(node, qs, hint);
  expect(full.finalAt).toBe(0);
  const want = await verifyFirstPage(qs, full.ranked, first, entries);
  const show = (rows: typeof want.rows) => rows.map((r) => `${r.e.song.id.slice(0, 8)}:${r.score}`);
  let decided = 0;
  for (const buckets of [1, 2, 4]) {
    const read = new Set<string>();
    const plan = await rankedCandidates(recording(read), qs, hint, { buckets, partialReadMin: 0 });
    expect(plan.finalAt).toBeGreaterThan(0);
    // Only the first buckets were read.
    for (const k of wordReadKeys('love', buckets)) expect(read.has(toHex(k))).toBe(false);
    const page = await verifyFirstPage(qs, plan.ranked, first, entries);
    if (page.rows.length > first && page.rows[first]!.score >= plan.finalAt) {
      decided++;
      expect(show(page.rows)).toEqual(show(want.rows));
    }
  }
  // "love" alone fills a small page on its first bucket (it is in the title of many songs).
  if (qs.length === 1 && qs[0] === 'love' && first === 3) expect(decided).toBe(3);
  // Words holding fewer postings than the threshold are read whole at once.
  expect((await rankedCandidates(node, qs, hint, { buckets: 1 })).finalAt).toBe(0);
});

test('a search reads each posting bucket once, however many steps it takes', async () => {
  const keys: string[] = [];
  const reads = makeSearchReads({
    ...node,
    getSetMany: async (ks, opts) => {
      for (const k of ks) keys.push(toHex(k));
      return node.getSetMany(ks, opts);
    },
  });
  const one = await reads.postings(['love'], 1);
  const all = await reads.postings(['love', 'echo'], WORD_BUCKETS);
  expect(new Set(keys).size).toBe(keys.length);
  expect(all.get('love')!.slice(0, one.get('love')!.length)).toEqual(one.get('love'));
  expect(new Set(all.get('love')).size).toBe(svc.catalogue.wordSongs('love'));
  expect(reads.misplaced).toBe(false);
});

test("a search's verifier fetches and scores each id once, whatever plans ask for it again", async () => {
  const asked: string[] = [];
  const verify = makeVerifier(['love'], async (ids) => {
    asked.push(...ids);
    return entries(ids);
  });
  const ids = SONGS.slice(0, 50).map((s) => s.id);
  const once = await verify(ids);
  const again = await verify([...ids.slice(25), idOf('no such song'), ...ids.slice(0, 10)]);
  expect(asked).toHaveLength(51); // the 50 ids, then only the unknown one
  const score = (rows: typeof once) => new Map(rows.map((r) => [r.e.song.id, r.score]));
  const all = score(once);
  expect(once.every((r) => r.score === scoreSong(['love'], r.e.words))).toBe(true);
  for (const [id, s] of score(again)) expect(all.get(id)).toBe(s);
  expect(again.length).toBe(once.filter((r) => !ids.slice(10, 25).includes(r.e.song.id)).length);
});
