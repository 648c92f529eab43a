/**
 * The filtered listing's walk of the local sorted index gives exactly the rows of fetching and
 * sorting the filter's records, for every sort, both orders and every cursor; it steps aside when
 * a song of the set is not held locally or the set is too small.
 */
import { createHash } from 'node:crypto';
import { makeCatalogue, comparePositions, sortValue, type CatalogueEntry } from './catalogue.js';
import type { Order, Position, SortKey } from './catalogue.js';
import { filterMatcher, makeFilterWalker, walkFilter } from './filter-walk.js';
import { songKey, type PartialFilter } from './keys.js';
import { encodeSong, type SongRecord } from './record.js';

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');

const N = 400;
const songs: SongRecord[] = Array.from({ length: N }, (_, i) => ({
  id: idOf(`walk-${i}`),
  // Repeated titles and artists: ties in the sort value are broken by id.
  title: `Song ${String(i % 37).padStart(2, '0')}`,
  artist: i % 4 === 0 ? 'Ünïcode Band' : `Artist ${i % 9}`,
  album: `Album ${i % 11}`,
  genre: i % 3 === 0 ? 'Rock' : i % 3 === 1 ? 'Pop' : 'Jazz',
  trackNumber: 1 + (i % 13),
  uploadedAt: new Date(Date.UTC(2024, 0, 1) + (i % 50) * 60_000).toISOString(),
}));

const catalogue = makeCatalogue();
for (const s of songs)
  catalogue.apply({
    type: 'put',
    entry: {
      key: songKey(s.id),
      value: { kind: 'record', stamp: { c: 1, w: 'ab' }, bytes: encodeSong(s) },
      expiresAt: Date.now() + 3_600_000,
      publisher: false,
      replicatedAt: 0,
    },
  });

/** What reads.ts did before the walk: every record of the set, verified, sorted, cut after the cursor. */
function sortAll(
  ids: string[],
  filter: PartialFilter,
  sort: SortKey,
  order: Order,
  first: number,
  after?: Position,
) {
  const matches = filterMatcher(filter);
  const dir = order === 'ASC' ? 1 : -1;
  const rows = ids
    .map((id) => catalogue.get(id)!)
    .filter(matches)
    .map((e) => ({ e, p: { v: sortValue(e, sort), id: e.song.id } }))
    .sort((a, b) => dir * comparePositions(a.p, b.p));
  const start = after ? rows.findIndex((r) => dir * comparePositions(r.p, after) > 0) : 0;
  return {
    rows: (start < 0 ? [] : rows.slice(start)).slice(0, first + 1).map((r) => r.e),
    total: rows.length,
  };
}

const ids = (e: CatalogueEntry[]) => e.map((x) => x.song.id);

test('every page of a big filter, every sort, both orders: the rows of a full sort', () => {
  // The index set of genre=rock, with a false positive (a song of another genre) verification drops.
  const set = songs.filter((s) => s.genre === 'Rock').map((s) => s.id);
  set.push(songs.find((s) => s.genre === 'Pop')!.id);
  const filter = { genre: 'ROCK' };
  for (const sort of ['TITLE', 'ARTIST', 'ALBUM', 'UPLOADED_AT'] as const) {
    for (const order of ['ASC', 'DESC'] as const) {
      let after: Position | undefined;
      const walkedAll: string[] = [];
      for (let pageNo = 0; pageNo < 50; pageNo++) {
        const got = walkFilter(catalogue, set, filter, { sort, order, first: 20, after });
        const want = sortAll(set, filter, sort, order, 20, after);
        expect(got).toBeDefined();
        expect(ids(got!.rows)).toEqual(ids(want.rows));
        expect(got!.totalCount).toBe(want.total);
        walkedAll.push(...ids(got!.rows.slice(0, 20)));
        if (got!.rows.length <= 20) break;
        const last = got!.rows[19]!;
        after = { v: sortValue(last, sort), id: last.song.id };
      }
      expect(walkedAll).toHaveLength(Math.ceil(N / 3));
      expect(new Set(walkedAll).size).toBe(walkedAll.length);
    }
  }
});

