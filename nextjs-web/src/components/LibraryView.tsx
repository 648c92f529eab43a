'use client';
/**
 * The library: search as you type (debounced, typo-tolerant on the server), sort, artist/album/
 * genre facets with counts, and an infinitely scrolling list of cursor pages. Clicking a song
 * queues the loaded list from that song on.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import {
  FACETS_QUERY,
  type FacetsData,
  type FacetValue,
  type SongFilter,
  type SongNode,
  type SongSort,
} from '../lib/graphql';
import { useApp } from './Providers';
import { SongPage, type ListVars } from './SongPage';
import { toQueueSong } from './songs';
import { ClockIcon } from './Icons';

/** Typing pause before a search is sent. */
const SEARCH_DEBOUNCE_MS = 250;
/** Songs put in the queue when a row is clicked (the rest of the list stays one click away). */
const QUEUE_FROM_LIST_MAX = 500;

type SortChoice = 'RELEVANCE' | SongSort;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function FacetSelect({
  label,
  testId,
  values,
  value,
  onChange,
}: {
  label: string;
  testId: string;
  values: FacetValue[];
  value: string | undefined;
  onChange(v: string | undefined): void;
}) {
  return (
    <label className="facet">
      <span>{label}</span>
      <select
        data-testid={testId}
        aria-label={`Filter by ${label.toLowerCase()}`}
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value || undefined)}
      >
        <option value="">All {label.toLowerCase()}s</option>
        {value && !values.some((f) => f.value === value) ? <option value={value}>{value}</option> : null}
        {values.map((f) => (
          <option key={f.value} value={f.value}>
            {f.value} ({f.count})
          </option>
        ))}
      </select>
    </label>
  );
}

