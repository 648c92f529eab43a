/**
 * Write path: put, import, update, delete of song records and the index/search postings that
 * follow them. Convergence of concurrent edits (README "Edits and convergence"):
 * 1. the record is written first (the DHT stamps it; the highest Lamport stamp wins everywhere);
 * 2. postings: remove the names the previous version had and the new one lacks, add ALL the new
 *    version's names (idempotent);
 * 3. re-read the record: if another version won meanwhile, re-assert the winner's names (and drop
 *    ours that the winner lacks). A posting left behind by a losing edit is only a false positive:
 *    every read verifies candidates against the winning record.
 *
 * Replication (r=3, W=2 for records and sets) is configured on the node (node.ts), not per call.
 *
 * Does not: read listings or search (reads.ts).
 */
import type { KademliaNode } from '@gotify/dht';
import { indexKey, indexNames, searchKey, searchNames, songKey } from './keys.js';
import { applyPatch, decodeSong, encodeSong, encodeTombstone, validateId, validateMetadata, type SongMetadata, type SongPatch, type SongRecord, type VersionedSong } from './record.js';
import { DHT_CONCURRENCY, MAX_IMPORT_BATCH, MAX_POSTINGS_PER_CALL, POSTING_CALLS_IN_FLIGHT } from './limits.js';
import { badInput, notFound } from './errors.js';
import { mapPool } from './pool.js';
import type { Catalogue } from './catalogue.js';

/** Every posting name of a song: 15 'idx' names and its 'sym:'/'pre:' search names. */
export function postingNames(song: SongRecord): string[] {
  return [...indexNames(song).map((n) => `idx|${n}`), ...searchNames(song).map((n) => `srch|${n}`)];
}
function postingKey(name: string): Uint8Array {
  return name.startsWith('idx|') ? indexKey(name.slice(4)) : searchKey(name.slice(5));
}

/** Groups postings into addToSetMany calls of at most MAX_POSTINGS_PER_CALL members (a big key is split). */
function chunkPostings(postings: Map<string, string[]>): { key: Uint8Array; members: string[] }[][] {
  const calls: { key: Uint8Array; members: string[] }[][] = [];
  let cur: { key: Uint8Array; members: string[] }[] = [];
  let size = 0;
  for (const [n, members] of postings) {
    for (let i = 0; i < members.length; i += MAX_POSTINGS_PER_CALL) {
      const part = members.slice(i, i + MAX_POSTINGS_PER_CALL);
      if (size + part.length > MAX_POSTINGS_PER_CALL && cur.length > 0) {
        calls.push(cur);
        cur = [];
        size = 0;
      }
      cur.push({ key: postingKey(n), members: part });
      size += part.length;
    }
  }
  if (cur.length > 0) calls.push(cur);
  return calls;
}

const canon = (s: SongRecord | undefined): string => (s ? JSON.stringify(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1))) : 'null');

export interface Writes {
  /** Latest version from the DHT (tombstones as undefined). */
  read(id: string): Promise<VersionedSong | undefined>;
  putSong(input: SongMetadata): Promise<VersionedSong>;
  importSongs(inputs: SongMetadata[]): Promise<number>;
  updateSong(id: string, patch: SongPatch): Promise<VersionedSong>;
  deleteSong(id: string): Promise<boolean>;
}