test('a cursor between positions, a pair filter, and a filter nothing matches', () => {
  const set = songs.map((s) => s.id); // a very loose set: verification does the work
  const filter = { artist: 'unicode band', genre: 'rock' };
  for (const order of ['ASC', 'DESC'] as const) {
    const after = { v: 'song 17', id: '' }; // not any song's position
    const got = walkFilter(catalogue, set, filter, { sort: 'TITLE', order, first: 5, after });
    const want = sortAll(set, filter, 'TITLE', order, 5, after);
    expect(ids(got!.rows)).toEqual(ids(want.rows));
    expect(got!.totalCount).toBe(want.total);
    expect(want.rows.length).toBeGreaterThan(0);
  }
  expect(walkFilter(catalogue, set, { genre: 'blues' }, { sort: 'TITLE', order: 'ASC', first: 5 })).toEqual({
    rows: [],
    totalCount: 0,
  });
});

test('steps aside when a song is not held here, or the set is too small to beat a sort', () => {
  const rock = songs.filter((s) => s.genre === 'Rock').map((s) => s.id);
  const page = { sort: 'TITLE' as const, order: 'ASC' as const, first: 20 };
  expect(walkFilter(catalogue, [...rock, idOf('held elsewhere')], { genre: 'rock' }, page)).toBeUndefined();
  expect(walkFilter(catalogue, rock.slice(0, 3), { genre: 'rock' }, page)).toBeUndefined();
});

test('makeFilterWalker: the rows of walkFilter; the set is analysed again only when its lists or the catalogue change', () => {
  // A single-field filter's analysis asks whether each list is held (catalogue.holdsAll).
  let lookups = 0;
  const counting = {
    ...catalogue,
    get: (id: string) => (lookups++, catalogue.get(id)),
    holdsAll: (ids: readonly string[]) => (lookups++, catalogue.holdsAll(ids)),
  };
  const walk = makeFilterWalker(counting);
  const rock = songs.filter((s) => s.genre === 'Rock').map((s) => s.id);
  const lists = [rock.slice(0, 50), rock.slice(50)];
  const page = { sort: 'TITLE' as const, order: 'ASC' as const, first: 10 };
  const want = walkFilter(catalogue, rock, { genre: 'rock' }, page)!;
  expect(ids(walk('genre=rock', lists, { genre: 'rock' }, page)!.rows)).toEqual(ids(want.rows));
  const first = lookups;
  expect(first).toBe(lists.length);
  // Same lists, another page: no lookup of the set's songs again.
  const last = want.rows[9]!;
  const next = { ...page, after: { v: sortValue(last, 'TITLE'), id: last.song.id } };
  expect(ids(walk('genre=rock', lists, { genre: 'rock' }, next)!.rows)).toEqual(
    ids(walkFilter(catalogue, rock, { genre: 'rock' }, next)!.rows),
  );
  expect(lookups).toBe(first);
  // New lists (a changed set), or a changed catalogue: analysed again.
  walk(
    'genre=rock',
    lists.map((l) => [...l]),
    { genre: 'rock' },
    page,
  );
  expect(lookups).toBe(2 * first);
  const moved = songs.find((s) => s.genre === 'Rock')!;
  catalogue.apply({
    type: 'put',
    entry: {
      key: songKey(moved.id),
      value: { kind: 'record', stamp: { c: 2, w: 'ab' }, bytes: encodeSong({ ...moved, genre: 'Pop' }) },
      expiresAt: Date.now() + 3_600_000,
      publisher: false,
      replicatedAt: 0,
    },
  });
  const after = walk('genre=rock', lists, { genre: 'rock' }, page)!;
  expect(lookups).toBe(3 * first);
  expect(after.totalCount).toBe(want.totalCount - 1);
  expect(ids(after.rows)).not.toContain(moved.id);
});

