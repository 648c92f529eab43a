/**
 * A page of an exact filter, sorted, from the local catalogue's sorted index: when every song of
 * the filter's index set is held here (small networks, where each tracker replicates every
 * record) and the set is big, the page is found by walking the sorted index from the cursor and
 * keeping the set's songs whose record matches the filter until `first + 1` are found, instead of
 * fetching every record of the set and sorting them (a genre can be a quarter of the catalogue).
 * Same rows as sorting the verified records: the index is ordered by the same positions
 * (sort value, then id). totalCount counts the set's songs whose local record matches the filter.
 *
 * Does not: read the index set (reads.ts), serve sets with songs held elsewhere or small sets
 * (reads.ts fetches and sorts those), or search.
 */
import type { Catalogue, CatalogueEntry, Order, Position, SortKey } from './catalogue.js';
import { INDEX_FIELDS, type PartialFilter } from './keys.js';
import { FILTER_WALK_STEPS_PER_MEMBER } from './limits.js';
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

/**
 * Up to `first + 1` matching entries strictly after `after` in the order, and the exact count of
 * matches; `undefined` when the walk does not apply (a song of the set is not held here, or the
 * set is too small for the walk to beat a sort).
 */
export function walkFilter(
  catalogue: Catalogue,
  ids: string[],
  filter: PartialFilter,
  page: { sort: SortKey; order: Order; first: number; after?: Position },
): { rows: CatalogueEntry[]; totalCount: number } | undefined {
  const matches = filterMatcher(filter);
  const hits = new Set<string>();
  for (const id of ids) {
    const e = catalogue.get(id);
    if (!e) return undefined;
    if (matches(e)) hits.add(id);
  }
  if (hits.size === 0) return { rows: [], totalCount: 0 };
  const expectedSteps = ((page.first + 1) * catalogue.size()) / hits.size;
  if (expectedSteps > FILTER_WALK_STEPS_PER_MEMBER * ids.length) return undefined;
  const rows = catalogue.page(page.sort, page.order, page.first + 1, page.after, (e) => hits.has(e.song.id));
  return { rows, totalCount: hits.size };
}