export function LibraryView() {
  const { engine, mounted, libraryVersion } = useApp();
  const [text, setText] = useState('');
  const search = useDebounced(text.trim(), SEARCH_DEBOUNCE_MS);
  const [filter, setFilter] = useState<SongFilter>({});
  const [sortChoice, setSortChoice] = useState<SortChoice>('RELEVANCE');
  const [order, setOrder] = useState<'ASC' | 'DESC'>('ASC');

  const hasFilter = !!(filter.artist || filter.album || filter.genre);
  const vars: ListVars = useMemo(
    () => ({
      filter: hasFilter ? filter : null,
      search: search || null,
      sort: sortChoice === 'RELEVANCE' ? (search ? null : 'UPLOADED_AT') : sortChoice,
      order: sortChoice === 'RELEVANCE' && !search ? 'DESC' : order,
    }),
    [filter, hasFilter, search, sortChoice, order],
  );
  const varsKey = JSON.stringify(vars);

  // Cursors belong to one query: a new search/filter/sort starts again from the first page.
  const [pages, setPages] = useState<{ key: string; cursors: Array<string | null> }>({
    key: varsKey,
    cursors: [null],
  });
  const cursors = pages.key === varsKey ? pages.cursors : [null];
  const [total, setTotal] = useState<number | null>(null);
  // Loaded rows per page, for "play from here"; keyed by query so a late page of an old query never mixes in.
  const loaded = useRef(new Map<string, Map<number, SongNode[]>>());
  useEffect(() => setTotal(null), [varsKey]);

  const onLoaded = useCallback(
    (i: number, songs: SongNode[], t: number) => {
      for (const k of loaded.current.keys()) if (k !== varsKey) loaded.current.delete(k);
      const m = loaded.current.get(varsKey) ?? new Map<number, SongNode[]>();
      m.set(i, songs);
      loaded.current.set(varsKey, m);
      if (i === 0) setTotal(t);
    },
    [varsKey],
  );
  const onMore = useCallback(
    (cursor: string) =>
      setPages((p) => {
        const base = p.key === varsKey ? p.cursors : [null];
        return { key: varsKey, cursors: base.includes(cursor) ? base : [...base, cursor] };
      }),
    [varsKey],
  );
  const onPlay = useCallback(
    (songId: string) => {
      const all = [...(loaded.current.get(varsKey) ?? new Map<number, SongNode[]>()).entries()]
        .sort((a, b) => a[0] - b[0])
        .flatMap(([, s]) => s);
      const at = all.findIndex((s) => s.id === songId);
      if (at < 0 || !engine) return;
      engine.playList(all.slice(at, at + QUEUE_FROM_LIST_MAX).map(toQueueSong), 0);
    },
    [engine, varsKey],
  );
  const onFilter = useCallback((f: SongFilter) => setFilter((old) => ({ ...old, ...f })), []);

  const facetsContext = useMemo(
    () => ({
      requestPolicy: libraryVersion > 0 ? ('cache-and-network' as const) : ('cache-first' as const),
      v: libraryVersion,
    }),
    [libraryVersion],
  );
  const [facets] = useQuery<FacetsData>({
    query: FACETS_QUERY,
    variables: { filter: hasFilter ? filter : null },
    pause: !mounted,
    context: facetsContext,
  });
  const f = facets.data?.facets;

  return (
    <section className="library" aria-label="Library">
      <div className="toolbar">
        <div className="search">
          <input
            type="search"
            data-testid="search-input"
            aria-label="Search songs, artists, albums"
            placeholder="Search songs, artists, albums…"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => e.key === 'Escape' && setText('')}
          />
        </div>
        <label className="sort">
          <span>Sort</span>
          <select
            data-testid="sort-select"
            aria-label="Sort by"
            value={sortChoice}
            onChange={(e) => setSortChoice(e.target.value as SortChoice)}
          >
            <option value="RELEVANCE">{search ? 'Relevance' : 'Recently added'}</option>
            <option value="TITLE">Title</option>
            <option value="ARTIST">Artist</option>
            <option value="ALBUM">Album</option>
            <option value="UPLOADED_AT">Upload date</option>
          </select>
        </label>
        <button
          type="button"
          className="icon order"
          data-testid="order-toggle"
          disabled={sortChoice === 'RELEVANCE'}
          aria-label={
            order === 'ASC'
              ? 'Ascending order; switch to descending'
              : 'Descending order; switch to ascending'
          }
          onClick={() => setOrder((o) => (o === 'ASC' ? 'DESC' : 'ASC'))}
        >
          {order === 'ASC' ? '↑' : '↓'}
        </button>
      </div>
      <div className="facets" aria-label="Filters">
        <FacetSelect
          label="Artist"
          testId="facet-artist"
          values={f?.artists ?? []}
          value={filter.artist}
          onChange={(artist) => setFilter((o) => ({ ...o, artist }))}
        />
        <FacetSelect
          label="Album"
          testId="facet-album"
          values={f?.albums ?? []}
          value={filter.album}
          onChange={(album) => setFilter((o) => ({ ...o, album }))}
        />
        <FacetSelect
          label="Genre"
          testId="facet-genre"
          values={f?.genres ?? []}
          value={filter.genre}
          onChange={(genre) => setFilter((o) => ({ ...o, genre }))}
        />
        {hasFilter ? (
          <button
            type="button"
            className="chip"
            data-testid="clear-filters"
            onClick={() => setFilter({})}
            aria-label="Clear filters"
          >
            Clear filters ✕
          </button>
        ) : null}
      </div>
      <div className="list-head" aria-hidden="true">
        <span className="col-index">#</span>
        <span />
        <span className="col-title">Title</span>
        <span className="col-album">Album</span>
        <span className="col-genre">Genre</span>
        <span className="col-duration" aria-label="Duration">
          <ClockIcon />
        </span>
        <span className="col-actions" />
      </div>
      <p className="count" data-testid="song-count" aria-live="polite">
        {total === null
          ? 'Loading…'
          : total === 0
            ? search || hasFilter
              ? 'No songs match.'
              : 'No songs yet — drop some audio files here to upload.'
            : `${total.toLocaleString()} song${total === 1 ? '' : 's'}`}
      </p>
      <div className="song-list" role="list" data-testid="song-list">
        {cursors.map((after, i) => (
          <SongPage
            key={`${varsKey}:${after ?? ''}`}
            vars={vars}
            after={after}
            pageIndex={i}
            isLast={i === cursors.length - 1}
            onLoaded={onLoaded}
            onMore={onMore}
            onPlay={onPlay}
            onFilter={onFilter}
          />
        ))}
      </div>
    </section>
  );
}
