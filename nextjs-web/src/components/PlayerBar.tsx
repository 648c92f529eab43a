'use client';
/**
 * The always-visible player: cover and title, previous / play-pause / next, a seek bar that can
 * jump anywhere, elapsed / total time, volume, the queue, and keyboard shortcuts
 * (Space play/pause, ←/→ seek 5 s, Shift+←/→ previous/next, ↑/↓ volume, M mute).
 */
import { useEffect, useState } from 'react';
import { formatTime } from '../lib/format';
import { current } from '../player/queue';
import { Cover } from './Cover';
import { useApp } from './Providers';
import { QueuePanel } from './QueuePanel';
import { usePlayerState } from './usePlayer';
import { NextIcon, PreviousIcon, VolumeIcon } from './Icons';

/** Seconds moved by ←/→. */
const SEEK_STEP_S = 5;
/** Volume change per ↑/↓. */
const VOLUME_STEP = 0.05;

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function PlayerBar() {
  const { engine } = useApp();
  const st = usePlayerState();
  const song = current(st.queue);
  const [scrub, setScrub] = useState<number | null>(null);
  const [queueOpen, setQueueOpen] = useState(false);

  useEffect(() => {
    if (!engine) return;
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      switch (e.key) {
        case ' ':
          if ((e.target as HTMLElement | null)?.tagName === 'BUTTON') return; // Space activates the focused button
          e.preventDefault();
          engine.toggle();
          break;
        case 'ArrowRight':
          e.preventDefault();
          if (e.shiftKey) engine.next();
          else engine.seekBy(SEEK_STEP_S);
          break;
        case 'ArrowLeft':
          e.preventDefault();
          if (e.shiftKey) engine.previous();
          else engine.seekBy(-SEEK_STEP_S);
          break;
        case 'ArrowUp':
          e.preventDefault();
          engine.setVolume(engine.getState().volume + VOLUME_STEP);
          break;
        case 'ArrowDown':
          e.preventDefault();
          engine.setVolume(engine.getState().volume - VOLUME_STEP);
          break;
        case 'm':
        case 'M':
          engine.toggleMute();
          break;
        default:
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [engine]);

  const playing = st.status === 'playing' || st.status === 'buffering' || st.status === 'loading';
  const duration = st.duration || song?.duration || 0;
  const pos = scrub ?? st.position;
  const pct = duration > 0 ? Math.min(100, (pos / duration) * 100) : 0;
  const bufPct = duration > 0 ? Math.min(100, ((st.position + st.bufferedAhead) / duration) * 100) : 0;

  return (
    <footer className="player" aria-label="Player" data-testid="player" data-status={st.status}>
      <div className="now">
        {song ? (
          <Cover hash={song.coverArt} label={song.album || song.title} size={48} />
        ) : (
          <span className="cover cover-fallback" style={{ width: 48, height: 48 }} aria-hidden="true">
            ♪
          </span>
        )}
        <div className="now-text">
          <div className="now-title" data-testid="now-playing-title">
            {song?.title ?? 'Nothing playing'}
          </div>
          <div className="now-artist">{song ? song.artist : 'Pick a song to start'}</div>
        </div>
      </div>
      <div className="transport">
        <div className="buttons">
          <button
            type="button"
            className="icon"
            aria-label="Previous"
            data-testid="prev-button"
            onClick={() => engine?.previous()}
            disabled={!song}
          >
            <PreviousIcon />
          </button>
          <button
            type="button"
            className="play-main"
            aria-label={playing ? 'Pause' : 'Play'}
            data-testid="play-pause"
            onClick={() => engine?.toggle()}
            disabled={!song}
          >
            {playing ? '❚❚' : '▶'}
          </button>
          <button
            type="button"
            className="icon"
            aria-label="Next"
            data-testid="next-button"
            onClick={() => engine?.next()}
            disabled={st.queue.index + 1 >= st.queue.items.length}
          >
            <NextIcon />
          </button>
        </div>
        <div className="seek">
          <span className="time" data-testid="time-elapsed">
            {formatTime(pos)}
          </span>
          <div
            className="seek-track"
            style={{ ['--pct' as string]: `${pct}%`, ['--buf' as string]: `${bufPct}%` }}
          >
            <input
              type="range"
              min={0}
              max={duration || 0}
              step={0.1}
              value={Math.min(pos, duration || 0)}
              disabled={!song || !duration}
              aria-label="Seek"
              aria-valuetext={`${formatTime(pos)} of ${formatTime(duration)}`}
              data-testid="seek-bar"
              onChange={(e) => setScrub(Number(e.target.value))}
              onPointerUp={() => scrub !== null && (engine?.seek(scrub), setScrub(null))}
              onKeyUp={() => scrub !== null && (engine?.seek(scrub), setScrub(null))}
              onBlur={() => scrub !== null && (engine?.seek(scrub), setScrub(null))}
            />
          </div>
          <span className="time" data-testid="time-total">
            {formatTime(duration)}
          </span>
        </div>
        <span className="sr-only" data-testid="time-display" aria-live="off">
          {formatTime(pos)} / {formatTime(duration)}
        </span>
        {st.status === 'buffering' ? <span className="status-note">Buffering…</span> : null}
        {st.error ? (
          <span className="status-note error" role="alert" data-testid="player-error">
            {st.error}
          </span>
        ) : null}
      </div>
      <div className="extras">
        <button
          type="button"
          className="icon"
          aria-label={st.muted ? 'Unmute' : 'Mute'}
          onClick={() => engine?.toggleMute()}
        >
          <VolumeIcon level={st.muted || st.volume === 0 ? 'muted' : st.volume < 0.5 ? 'low' : 'high'} />
        </button>
        <input
          className="volume"
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={st.muted ? 0 : st.volume}
          aria-label="Volume"
          data-testid="volume"
          onChange={(e) => engine?.setVolume(Number(e.target.value))}
        />
        <button
          type="button"
          className={`icon${queueOpen ? ' active' : ''}`}
          aria-label="Queue"
          aria-expanded={queueOpen}
          data-testid="queue-toggle"
          onClick={() => setQueueOpen((o) => !o)}
        >
          ☰<span className="badge">{st.queue.items.length || ''}</span>
        </button>
      </div>
      {queueOpen ? <QueuePanel onClose={() => setQueueOpen(false)} /> : null}
    </footer>
  );
}
