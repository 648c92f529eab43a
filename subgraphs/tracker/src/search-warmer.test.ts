/**
 * The search warmer runs its searches once a big change to the catalogue pauses, never for small
 * ones, stops when the catalogue changes under it (and warms again after the next pause), and
 * stops for good on stop(). Searches are recorded (the warmer only drops their answers).
 */
import { createHash } from 'node:crypto';
import { makeCatalogue, type Catalogue } from './catalogue.js';
import { songKey } from './keys.js';
import { encodeSong, type SongRecord } from './record.js';
import { makeSearchWarmer, warmQuery } from './search-warmer.js';

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stamp = 1;
function put(catalogue: Catalogue, i: number, title = `Night Rhapsody ${i}`): void {
  const song: SongRecord = {
    id: idOf(`warm-${i}`),
    title,
    artist: 'Queen Band',
    album: 'A',
    genre: 'Rock',
    uploadedAt: '2024-01-01T00:00:00.000Z',
  };
  catalogue.apply({
    type: 'put',
    entry: {
      key: songKey(song.id),
      value: { kind: 'record', stamp: { c: stamp++, w: 'ab' }, bytes: encodeSong(song) },
      expiresAt: Date.now() + 3_600_000,
      publisher: false,
      replicatedAt: 0,
    },
  });
}

/** Polls until `cond` holds (or fails the test after 3 s). */
async function until(cond: () => boolean): Promise<void> {
  for (let t = 0; !cond(); t += 5) {
    if (t > 3_000) throw new Error('timed out');
    await sleep(5);
  }
}

const fast = { minChanges: 100, idleMs: 40, pollMs: 5, queries: 6 };

test('a query as a user types it: a prefix, a typo, the artist', () => {
  const catalogue = makeCatalogue();
  put(catalogue, 1, 'Bohemian Rhapsody');
  expect(warmQuery(catalogue.sample(1)[0]!)).toBe('bohemi rhpsody queen');
  put(catalogue, 2, 'Go');
  expect(catalogue.sample(2).map(warmQuery)).toEqual(['bohemi rhpsody queen', 'go queen']);
});

test('a big change warms once after it pauses; a small one never', async () => {
  const catalogue = makeCatalogue();
  const asked: string[] = [];
  const warmed: unknown[] = [];
  const warmer = makeSearchWarmer({
    ...fast,
    catalogue,
    search: async (q) => asked.push(q),
    onWarmed: (r) => warmed.push(r),
  });
  try {
    for (let i = 0; i < 99; i++) put(catalogue, i);
    await sleep(150);
    expect(asked).toEqual([]); // 99 changes: below minChanges
    put(catalogue, 99);
    await until(() => warmed.length === 1);
    expect(asked).toEqual(catalogue.sample(6).map(warmQuery));
    expect(warmed[0]).toMatchObject({ queries: 6, failed: 0 });
    await sleep(150);
    expect(asked).toHaveLength(6); // nothing changed since: no second warm-up
  } finally {
    await warmer.stop();
  }
});

test('a change during a warm-up stops it; the next pause warms again; failures are counted', async () => {
  const catalogue = makeCatalogue();
  for (let i = 0; i < 200; i++) put(catalogue, i);
  const asked: string[] = [];
  const warmed: { queries: number; failed: number }[] = [];
  let calls = 0;
  const warmer = makeSearchWarmer({
    ...fast,
    catalogue,
    search: async (q) => {
      asked.push(q);
      if (++calls === 2) put(catalogue, 1_000); // a write lands mid-run
      if (calls === 8) throw new Error('quorum lost');
    },
    onWarmed: (r) => warmed.push(r),
  });
  try {
    await until(() => warmed.length === 1);
    // The first run stopped after its second search; the second ran whole, one search failing.
    expect(asked).toHaveLength(2 + 6);
    expect(warmed).toEqual([expect.objectContaining({ queries: 6, failed: 1 })]);
  } finally {
    await warmer.stop();
  }
});

test('stop waits for the search in flight and ends the warming', async () => {
  const catalogue = makeCatalogue();
  for (let i = 0; i < 150; i++) put(catalogue, i);
  let release!: () => void;
  let inFlight = 0;
  let done = 0;
  const warmer = makeSearchWarmer({
    ...fast,
    catalogue,
    search: async () => {
      inFlight++;
      await new Promise<void>((r) => (release = r));
      done++;
    },
  });
  await until(() => inFlight === 1);
  const stopping = warmer.stop();
  let stopped = false;
  void stopping.then(() => (stopped = true));
  await sleep(30);
  expect(stopped).toBe(false);
  release();
  await stopping;
  expect(done).toBe(1);
  for (let i = 150; i < 400; i++) put(catalogue, i);
  await sleep(150);
  expect(inFlight).toBe(1); // no warm-up after stop
});

test('a warm-up that breaks is reported once and dropped; the next big change warms', async () => {
  const catalogue = makeCatalogue();
  for (let i = 0; i < 150; i++) put(catalogue, i);
  let broken = true;
  const errors: unknown[] = [];
  const asked: string[] = [];
  const flaky: Catalogue = {
    ...catalogue,
    sample: (n) => {
      if (broken) throw new Error('sample broke');
      return catalogue.sample(n);
    },
  };
  const warmer = makeSearchWarmer({
    ...fast,
    catalogue: flaky,
    search: async (q) => asked.push(q),
    onError: (err) => errors.push(err),
  });
  try {
    await until(() => errors.length > 0);
    expect(String(errors[0])).toMatch(/sample broke/);
    broken = false;
    await sleep(150);
    expect(errors).toHaveLength(1); // not retried on every poll
    expect(asked).toEqual([]);
    for (let i = 150; i < 250; i++) put(catalogue, i); // the next big change warms again
    await until(() => asked.length === 6);
  } finally {
    await warmer.stop();
  }
});
