/**
 * Read path: one song, listings (scatter-gather over every tracker's catalogue), exact filters
 * (one batched DHT set read; big ones walk the local sorted index, filter-walk.ts), free-text
 * search (candidates.ts, then verification and ranking on the records, relevance.ts), facets.
 * Records are read local-first: this tracker's catalogue, then the likely holders in one batched
 * app RPC each, then plain DHT lookups.
 *
 * Does not: write (writes.ts) or define keys (keys.ts).
 */
import type { KademliaNode } from '@gotify/dht';
import {
  filterLookupName,
  filterName,
  indexReadKeys,
  INDEX_FIELDS,
  songKey,
  type PartialFilter,
} from './keys.js';
import {
  comparePositions,
  makeEntry,
  positionOf,
  recordPosition,
  type Catalogue,
  type CatalogueEntry,
  type FacetCounts,
  type Order,
  type Position,
  type SortKey,
} from './catalogue.js';
import { decodeCursor, encodeCursor, type Ordering } from './cursor.js';
import { makeScorer, queryWords } from './search.js';
import { compareStamps, decodeSong, type VersionedSong } from './record.js';
import { badInput } from './errors.js';
import { mapLimit } from '@gotify/dht';
import { makeSearchReads, rankedCandidates, searchIds as vocabSearchIds } from './candidates.js';
import { filterMatcher, makeFilterWalker } from './filter-walk.js';
import { makeSongNumbers, type SongNumbers } from './song-numbers.js';
import { makeVerifier, verifyFirstPage, type ScoredRow } from './relevance.js';
import { firstInOrder } from './first-in-order.js';
import type { Scatter } from './scatter.js';
import {
  DHT_CONCURRENCY,
  MAX_FACET_VALUES,
  MAX_FIELD_LENGTH,
  MAX_PAGE_SIZE,
  MAX_SEARCH_LENGTH,
  SEARCH_FIRST_BUCKETS,
  SEARCH_VERIFY_CHUNK,
  WORD_BUCKETS,
} from './limits.js';

export interface SongsArgs {
  filter?: PartialFilter | null;
  search?: string | null;
  sort?: SortKey | null;
  order?: Order | null;
  first?: number | null;
  after?: string | null;
}
export interface SongEdge {
  cursor: string;
  node: VersionedSong;
  score: number | null;
}
export interface SongsPage {
  edges: SongEdge[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
  totalCount: number;
}
export interface FacetValue {
  value: string;
  count: number;
}
export interface Facets {
  artists: FacetValue[];
  albums: FacetValue[];
  genres: FacetValue[];
}

export interface Reads {
  songs(args: SongsArgs): Promise<SongsPage>;
  facets(filter?: PartialFilter | null): Promise<Facets>;
  /** Record entries for ids, local-first; ids without a live record are absent. */
  entries(ids: string[]): Promise<CatalogueEntry[]>;
}

function checkFilter(filter: PartialFilter | null | undefined): PartialFilter | undefined {
  if (!filter) return undefined;
  const out: PartialFilter = {};
  for (const f of INDEX_FIELDS) {
    const v = filter[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v.length > MAX_FIELD_LENGTH)
      throw badInput(`filter.${f} must be a string of at most ${MAX_FIELD_LENGTH} characters`);
    out[f] = v;
  }
  return filterName(out) ? out : undefined;
}

function mergeFacets(lists: FacetCounts): Facets {
  const fold = (rows: [string, string, number][]): FacetValue[] => {
    const m = new Map<string, FacetValue>();
    for (const [norm, display, count] of rows) {
      const cur = m.get(norm);
      if (cur) cur.count += count;
      else m.set(norm, { value: display, count });
    }
    return [...m.values()]
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, MAX_FACET_VALUES);
  };
  return { artists: fold(lists.artists), albums: fold(lists.albums), genres: fold(lists.genres) };
}

