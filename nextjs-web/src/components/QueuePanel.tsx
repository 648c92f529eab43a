'use client';
/** The play queue: what is playing, what comes next; jump to or remove any entry. */
import { formatTime } from '../lib/format';
import { useApp } from './Providers';
import { usePlayerState } from './usePlayer';

export function QueuePanel({ onClose }: { onClose(): void }) {
  const { engine } = useApp();
  const { queue } = usePlayerState();
  return (
    <aside className="queue" aria-label="Play queue" data-testid="queue-panel">
      <header>
        <h2>Queue</h2>
        <button type="button" className="icon" aria-label="Close queue" onClick={onClose}>
          ✕
        </button>
      </header>
      {queue.items.length === 0 ? (
        <p className="muted">The queue is empty. Play a song or add one with +.</p>
      ) : null}
      <ol>
        {queue.items.map((s, i) => (
          <li
            key={`${s.id}:${i}`}
            className={i === queue.index ? 'current' : i < queue.index ? 'played' : ''}
            data-testid="queue-item"
          >
            <button
              type="button"
              className="queue-jump"
              aria-label={`Play ${s.title}`}
              onClick={() => engine?.jump(i)}
            >
              <span className="q-title">{s.title}</span>
              <span className="q-artist">{s.artist}</span>
            </button>
            <span className="q-dur">{formatTime(s.duration)}</span>
            <button
              type="button"
              className="icon"
              aria-label={`Remove ${s.title} from queue`}
              onClick={() => engine?.removeAt(i)}
            >
              ✕
            </button>
          </li>
        ))}
      </ol>
    </aside>
  );
}
