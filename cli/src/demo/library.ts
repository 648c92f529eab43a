/**
 * The demo library: 12 original songs by 4 fictional artists, one album and genre each.
 * Names are made up; "Midnight Lighthouse Serenade" is the multi-word title the typo-search
 * tests use. Lengths are short because lamejs encodes at roughly 15-20x real time on one core.
 */

/** Everything needed to generate one demo song, and the tags it is written with. */
export interface DemoSongSpec {
  title: string;
  artist: string;
  album: string;
  /** Also selects the arrangement style (synthwave, folk, jazz, ambient; others sound pop). */
  genre: string;
  year: number;
  /** Track number within the album, from 1. */
  track: number;
  /** Length in seconds. */
  seconds: number;
  /** Seed of the arrangement and noise: same spec, same bytes. */
  seed: number;
}

type Album = Pick<DemoSongSpec, 'artist' | 'album' | 'genre' | 'year'>;

const NEON_HARBOR: Album = {
  artist: 'Neon Harbor',
  album: 'Glass Coastline',
  genre: 'Synthwave',
  year: 2021,
};
const VELVET_ORCHARDS: Album = {
  artist: 'The Velvet Orchards',
  album: 'Paper Lanterns',
  genre: 'Folk',
  year: 2018,
};
const MARA_QUILL: Album = {
  artist: 'Mara Quill Trio',
  album: 'Late Shift Coffee',
  genre: 'Jazz',
  year: 2019,
};
const SOLSTICE_DRIFT: Album = {
  artist: 'Solstice Drift',
  album: 'Northern Static',
  genre: 'Ambient',
  year: 2023,
};

function tracks(album: Album, songs: Array<[title: string, seconds: number, seed: number]>): DemoSongSpec[] {
  return songs.map(([title, seconds, seed], i) => ({ ...album, title, track: i + 1, seconds, seed }));
}

/** The demo songs `npm start` uploads into a fresh cluster. */
export const DEMO_LIBRARY: readonly DemoSongSpec[] = [
  ...tracks(NEON_HARBOR, [
    ['Midnight Lighthouse Serenade', 32, 1101],
    ['Chrome Tides', 24, 1102],
    ['Afterglow Boulevard', 22, 1103],
  ]),
  ...tracks(VELVET_ORCHARDS, [
    ['Wandering Through Juniper Hollow', 26, 2201],
    ['Kettle Song', 20, 2202],
    ['Northbound Ferry', 22, 2203],
  ]),
  ...tracks(MARA_QUILL, [
    ['Blue Hour Shuffle', 24, 3301],
    ['Rainy Window Waltz', 20, 3302],
    ['Cinnamon Stairwell', 22, 3303],
  ]),
  ...tracks(SOLSTICE_DRIFT, [
    ['Aurora Over Still Water', 30, 4401],
    ['Slow Satellites', 22, 4402],
    ['Frost Lattice', 20, 4403],
  ]),
];