export function makeReads(
  node: KademliaNode,
  catalogue: Catalogue,
  scatter: Scatter,
  /** Song numbers of this tracker's searches (a posting list is numbered once, not per search). @default a new one */
  numbers: SongNumbers = makeSongNumbers(),
): Reads {
  async function entries(ids: string[]): Promise<CatalogueEntry[]> {
    const out: CatalogueEntry[] = [];
    let missing: string[] = [];
    for (const id of ids) {
      const e = catalogue.get(id);
      if (e) out.push(e);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const remote = await scatter.records(missing, missing.map(songKey));
    for (const v of remote.values()) out.push(makeEntry(v.song, v.stamp));
    missing = missing.filter((id) => !remote.has(id));
    const fetched = await mapLimit(missing, DHT_CONCURRENCY, async (id) => {
      const r = await node.getRecord(songKey(id)).catch(() => undefined);
      const song = r && !r.deleted ? decodeSong(r.bytes) : undefined;
      return song && typeof song.title === 'string' && song.id === id ? makeEntry(song, r!.stamp) : undefined;
    });
    for (const e of fetched) if (e) out.push(e);
    return out;
  }

  const walkFilter = makeFilterWalker(catalogue);
  /** The exact filter's index set, one list per bucket, in one batched read. */
  const filterLists = (filter: PartialFilter): Promise<string[][]> =>
    node.getSetMany(indexReadKeys(filterLookupName(filter)!), { localFirst: true });

  /**
   * Ids matching the exact filter (its buckets in one batched read, or `lists` already read) and/or
   * the search vocabulary; verified later.
   */
  async function candidates(
    filter: PartialFilter | undefined,
    qs: string[] | undefined,
    lists?: string[][],
  ): Promise<string[]> {
    const filterSet = filter
      ? (lists ? Promise.resolve(lists) : filterLists(filter)).then((l) => [...new Set(l.flat())])
      : undefined;
    const searchIds = qs ? await vocabSearchIds(node, qs) : undefined;
    const fIds = filterSet ? await filterSet : undefined;
    if (fIds && searchIds) return fIds.filter((id) => searchIds!.has(id));
    return fIds ?? [...(searchIds ?? [])];
  }

  /**
   * A listed song's position: the held entry's (positionOf) when it is the same version, else one
   * built from the record's normalised fields alone, not a whole catalogue entry (its search words
   * and key hash, ~300 of them a page of 100 from 3 trackers).
   */
  function listedPosition(it: VersionedSong, sort: SortKey): Position {
    const e = catalogue.get(it.song.id);
    if (e && compareStamps(e.stamp, it.stamp) === 0) return positionOf(e, sort);
    return recordPosition(it.song, sort);
  }

  async function songs(args: SongsArgs): Promise<SongsPage> {
    const first = args.first ?? 50;
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE)
      throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`);
    const order: Order = args.order ?? 'ASC';
    const filter = checkFilter(args.filter);
    if (args.search && args.search.length > MAX_SEARCH_LENGTH)
      throw badInput(`search is longer than ${MAX_SEARCH_LENGTH} characters`);
    const qsAll = args.search ? queryWords(args.search) : [];
    const qs = qsAll.length > 0 ? qsAll : undefined;
    const ordering: Ordering =
      qs && !args.sort ? { kind: 'relevance' } : { kind: 'sort', sort: args.sort ?? 'TITLE', order };
    const after = args.after ? decodeCursor(ordering, args.after) : undefined;

    if (!filter && !qs && ordering.kind === 'sort') {
      const pos: Position | undefined = after?.kind === 'sort' ? { v: after.v, id: after.id } : undefined;
      const { items, count } = await scatter.page(
        { sort: ordering.sort, order, first: first + 1, after: pos },
        'count',
      );
      const ranked = items
        .map((it) => ({ it, p: listedPosition(it, ordering.sort) }))
        .sort((a, b) => (order === 'ASC' ? 1 : -1) * comparePositions(a.p, b.p));
      const page = ranked.slice(0, first);
      const edges = page.map(({ it, p }) => ({
        cursor: encodeCursor(ordering, { kind: 'sort', ...p }),
        node: it,
        score: null,
      }));
      return {
        edges,
        pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: ranked.length > first },
        totalCount: count,
      };
    }

    if (qs && !filter && ordering.kind === 'relevance' && !after) return searchFirstPage(qs, first);
    let lists: string[][] | undefined;
    if (filter && !qs && ordering.kind === 'sort') {
      const pos = after?.kind === 'sort' ? { v: after.v, id: after.id } : undefined;
      lists = await filterLists(filter);
      const walked = walkFilter(filterName(filter)!, lists, filter, {
        sort: ordering.sort,
        order,
        first,
        after: pos,
      });
      if (walked) {
        const edges = walked.rows.slice(0, first).map((e) => ({
          cursor: encodeCursor(ordering, { kind: 'sort', ...positionOf(e, ordering.sort) }),
          node: { song: e.song, stamp: e.stamp },
          score: null,
        }));
        return {
          edges,
          pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: walked.rows.length > first },
          totalCount: walked.totalCount,
        };
      }
    }
    const ids = await candidates(filter, qs, lists);
    const matches = filter ? filterMatcher(filter) : undefined;
    const scoreOf = qs ? makeScorer(qs) : undefined;
    const verified: { e: CatalogueEntry; score: number }[] = [];
    for (const e of await entries(ids)) {
      if (matches && !matches(e)) continue;
      const score = scoreOf ? scoreOf(e.terms) : 0;
      if (qs && score === 0) continue;
      verified.push({ e, score });
    }
    // Only the page's rows and the one after it (hasNextPage) are put in order and get a cursor:
    // sorting a filter's 563 verified songs and encoding 563 cursors for a page of 20 took ~5 ms.
    let rows: { e: CatalogueEntry; score: number; cursor: string }[];
    if (ordering.kind === 'relevance') {
      const rest =
        after?.kind === 'relevance'
          ? verified.filter(
              (r) => r.score < after.score || (r.score === after.score && r.e.song.id > after.id),
            )
          : verified;
      rows = firstInOrder(
        rest,
        first + 1,
        (a, b) => b.score - a.score || (a.e.song.id < b.e.song.id ? -1 : 1),
      ).map((r) => ({
        ...r,
        cursor: encodeCursor(ordering, { kind: 'relevance', score: r.score, id: r.e.song.id }),
      }));
    } else {
      const dir = order === 'ASC' ? 1 : -1;
      const sort = ordering.sort;
      const rest =
        after?.kind === 'sort'
          ? verified.filter((r) => dir * comparePositions(positionOf(r.e, sort), after) > 0)
          : verified;
      rows = firstInOrder(
        rest,
        first + 1,
        (a, b) => dir * comparePositions(positionOf(a.e, sort), positionOf(b.e, sort)),
      ).map((r) => ({
        e: r.e,
        score: r.score,
        cursor: encodeCursor(ordering, { kind: 'sort', ...positionOf(r.e, sort) }),
      }));
    }
    const page = rows.slice(0, first);
    const edges = page.map((r) => ({
      cursor: r.cursor,
      node: { song: r.e.song, stamp: r.e.stamp },
      score: qs ? r.score : null,
    }));
    return {
      edges,
      pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: rows.length > first },
      totalCount: verified.length,
    };
  }

  /**
   * First page of a relevance search (relevance.ts), planned with the catalogue's word counts and
   * read bucket by bucket (from SEARCH_FIRST_BUCKETS): ties rank by id and bucket 0 holds the smallest
   * ids, so once the page's last row reaches the highest score any song can get (plan.finalAt),
   * the buckets not read cannot change it. totalCount is then an estimate: the matches of the
   * buckets read, scaled to all of them.
   */
  async function searchFirstPage(qs: string[], first: number): Promise<SongsPage> {
    const reads = makeSearchReads(node, numbers);
    const verify = makeVerifier(qs, entries, await reads.known(qs));
    let rows: ScoredRow[] = [];
    let totalCount = 0;
    for (let buckets = SEARCH_FIRST_BUCKETS; ;) {
      const plan = await rankedCandidates(reads, qs, catalogue.wordSongs, { buckets });
      const page = await verifyFirstPage(qs, plan.ranked, first, entries, SEARCH_VERIFY_CHUNK, verify);
      rows = page.rows;
      const last = rows.length > first ? rows[first]!.score : 0;
      if (plan.finalAt === 0) {
        totalCount = page.totalCount;
        break;
      }
      if (last >= plan.finalAt) {
        totalCount = Math.round((page.totalCount * WORD_BUCKETS) / buckets);
        break;
      }
      // Read as many more buckets as the rows at the top score so far say the page needs
      // (none found: all of them), with a margin, so a search takes at most a few rounds.
      const top = plan.finalAt === Infinity ? 0 : rows.filter((r) => r.score >= plan.finalAt).length;
      buckets =
        top === 0 ? WORD_BUCKETS : Math.min(WORD_BUCKETS, Math.ceil((2 * buckets * (first + 1)) / top));
    }
    const ordering: Ordering = { kind: 'relevance' };
    const edges = rows.slice(0, first).map((r) => ({
      cursor: encodeCursor(ordering, { kind: 'relevance', score: r.score, id: r.e.song.id }),
      node: { song: r.e.song, stamp: r.e.stamp },
      score: r.score,
    }));
    return {
      edges,
      pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: rows.length > first },
      totalCount,
    };
  }

  async function facets(rawFilter?: PartialFilter | null): Promise<Facets> {
    const filter = checkFilter(rawFilter);
    if (!filter)
      return mergeFacets((await scatter.page({ sort: 'TITLE', order: 'ASC', first: 0 }, 'facets')).facets);
    const rows: FacetCounts = { artists: [], albums: [], genres: [] };
    const matches = filterMatcher(filter);
    for (const e of await entries(await candidates(filter, undefined))) {
      if (!matches(e)) continue;
      rows.artists.push([e.norm.artist, e.song.artist, 1]);
      rows.albums.push([e.norm.album, e.song.album, 1]);
      rows.genres.push([e.norm.genre, e.song.genre, 1]);
    }
    return mergeFacets(rows);
  }

  return { songs, facets, entries };
}
