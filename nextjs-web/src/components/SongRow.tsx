'use client';
/** One song in a list: click to play (the list from here becomes the queue), add to queue, filter by artist/album/genre. */
import { memo } from 'react';
import type { SongFilter, SongNode } from '../lib/graphql';
import { formatTime } from '../lib/format';
import { Cover } from './Cover';
import { useApp } from './Providers';
import { usePlayerSelect } from './usePlayer';
import { toQueueSong } from './songs';

interface Props {
  song: SongNode;
  index: number;
  onPlay(songId: string): void;
  onFilter(f: SongFilter): void;
}

function SongRowImpl({ song, index, onPlay, onFilter }: Props) {
  const { engine } = useApp();
  const isCurrent = usePlayerSelect((st) => st.queue.items[st.queue.index]?.id === song.id);
  const playing = usePlayerSelect(
    (st) => isCurrent && (st.status === 'playing' || st.status === 'buffering' || st.status === 'loading'),
  );
  return (
    <div
      role="listitem"
      className={`song-row${isCurrent ? ' current' : ''}`}
      data-testid="song-row"
      data-song-id={song.id}
      onDoubleClick={() => onPlay(song.id)}
    >
      <span className="col-index">
        <span className="num">{isCurrent ? <span className="eq" aria-hidden="true" /> : index}</span>
        <button
          type="button"
          className="row-play"
          data-testid="play-song"
          aria-label={playing ? `Pause ${song.title}` : `Play ${song.title} by ${song.artist}`}
          onClick={() => (isCurrent ? engine?.toggle() : onPlay(song.id))}
        >
          {playing ? '❚❚' : '▶'}
        </button>
      </span>
      <Cover hash={song.coverArt} label={song.album || song.title} />
      <span className="col-title">
        <span className="title" data-testid="song-title">
          {song.title}
        </span>
        <button
          type="button"
          className="link artist"
          onClick={() => onFilter({ artist: song.artist })}
          aria-label={`Show songs by ${song.artist}`}
        >
          {song.artist}
        </button>
      </span>
      <span className="col-album">
        <button
          type="button"
          className="link"
          onClick={() => onFilter({ album: song.album })}
          aria-label={`Show album ${song.album}`}
        >
          {song.album}
        </button>
      </span>
      <span className="col-genre">
        <button
          type="button"
          className="link"
          onClick={() => onFilter({ genre: song.genre })}
          aria-label={`Show genre ${song.genre}`}
        >
          {song.genre}
        </button>
      </span>
      <span className="col-duration">{formatTime(song.duration)}</span>
      <span className="col-actions">
        <button
          type="button"
          className="icon"
          aria-label={`Play ${song.title} next`}
          title="Play next"
          onClick={() => engine?.playNext([toQueueSong(song)])}
        >
          ⤵
        </button>
        <button
          type="button"
          className="icon"
          aria-label={`Add ${song.title} to queue`}
          title="Add to queue"
          data-testid="enqueue-song"
          onClick={() => engine?.enqueue([toQueueSong(song)])}
        >
          +
        </button>
      </span>
    </div>
  );
}

export const SongRow = memo(SongRowImpl);