export function makeWrites(node: KademliaNode, catalogue: Catalogue, now: () => Date = () => new Date()): Writes {
  async function readRaw(id: string): Promise<{ song?: SongRecord; deleted: boolean; stamp: { c: number; w: string } } | undefined> {
    const r = await node.getRecord(songKey(id));
    if (!r) return undefined;
    const song = decodeSong(r.bytes);
    return { song: r.deleted || !song || typeof song.title !== 'string' ? undefined : song, deleted: r.deleted, stamp: r.stamp };
  }

  async function read(id: string): Promise<VersionedSong | undefined> {
    const r = await readRaw(id);
    return r?.song ? { song: r.song, stamp: r.stamp } : undefined;
  }

  /** Per key addToSet (read, then stamp past every replica): an edit's add must beat an earlier remove elsewhere. */
  async function addNames(id: string, names: string[]): Promise<void> {
    await mapPool(names, DHT_CONCURRENCY, (n) => node.addToSet(postingKey(n), [id]));
  }
  async function removeNames(id: string, names: string[]): Promise<void> {
    await mapPool(names, DHT_CONCURRENCY, (n) => node.removeFromSet(postingKey(n), [id]));
  }

  /** Steps 2 and 3 above, for a write of `mine` (undefined = a deletion) over `previous`. */
  async function follow(id: string, previous: SongRecord | undefined, mine: SongRecord | undefined): Promise<VersionedSong | undefined> {
    const oldNames = previous ? postingNames(previous) : [];
    const newNames = mine ? postingNames(mine) : [];
    const keep = new Set(newNames);
    await Promise.all([removeNames(id, oldNames.filter((n) => !keep.has(n))), addNames(id, newNames)]);
    const winner = await readRaw(id);
    const winnerSong = winner?.song;
    const same = canon(winnerSong) === canon(mine);
    if (!same) {
      const winnerNames = winnerSong ? postingNames(winnerSong) : [];
      const w = new Set(winnerNames);
      await Promise.all([removeNames(id, newNames.filter((n) => !w.has(n))), addNames(id, winnerNames)]);
    }
    return winner?.song ? { song: winner.song, stamp: winner.stamp } : undefined;
  }

  async function putSong(input: SongMetadata): Promise<VersionedSong> {
    const meta = validateMetadata(input);
    const prev = await read(meta.id);
    const song: SongRecord = { ...meta, uploadedAt: prev?.song.uploadedAt ?? now().toISOString() };
    await node.putRecord(songKey(song.id), encodeSong(song));
    const winner = await follow(song.id, prev?.song, song);
    return winner ?? { song, stamp: { c: 0, w: '' } };
  }

  async function importSongs(inputs: SongMetadata[]): Promise<number> {
    if (inputs.length > MAX_IMPORT_BATCH) throw badInput(`importSongs takes at most ${MAX_IMPORT_BATCH} songs per call`);
    const byId = new Map<string, SongRecord>();
    const at = now().toISOString();
    for (const input of inputs) {
      const meta = validateMetadata(input);
      // Local-first: a re-import of a song we hold keeps its upload time. Ids not held here are
      // written as new; postings of an older version elsewhere are false positives, verified away.
      const local = catalogue.get(meta.id);
      byId.set(meta.id, { ...meta, uploadedAt: local?.song.uploadedAt ?? at });
    }
    const songs = [...byId.values()];
    const postings = new Map<string, string[]>();
    const stale: [string, string[]][] = [];
    for (const s of songs) {
      const names = postingNames(s);
      for (const n of names) {
        const l = postings.get(n);
        if (l) l.push(s.id);
        else postings.set(n, [s.id]);
      }
      const local = catalogue.get(s.id);
      if (local) {
        const keep = new Set(names);
        stale.push([s.id, postingNames(local.song).filter((n) => !keep.has(n))]);
      }
    }
    await Promise.all([
      mapPool(songs, DHT_CONCURRENCY, (s) => node.putRecord(songKey(s.id), encodeSong(s))),
      mapPool(chunkPostings(postings), POSTING_CALLS_IN_FLIGHT, (ops) => node.addToSetMany(ops)),
      mapPool(stale, 4, ([id, names]) => removeNames(id, names)),
    ]);
    return songs.length;
  }

  async function updateSong(rawId: string, patch: SongPatch): Promise<VersionedSong> {
    const id = validateId(rawId);
    const prev = await read(id);
    if (!prev) throw notFound(`song ${id} not found`);
    const song = applyPatch(prev.song, patch);
    await node.putRecord(songKey(id), encodeSong(song));
    const winner = await follow(id, prev.song, song);
    if (!winner) throw notFound(`song ${id} was deleted concurrently`);
    return winner;
  }

  async function deleteSong(rawId: string): Promise<boolean> {
    const id = validateId(rawId);
    const prev = await read(id);
    if (!prev) throw notFound(`song ${id} not found`);
    await node.putRecord(songKey(id), encodeTombstone(id), { deleted: true });
    await follow(id, prev.song, undefined);
    return true;
  }

  return { read, putSong, importSongs, updateSong, deleteSong };
}