test('a single-field filter is answered by the held records: a matching song missing from the set is still listed', () => {
  const jazz = songs.filter((s) => s.genre === 'Jazz').map((s) => s.id);
  const lost = jazz[5]!; // its posting never reached the set
  const set = jazz.filter((id) => id !== lost);
  // A page that starts at the lost song's sort value (a short page: the walk is not set aside).
  const at = { v: sortValue(catalogue.get(lost)!, 'TITLE'), id: '' };
  const page = { sort: 'TITLE' as const, order: 'ASC' as const, first: 5, after: at };
  const got = walkFilter(catalogue, set, { genre: 'jazz' }, page)!;
  expect(got.totalCount).toBe(jazz.length);
  expect(ids(got.rows)).toContain(lost);
  // A filter on two fields still lists the set's songs only.
  const album = songs.find((s) => s.id === lost)!.album;
  const pair = walkFilter(catalogue, set, { genre: 'jazz', album }, { ...page, first: 2, after: undefined });
  expect(pair).toBeDefined();
  expect(pair!.rows.length).toBeGreaterThan(0);
  expect(ids(pair!.rows)).not.toContain(lost);
  expect(pair!.totalCount).toBe(songs.filter((s) => s.genre === 'Jazz' && s.album === album).length - 1);
  // And a song of the set held elsewhere still sends the filter to the records' fetch and sort.
  expect(walkFilter(catalogue, [...set, idOf('elsewhere')], { genre: 'jazz' }, page)).toBeUndefined();
});

test("a filter on the sort's leading field walks its run alone: every page, both orders", () => {
  // 'Song 05' is the title of ~11 songs of 400: spread over the whole index, the walk would be set
  // aside for a sort (21 rows ≈ 760 steps); as one run of the title order it is walked.
  const cases: [PartialFilter, SortKey][] = [
    [{ title: 'song 05' }, 'TITLE'],
    [{ title: 'Song 05', genre: 'pop' }, 'TITLE'],
    [{ artist: 'ÜNÏCODE BAND' }, 'ARTIST'],
    [{ album: 'album 3' }, 'ALBUM'],
  ];
  for (const [filter, sort] of cases) {
    // The index set: every song with the leading field's value (false positives for the pair).
    const lead = { [sort.toLowerCase()]: filter[sort.toLowerCase() as keyof PartialFilter] };
    const set = songs.map((s) => s.id).filter((id) => filterMatcher(lead)(catalogue.get(id)!));
    const total = sortAll(set, filter, sort, 'ASC', 0).total;
    expect(total).toBeGreaterThan(2);
    for (const order of ['ASC', 'DESC'] as const) {
      let after: Position | undefined;
      const seen: string[] = [];
      for (;;) {
        const got = walkFilter(catalogue, set, filter, { sort, order, first: 2, after });
        const want = sortAll(set, filter, sort, order, 2, after);
        expect(got).toBeDefined();
        expect(ids(got!.rows)).toEqual(ids(want.rows));
        expect(got!.totalCount).toBe(total);
        seen.push(...ids(got!.rows.slice(0, 2)));
        if (got!.rows.length <= 2) break;
        after = { v: sortValue(got!.rows[1]!, sort), id: got!.rows[1]!.song.id };
      }
      expect(seen.sort()).toEqual(ids(sortAll(set, filter, sort, order, set.length).rows).sort());
    }
  }
  // The run's neighbours stay out: a title that only starts like another ('song 0' vs 'song 05').
  const got = walkFilter(
    catalogue,
    songs.map((s) => s.id),
    { title: 'song 0' },
    {
      sort: 'TITLE',
      order: 'ASC',
      first: 20,
    },
  );
  expect(got).toEqual({ rows: [], totalCount: 0 });
});
