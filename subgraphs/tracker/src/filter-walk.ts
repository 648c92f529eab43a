/**
 * A page of an exact filter, sorted, from the local catalogue's sorted index: when every song of
 * the filter's index set is held here (small networks, where each tracker replicates every
 * record) and the set is big, the page is found by walking the sorted index from the cursor and
 * keeping the set's songs whose record matches the filter until `first + 1` are found, instead of
 * fetching every record of the set and sorting them (a genre can be a quarter of the catalogue).
 * Same rows as sorting the verified records: the index is ordered by the same positions
 * (sort value, then id). totalCount counts the set's songs whose local record matches the filter.
 *
 * `makeFilterWalker` remembers, per filter, what the walk learnt of its index set (every song held
 * here? which match?) for as long as the set read is the same cached view and the catalogue has
 * not changed: a repeated big filter ("genre=rock", 25,000 songs) then costs the page's walk, not
 * 25,000 lookups.
 *
 * Does not: read the index set (reads.ts), serve sets with songs held elsewhere or small sets
 * (reads.ts fetches and sorts those), or search.
 */
import type { Catalogue, CatalogueEntry, Order, Position, SortKey } from './catalogue.js';
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

/** Matching songs of the set (all held here), or undefined when some song of it is not held here. */
function heldMatches(catalogue: Catalogue, lists: readonly (readonly string[])[], filter: PartialFilter) {
  const matches = filterMatcher(filter);
  const hits = new Set<string>();
  for (const ids of lists)
    for (const id of ids) {
      const e = catalogue.get(id);
      if (!e) return undefined;
      if (matches(e)) hits.add(id);
    }
  return hits;
}

function walkHits(
  catalogue: Catalogue,
  hits: Set<string> | undefined,
  members: number,
  page: PageArgs,
): { rows: CatalogueEntry[]; totalCount: number } | undefined {
  if (!hits) return undefined;
  if (hits.size === 0) return { rows: [], totalCount: 0 };
  const expectedSteps = ((page.first + 1) * catalogue.size()) / hits.size;
  if (expectedSteps > FILTER_WALK_STEPS_PER_MEMBER * members) return undefined;
  const rows = catalogue.page(page.sort, page.order, page.first + 1, page.after, (e) => hits.has(e.song.id));
  return { rows, totalCount: hits.size };
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
  return walkHits(catalogue, heldMatches(catalogue, [ids], filter), ids.length, page);
}

/**
 * walkFilter over an index set read as lists (one per bucket, as getSetMany returns them), with
 * what it learns of the set remembered per filter name while the lists are the same arrays (a
 * cached read view is handed out as is) and the catalogue is unchanged: at most
 * FILTER_WALK_CACHE_IDS ids in all, least recently used dropped first.
 */
export function makeFilterWalker(catalogue: Catalogue) {
  const cache = new Map<
    string,
    { lists: readonly (readonly string[])[]; version: number; hits: Set<string> | undefined; n: number }
  >();
  let total = 0;
  const drop = (name: string) => {
    const c = cache.get(name);
    if (!c) return;
    cache.delete(name);
    total -= c.n;
  };
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
    if (fresh) {
      cache.delete(name); // most recently used last
      cache.set(name, c!);
    } else {
      drop(name);
      c = { lists, version: catalogue.version(), hits: heldMatches(catalogue, lists, filter), n: members };
      if (members <= FILTER_WALK_CACHE_IDS) {
        cache.set(name, c);
        total += members;
        for (const [k] of cache) {
          if (total <= FILTER_WALK_CACHE_IDS) break;
          drop(k);
        }
      }
    }
    return walkHits(catalogue, c!.hits, members, page);
  };
}
