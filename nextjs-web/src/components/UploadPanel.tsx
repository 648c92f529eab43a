'use client';
/**
 * Upload drawer: drop or pick one or many files; each is inspected (/upload/inspect) and its tags
 * shown editable; Save sends it with a byte progress bar and the server's phases. Songs appear in
 * the library when done (the library version is bumped → lists refetch from the network).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { formatBytes, formatTime } from '../lib/format';
import type { UploadProgress } from '../lib/ndjson';
import {
  UploadError,
  inspectFile,
  precheck,
  uploadFile,
  type InspectedTags,
  type TagEdits,
} from '../lib/upload';
import { useApp } from './Providers';

type ItemPhase = 'inspecting' | 'ready' | 'uploading' | 'done' | 'error';

interface Item {
  key: string;
  file: File;
  phase: ItemPhase;
  tags: InspectedTags;
  edits: TagEdits;
  sent: number;
  serverPhase: UploadProgress['phase'] | null;
  serverDone?: number;
  serverTotal?: number;
  error: string | null;
  songId?: string;
}

const PHASE_LABEL: Record<UploadProgress['phase'], string> = {
  receiving: 'Receiving',
  parsing: 'Reading tags',
  storing: 'Storing chunks on peers',
  publishing: 'Publishing manifest',
  indexing: 'Indexing metadata',
  done: 'Done',
  error: 'Failed',
};

function editsFrom(file: File, t: InspectedTags): TagEdits {
  const base = file.name.replace(/\.[^.]+$/, '');
  return {
    title: t.title ?? base,
    artist: t.artist ?? '',
    album: t.album ?? '',
    genre: t.genre ?? '',
    year: t.year ? String(t.year) : '',
    track: (t.track ?? t.trackNumber) ? String(t.track ?? t.trackNumber) : '',
  };
}

let seq = 0;

export function UploadPanel() {
  const { rotation, uploadOpen, setUploadOpen, droppedFiles, setDroppedFiles, bumpLibrary } = useApp();
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  const patch = useCallback(
    (key: string, p: Partial<Item>) =>
      setItems((list) => list.map((it) => (it.key === key ? { ...it, ...p } : it))),
    [],
  );

  const addFiles = useCallback(
    (files: File[]) => {
      const fresh: Item[] = files.map((file) => {
        const bad = precheck(file);
        return {
          key: `f${++seq}`,
          file,
          phase: bad ? 'error' : 'inspecting',
          tags: {},
          edits: editsFrom(file, {}),
          sent: 0,
          serverPhase: null,
          error: bad?.message ?? null,
        };
      });
      setItems((list) => [...list, ...fresh]);
      for (const it of fresh) {
        if (it.phase !== 'inspecting') continue;
        inspectFile(rotation, it.file).then(
          (tags) => patch(it.key, { phase: 'ready', tags, edits: editsFrom(it.file, tags) }),
          (e: unknown) =>
            e instanceof UploadError && (e.status === 413 || e.status === 415)
              ? patch(it.key, { phase: 'error', error: e.message })
              : patch(it.key, {
                  phase: 'ready',
                  error: `Could not read tags (${(e as Error).message}); fill them in below.`,
                }),
        );
      }
    },
    [rotation, patch],
  );

  useEffect(() => {
    if (droppedFiles.length) {
      addFiles(droppedFiles);
      setDroppedFiles([]);
    }
  }, [droppedFiles, addFiles, setDroppedFiles]);

  const save = useCallback(
    (it: Item) => {
      patch(it.key, { phase: 'uploading', error: null, sent: 0, serverPhase: null });
      const h = uploadFile(rotation, it.file, it.edits, {
        onBytes: (sent) => patch(it.key, { sent }),
        onPhase: (p) => patch(it.key, { serverPhase: p.phase, serverDone: p.done, serverTotal: p.total }),
      });
      h.promise.then(
        (song) => {
          patch(it.key, { phase: 'done', serverPhase: 'done', sent: it.file.size, songId: song?.id });
          bumpLibrary();
        },
        (e: unknown) =>
          patch(it.key, {
            phase: 'error',
            error:
              e instanceof UploadError
                ? e.message
                : `Upload failed: ${(e as Error).message}. Is any API node up?`,
          }),
      );
    },
    [rotation, patch, bumpLibrary],
  );

  if (!uploadOpen) return null;
  const ready = items.filter((i) => i.phase === 'ready');

  return (
    <div className="upload-backdrop" onClick={(e) => e.target === e.currentTarget && setUploadOpen(false)}>
      <section
        className="upload"
        role="dialog"
        aria-modal="true"
        aria-label="Upload songs"
        data-testid="upload-panel"
      >
        <header>
          <h2>Upload</h2>
          <button
            type="button"
            className="icon"
            aria-label="Close upload"
            onClick={() => setUploadOpen(false)}
          >
            ✕
          </button>
        </header>
        <div
          className={`dropzone${dragging ? ' over' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            addFiles(Array.from(e.dataTransfer.files));
          }}
        >
          <p>Drop audio files here</p>
          <button type="button" onClick={() => inputRef.current?.click()}>
            Choose files…
          </button>
          <input
            ref={inputRef}
            type="file"
            multiple
            accept="audio/*,.mp3,.flac,.ogg,.opus,.m4a,.wav"
            data-testid="upload-input"
            aria-label="Choose audio files to upload"
            className="sr-only"
            onChange={(e) => {
              addFiles(Array.from(e.target.files ?? []));
              e.target.value = '';
            }}
          />
          <p className="muted">MP3, FLAC, Ogg, M4A, WAV · up to 200 MB each · tags are read for you</p>
        </div>
        {ready.length > 1 ? (
          <button
            type="button"
            className="primary save-all"
            data-testid="upload-save-all"
            onClick={() => ready.forEach(save)}
          >
            Save all ({ready.length})
          </button>
        ) : null}
        <ul className="upload-items">
          {items.map((it) => (
            <UploadItem
              key={it.key}
              it={it}
              onEdit={(edits) => patch(it.key, { edits })}
              onSave={() => save(it)}
              onRemove={() => setItems((l) => l.filter((x) => x.key !== it.key))}
            />
          ))}
        </ul>
      </section>
    </div>
  );
}

function UploadItem({
  it,
  onEdit,
  onSave,
  onRemove,
}: {
  it: Item;
  onEdit(e: TagEdits): void;
  onSave(): void;
  onRemove(): void;
}) {
  const field = (k: keyof TagEdits, label: string, type = 'text') => (
    <label className={`field field-${k}`}>
      <span>{label}</span>
      <input
        type={type}
        value={it.edits[k]}
        disabled={it.phase !== 'ready'}
        data-testid={`upload-${k}`}
        aria-label={`${label} of ${it.file.name}`}
        onChange={(e) => onEdit({ ...it.edits, [k]: e.target.value })}
      />
    </label>
  );
  const bytePct = it.file.size ? Math.round((it.sent / it.file.size) * 100) : 0;
  const serverPct = it.serverTotal ? Math.round(((it.serverDone ?? 0) / it.serverTotal) * 100) : null;
  return (
    <li className={`upload-item ${it.phase}`} data-testid="upload-item" data-phase={it.phase}>
      <div className="upload-head">
        {it.tags.coverArt || it.tags.cover ? (
          <img className="cover" src={(it.tags.coverArt ?? it.tags.cover)!} alt="" width={56} height={56} />
        ) : (
          <span className="cover cover-fallback" style={{ width: 56, height: 56 }} aria-hidden="true">
            ♪
          </span>
        )}
        <div className="upload-file">
          <strong>{it.file.name}</strong>
          <span className="muted">
            {formatBytes(it.file.size)}
            {it.tags.duration ? ` · ${formatTime(it.tags.duration)}` : ''}
            {it.tags.codec ? ` · ${it.tags.codec}` : ''}
            {it.tags.bitrate ? ` · ${Math.round(it.tags.bitrate / 1000)} kbit/s` : ''}
          </span>
        </div>
        {it.phase !== 'uploading' ? (
          <button
            type="button"
            className="icon"
            aria-label={`Remove ${it.file.name} from the list`}
            onClick={onRemove}
          >
            ✕
          </button>
        ) : null}
      </div>
      {it.phase === 'inspecting' ? <p className="muted">Reading tags…</p> : null}
      {it.phase === 'ready' || it.phase === 'uploading' || it.phase === 'done' ? (
        <form
          className="tags"
          onSubmit={(e) => {
            e.preventDefault();
            onSave();
          }}
        >
          {field('title', 'Title')}
          {field('artist', 'Artist')}
          {field('album', 'Album')}
          {field('genre', 'Genre')}
          {field('year', 'Year', 'number')}
          {field('track', 'Track', 'number')}
          {it.phase === 'ready' ? (
            <button
              type="submit"
              className="primary"
              data-testid="upload-save"
              aria-label={`Save ${it.file.name}`}
            >
              Save
            </button>
          ) : null}
        </form>
      ) : null}
      {it.phase === 'uploading' || it.phase === 'done' ? (
        <div className="progress-block">
          <div
            className="progress"
            role="progressbar"
            aria-label={`Upload of ${it.file.name}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={it.phase === 'done' ? 100 : bytePct}
            data-testid="upload-progress"
          >
            <div className="bar" style={{ width: `${it.phase === 'done' ? 100 : bytePct}%` }} />
          </div>
          <span className="muted" data-testid="upload-phase">
            {it.phase === 'done'
              ? 'Saved — it is in the library'
              : it.serverPhase
                ? `${PHASE_LABEL[it.serverPhase]}${serverPct !== null ? ` ${serverPct}%` : ''}`
                : `Uploading ${bytePct}%`}
          </span>
        </div>
      ) : null}
      {it.error ? (
        <p className={it.phase === 'error' ? 'error' : 'warn'} role="alert" data-testid="upload-error">
          {it.error}
        </p>
      ) : null}
      {it.phase === 'error' && it.error && !/Too large|Not an audio|empty/.test(it.error) ? (
        <button type="button" onClick={onSave}>
          Retry
        </button>
      ) : null}
    </li>
  );
}
