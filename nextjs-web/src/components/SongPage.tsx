'use client';
/**
 * One page (cursor window) of the song list. The library renders one of these per loaded cursor;
 * the last one shows a sentinel that asks for the next page when it scrolls into view.
 * Pages use CSS content-visibility so thousands of loaded rows stay cheap to render.
 */
import { memo, useEffect, useMemo, useRef } from 'react';
import { useQuery } from 'urql';
import { SONGS_QUERY, type SongFilter, type SongNode, type SongSort, type SongsData } from '../lib/graphql';
import { SongRow } from './SongRow';
import { useApp } from './Providers';

export const PAGE_SIZE = 100;

export interface ListVars {
  filter: SongFilter | null;
  search: string | null;
  sort: SongSort | null;
  order: 'ASC' | 'DESC';
}

interface Props {
  vars: ListVars;
  after: string | null;
  pageIndex: number;
  isLast: boolean;
  onLoaded(pageIndex: number, songs: SongNode[], total: number): void;
  onMore(endCursor: string): void;
  onPlay(songId: string): void;
  onFilter(f: SongFilter): void;
}

function SongPageImpl({ vars, after, pageIndex, isLast, onLoaded, onMore, onPlay, onFilter }: Props) {
  const { mounted, libraryVersion } = useApp();
  const context = useMemo(
    () => ({
      requestPolicy: libraryVersion > 0 ? ('cache-and-network' as const) : ('cache-first' as const),
      v: libraryVersion,
    }),
    [libraryVersion],
  );
  const [res, reexecute] = useQuery<SongsData>({
    query: SONGS_QUERY,
    variables: { ...vars, first: PAGE_SIZE, after },
    pause: !mounted,
    context,
  });
  const songs = useMemo(() => res.data?.songs.edges.map((e) => e.node) ?? [], [res.data]);
  useEffect(() => {
    if (res.data) onLoaded(pageIndex, songs, res.data.songs.totalCount);
  }, [res.data, songs, pageIndex, onLoaded]);

  const sentinel = useRef<HTMLDivElement>(null);
  const end = res.data?.songs.pageInfo;
  useEffect(() => {
    if (!isLast || !end?.hasNextPage || !end.endCursor || !sentinel.current) return;
    const cursor = end.endCursor;
    const io = new IntersectionObserver(
      (entries) => entries.some((e) => e.isIntersecting) && onMore(cursor),
      { rootMargin: '800px 0px' },
    );
    io.observe(sentinel.current);
    return () => io.disconnect();
  }, [isLast, end?.hasNextPage, end?.endCursor, onMore]);

  if (res.error && !res.data) {
    return (
      <div className="list-error" role="alert">
        Could not load songs: {res.error.message}{' '}
        <button type="button" onClick={() => reexecute({ requestPolicy: 'network-only' })}>
          Retry
        </button>
      </div>
    );
  }
  if (!res.data) {
    return (
      <div className="song-page" aria-busy="true">
        {Array.from({ length: pageIndex === 0 ? 12 : 4 }, (_, i) => (
          <div key={i} className="song-row skeleton" />
        ))}
      </div>
    );
  }
  return (
    <div className="song-page" style={{ containIntrinsicSize: `auto ${songs.length * 56}px` }}>
      {songs.map((s, i) => (
        <SongRow
          key={s.id}
          song={s}
          index={pageIndex * PAGE_SIZE + i + 1}
          onPlay={onPlay}
          onFilter={onFilter}
        />
      ))}
      {isLast && end?.hasNextPage ? (
        <div ref={sentinel} className="load-more">
          <button type="button" onClick={() => end.endCursor && onMore(end.endCursor)}>
            Load more
          </button>
        </div>
      ) : null}
    </div>
  );
}

export const SongPage = memo(SongPageImpl);
