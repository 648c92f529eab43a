/**
 * Write the demo library to a directory, cached: a song is regenerated only when its file is
 * missing, its bytes no longer match the recorded sha256, or its spec (or the generator
 * version) changed. The record is `.demo-library.json` in the same directory.
 * Uploading the files into the cluster is the CLI's job (cli/src), not this module's.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_LIBRARY, type DemoSongSpec } from './library.js';
import { makeDemoSong } from './song.js';

/** Bump when synthesis, encoding or tagging changes output, so caches regenerate. */
export const GENERATOR_VERSION = 1;
/** Name of the cache record inside the library directory. */
export const MANIFEST_FILE = '.demo-library.json';

/** One song of a written library. */
export interface DemoLibraryEntry {
  spec: DemoSongSpec;
  /** Absolute or dir-relative path of the MP3 (join(dir, file name)). */
  path: string;
  /** Hex sha256 of the file bytes. */
  sha256: string;
  size: number;
  /** True when the file was already present and valid, so nothing was generated. */
  cached: boolean;
}

/** Progress after each song, for a progress bar. */
export interface DemoLibraryProgress {
  done: number;
  total: number;
  entry: DemoLibraryEntry;
}

interface Manifest {
  version: number;
  files: Record<string, { specKey: string; sha256: string }>;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** File name of a song inside the library directory, e.g. `neon-harbor-glass-coastline-01-chrome-tides.mp3`. */
export function demoFileName(spec: DemoSongSpec): string {
  return `${slug(spec.artist)}-${slug(spec.album)}-${String(spec.track).padStart(2, '0')}-${slug(spec.title)}.mp3`;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function specKey(spec: DemoSongSpec): string {
  const { title, artist, album, genre, year, track, seconds, seed } = spec;
  return JSON.stringify([GENERATOR_VERSION, title, artist, album, genre, year, track, seconds, seed]);
}

async function readManifest(dir: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
    if (parsed.version === GENERATOR_VERSION && typeof parsed.files === 'object') return parsed;
  } catch {
    // missing or corrupt: start over
  }
  return { version: GENERATOR_VERSION, files: {} };
}

/** The cached entry when the file on disk is exactly what the manifest recorded for this spec. */
async function cachedEntry(
  dir: string,
  manifest: Manifest,
  spec: DemoSongSpec,
): Promise<DemoLibraryEntry | undefined> {
  const name = demoFileName(spec);
  const record = manifest.files[name];
  if (!record || record.specKey !== specKey(spec)) return undefined;
  try {
    const bytes = await readFile(join(dir, name));
    if (sha256(bytes) !== record.sha256) return undefined;
    return { spec, path: join(dir, name), sha256: record.sha256, size: bytes.length, cached: true };
  } catch {
    return undefined;
  }
}

/**
 * Generate (or reuse) every song of `songs` as MP3 files in `dir`, in order.
 * @param songs @default DEMO_LIBRARY
 */
export async function writeDemoLibrary(
  dir: string,
  onProgress?: (progress: DemoLibraryProgress) => void,
  songs: readonly DemoSongSpec[] = DEMO_LIBRARY,
): Promise<DemoLibraryEntry[]> {
  await mkdir(dir, { recursive: true });
  const manifest = await readManifest(dir);
  const entries: DemoLibraryEntry[] = [];
  for (const spec of songs) {
    let entry = await cachedEntry(dir, manifest, spec);
    if (!entry) {
      const { bytes } = await makeDemoSong(spec);
      const name = demoFileName(spec);
      const path = join(dir, name);
      await writeFile(`${path}.tmp`, bytes);
      await rename(`${path}.tmp`, path);
      entry = { spec, path, sha256: sha256(bytes), size: bytes.length, cached: false };
      manifest.files[name] = { specKey: specKey(spec), sha256: entry.sha256 };
      await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    entries.push(entry);
    onProgress?.({ done: entries.length, total: songs.length, entry });
  }
  return entries;
}
