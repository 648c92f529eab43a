/**
 * A page of an exact filter, sorted, from the local catalogue's sorted index: when every song of
 * the filter's index set is held here (small networks, where each tracker replicates every
 * record) and the set is big, the page is found by walking the sorted index from the cursor and
 * keeping the set's songs whose record matches the filter until `first + 1` are found, instead of
 * fetching every record of the set and sorting them (a genre can be a quarter of the catalogue).
 * Same rows as sorting the verified records: the index is ordered by the same positions
 * (sort value, then id). totalCount counts the set's songs whose local record matches the filter.
 * A single-field filter ("genre=rock") goes further: once the set shows every song of the filter
 * is held here, the catalogue's records answer it alone (its count of songs with that value, and
 * its sorted index walked with the filter's matcher), so a held song whose record matches is
 * listed even if its posting is missing from the set (the records are the truth; the set is the
 * quorum read's proof that no song is held elsewhere).
 *
 * `makeFilterWalker` remembers, per filter, what the walk learnt of its index set (every song held
 * here? which match?) for as long as the set read is the same cached view and the catalogue has
 * not changed: a repeated big filter ("genre=rock", 25,000 songs) then costs the page's walk, not
 * 25,000 lookups.
 *
 * Does not: read the index set (reads.ts), serve sets with songs held elsewhere or small sets
 * (reads.ts fetches and sorts those), or search.
 */
import { makeWeightedLru } from '@gotify/dht';
import {
  LEADING_FIELD,
  type Catalogue,
  type CatalogueEntry,
  type Order,
  type Position,
  type SortKey,
} from './catalogue.js';
import { INDEX_FIELDS, type PartialFilter } from './keys.js';
import { FILTER_WALK_CACHE_IDS, FILTER_WALK_STEPS_PER_MEMBER } from './limits.js';
import { normalise } from './normalise.js';

/** Does an entry match every field of the filter (normalised values compared)? */
export function filterMatcher(filter: PartialFilter): (e: CatalogueEntry) => boolean {
  const want: [(typeof INDEX_FIELDS)[number], string][] = [];
  for (const f of INDEX_FIELDS) {
    const v = filter[f];
    if (v !== undefined && v !== null) want.push([f, normalise(v)]);
  }
  return (e) => want.every(([f, v]) => e.norm[f] === v);
}

type PageArgs = { sort: SortKey; order: Order; first: number; after?: Position };

/** What the walk knows of a filter's index set. */
type Analysis =
  /** A song of the set is not held here: the walk does not apply. */
  | { kind: 'elsewhere' }
  /** The set's songs whose local record matches (a filter on several fields). */
  | { kind: 'hits'; hits: Set<string> }
  /**
   * Every song of the set is held here, and the filter is on one field: the catalogue's own
   * records answer it (its count per value, its sorted index with the matcher), without touching
   * 25,000 entries of a big genre.
   */
  | { kind: 'held' };

/** Only single-field filters are answered from the catalogue's per-value counts. */
const singleField = (filter: PartialFilter) => {
  const given = INDEX_FIELDS.filter((f) => filter[f] !== undefined && filter[f] !== null);
  return given.length === 1 ? given[0]! : undefined;
};

function analyse(
  catalogue: Catalogue,
  lists: readonly (readonly string[])[],
  filter: PartialFilter,
): Analysis {
  if (singleField(filter)) {
    // Cached per list, and computed ahead when the view was warmed (schema.ts viewWarmed): a cold
    // 25,000-song genre cost 25,000 map lookups here (the benchmark's biggest genre's first filter
    // after a 100k import: 27.5 and 34.0 ms in two runs before, 2.5–18.4 ms in five after).
    for (const ids of lists) if (!catalogue.holdsAll(ids)) return { kind: 'elsewhere' };
    return { kind: 'held' };
  }
  const matches = filterMatcher(filter);
  const hits = new Set<string>();
  for (const ids of lists)
    for (const id of ids) {
      const e = catalogue.get(id);
      if (!e) return { kind: 'elsewhere' };
      if (matches(e)) hits.add(id);
    }
  return { kind: 'hits', hits };
}

function walkAnalysed(
  catalogue: Catalogue,
  a: Analysis,
  filter: PartialFilter,
  members: number,
  page: PageArgs,
): { rows: CatalogueEntry[]; totalCount: number } | undefined {
  let total: number;
  let keep: (e: CatalogueEntry) => boolean;
  switch (a.kind) {
    case 'elsewhere':
      return undefined;
    case 'hits':
      total = a.hits.size;
      keep = (e) => a.hits.has(e.song.id);
      break;
    case 'held': {
      const f = singleField(filter)!;
      total = catalogue.songsWith(f, normalise(filter[f]!));
      keep = filterMatcher(filter);
      break;
    }
    default: {
      const never: never = a;
      return never;
    }
  }
  if (total === 0) return { rows: [], totalCount: 0 };
  // A filter on the sort's leading field ("title=the" sorted by title) matches one run of the
  // index: the walk stays in it. Otherwise matches are spread over the whole index.
  const field = LEADING_FIELD[page.sort];
  const value = field === undefined ? undefined : filter[field];
  const lead = value === undefined || value === null ? undefined : normalise(value);
  const span = lead === undefined ? catalogue.size() : catalogue.songsWith(field!, lead);
  const expectedSteps = Math.min(span, ((page.first + 1) * span) / total);
  if (expectedSteps > FILTER_WALK_STEPS_PER_MEMBER * members) return undefined;
  const rows = catalogue.page(page.sort, page.order, page.first + 1, page.after, keep, lead);
  return { rows, totalCount: total };
}

/**
 * Up to `first + 1` matching entries strictly after `after` in the order, and the exact count of
 * matches; `undefined` when the walk does not apply (a song of the set is not held here, or the
 * set is too small for the walk to beat a sort).
 */
export function walkFilter(
  catalogue: Catalogue,
  ids: string[],
  filter: PartialFilter,
  page: PageArgs,
): { rows: CatalogueEntry[]; totalCount: number } | undefined {
  return walkAnalysed(catalogue, analyse(catalogue, [ids], filter), filter, ids.length, page);
}

/**
 * walkFilter over an index set read as lists (one per bucket, as getSetMany returns them), with
 * what it learns of the set remembered per filter name while the lists are the same arrays (a
 * cached read view is handed out as is) and the catalogue is unchanged: at most
 * FILTER_WALK_CACHE_IDS ids in all, least recently used dropped first.
 */
export function makeFilterWalker(catalogue: Catalogue) {
  const cache = makeWeightedLru<{
    lists: readonly (readonly string[])[];
    version: number;
    analysis: Analysis;
  }>(FILTER_WALK_CACHE_IDS);
  return function walk(
    name: string,
    lists: readonly (readonly string[])[],
    filter: PartialFilter,
    page: PageArgs,
  ): { rows: CatalogueEntry[]; totalCount: number } | undefined {
    const members = lists.reduce((n, l) => n + l.length, 0);
    let c = cache.get(name);
    const fresh =
      c !== undefined &&
      c.version === catalogue.version() &&
      c.lists.length === lists.length &&
      c.lists.every((l, i) => l === lists[i]);
    if (!fresh) {
      c = { lists, version: catalogue.version(), analysis: analyse(catalogue, lists, filter) };
      cache.set(name, c, members);
    }
    return walkAnalysed(catalogue, c!.analysis, filter, members, page);
  };
}
