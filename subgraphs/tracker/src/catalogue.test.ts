/**
 * The catalogue's sorted indexes, kept up to date by merging changed songs into the existing
 * order, always list exactly what a fresh sort of the held songs lists.
 */
import { createHash } from 'node:crypto';
import {
  comparePositions,
  LEADING_FIELD,
  makeCatalogue,
  makeEntry,
  positionOf,
  recordPosition,
  sortValue,
  type Catalogue,
  type SortKey,
} from './catalogue.js';
import { songKey } from './keys.js';
import { encodeSong, type SongRecord } from './record.js';

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Applies a song (or its tombstone) to the catalogue as a local shard write, each with a newer stamp. */
function makePut(catalogue: Catalogue): (s: SongRecord, deleted?: boolean) => void {
  let stamp = 1;
  return (s, deleted = false) =>
    catalogue.apply({
      type: 'put',
      entry: {
        key: songKey(s.id),
        value: {
          kind: 'record',
          stamp: { c: stamp++, w: 'ab' },
          bytes: encodeSong(s),
          ...(deleted ? { deleted } : {}),
        },
        expiresAt: Date.now() + 3_600_000,
        publisher: false,
        replicatedAt: 0,
      },
    });
}

test('puts, edits and deletes between reads: every sorted listing equals a fresh sort', () => {
  const catalogue = makeCatalogue();
  const put = makePut(catalogue);
  const song = (i: number, v: number): SongRecord => ({
    id: idOf(`cat-${i}`),
    title: `Title ${(i * 7 + v) % 23}`,
    artist: `Artist ${(i + v) % 5}`,
    album: `Album ${i % 9}`,
    genre: 'Rock',
    trackNumber: 1 + ((i + v) % 12),
    uploadedAt: new Date(Date.UTC(2024, 0, 1) + ((i * 13 + v) % 97) * 60_000).toISOString(),
  });
  const sorts: SortKey[] = ['TITLE', 'ARTIST', 'ALBUM', 'UPLOADED_AT'];
  const live = new Map<number, number>();
  const check = () => {
    for (const sort of sorts) {
      const want = [...live]
        .map(([i, v]) => song(i, v))
        .map((s) => ({ v: sortValue({ song: s, norm: catalogue.get(s.id)!.norm }, sort), id: s.id }))
        .sort(comparePositions)
        .map((p) => p.id);
      expect(catalogue.page(sort, 'ASC', 10_000).map((e) => e.song.id)).toEqual(want);
      // A leading field's run: exactly the songs with that value ('title 1', not 'title 10').
      const field = LEADING_FIELD[sort];
      if (!field) continue;
      const norms = new Map(want.map((id) => [id, catalogue.get(id)!.norm[field]]));
      for (const value of new Set(norms.values())) {
        const run = want.filter((id) => norms.get(id) === value);
        expect(
          catalogue.page(sort, 'ASC', 10_000, undefined, undefined, value).map((e) => e.song.id),
        ).toEqual(run);
        const desc = catalogue.page(sort, 'DESC', 10_000, undefined, undefined, value);
        expect(desc.map((e) => e.song.id)).toEqual([...run].reverse());
      }
    }
  };
  for (let i = 0; i < 300; i++) {
    put(song(i, 0));
    live.set(i, 0);
  }
  check(); // built from scratch
  for (let round = 1; round <= 5; round++) {
    for (let i = round; i < 300; i += 7) {
      put(song(i, round)); // an edit moves the song
      live.set(i, round);
    }
    for (let i = round * 3; i < 300; i += 41) {
      put(song(i, live.get(i) ?? 0), true); // a tombstone removes it
      live.delete(i);
    }
    for (let i = 300 + round * 5; i < 305 + round * 5; i++) {
      put(song(i, 0));
      live.set(i, 0);
    }
    check(); // merged in
  }
});

test("a record's position without an entry is its entry's position, in every order", () => {
  const songs: SongRecord[] = [
    {
      id: idOf('p1'),
      title: 'Café del Mar',
      artist: 'Énergie',
      album: 'Ibiza',
      genre: 'Chill',
      uploadedAt: '2026-01-02T00:00:00.000Z',
    },
    {
      id: idOf('p2'),
      title: '  the   END ',
      artist: 'Doors',
      album: 'Doors',
      genre: 'Rock',
      trackNumber: 11,
      uploadedAt: '2026-01-01T00:00:00.000Z',
    },
  ];
  for (const song of songs)
    for (const sort of ['TITLE', 'ARTIST', 'ALBUM', 'UPLOADED_AT'] as SortKey[]) {
      const e = makeEntry(song, { c: 1, w: 'ab' });
      expect(recordPosition(song, sort)).toEqual(positionOf(e, sort));
      expect(positionOf(e, sort)).toBe(positionOf(e, sort)); // kept, not rebuilt
    }
});

test('holdsAll: every id held, cached per list until a song is dropped', () => {
  const catalogue = makeCatalogue();
  const put = makePut(catalogue);
  const song = (i: number, title = `Song ${i}`): SongRecord => ({
    id: idOf(`held-${i}`),
    title,
    artist: 'Band',
    album: 'Album',
    genre: 'Rock',
    uploadedAt: '2026-01-01T00:00:00.000Z',
  });
  for (let i = 0; i < 5; i++) put(song(i));
  const list = [0, 1, 2, 3].map((i) => song(i).id);
  expect(catalogue.holdsAll(list)).toBe(true);
  expect(catalogue.holdsAll([...list, idOf('held-elsewhere')])).toBe(false);
  expect(catalogue.holdsAll([])).toBe(true);
  // Learning and replacing songs keeps the cached answer true; dropping one re-checks the list.
  put(song(9));
  put(song(2, 'Song 2, edited'));
  expect(catalogue.holdsAll(list)).toBe(true);
  put(song(4), true); // not in the list: still all held
  expect(catalogue.holdsAll(list)).toBe(true);
  put(song(3), true);
  expect(catalogue.holdsAll(list)).toBe(false);
  put(song(3));
  expect(catalogue.holdsAll(list)).toBe(true);
});
