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
 * Postings are sets of song ids (10 'idx' names + one 'w' name per word, big ones bucketed by id);
 * the vocabulary ('sym'/'pre' → words) is written only for words this tracker has not written yet
 * (`known`) and does not find written whole in its own replica (`writtenElsewhere`), and never
 * shrinks: a word whose songs are all gone only costs a few empty reads.
 *
 * Replication (r=3, W=2 for records and sets) is configured on the node (node.ts), not per call.
 *
 * Does not: read listings or search (reads.ts).
 */
import type { KademliaNode } from '@gotify/dht';
import {
  indexNames,
  indexPostingKey,
  ownVocabularyName,
  searchKey,
  songKey,
  songWords,
  vocabularyMember,
  wordKeyNames,
  wordPostingKey,
} from './keys.js';
import {
  applyPatch,
  compareStamps,
  decodeSong,
  encodeSong,
  encodeTombstone,
  validateId,
  validateMetadata,
  type SongMetadata,
  type SongPatch,
  type SongRecord,
  type VersionedSong,
} from './record.js';
import {
  DHT_CONCURRENCY,
  IMPORT_RECORDS_PER_CALL,
  MAX_IMPORT_BATCH,
  MAX_KNOWN_WORDS,
  MAX_POSTINGS_PER_CALL,
  POSTING_CALLS_IN_FLIGHT,
} from './limits.js';
import { badInput, notFound } from './errors.js';
import { mapLimit } from '@gotify/dht';
import type { Catalogue } from './catalogue.js';

/**
 * Every posting name of a song (each a set of song ids): its 10 'idx' names and its words, as
 * 'idx|' name and 'w|' word. The bucket of sharded names comes from the song id (postingKey).
 */
export function postingNames(song: SongRecord): string[] {
  return [...indexNames(song).map((n) => `idx|${n}`), ...songWords(song).map((w) => `w|${w}`)];
}
function postingKey(name: string, id: string): Uint8Array {
  return name.startsWith('idx|') ? indexPostingKey(name.slice(4), id) : wordPostingKey(name.slice(2), id);
}

/**
 * Posting keys remembered by name and bucket, with their hex: an import names the same genre,
 * artist and word keys thousands of times, and a SHA-256 plus a hex encoding each time cost ~2% of
 * a tracker's import CPU. Bounded (cleared when full): ~150 B an entry.
 */
const MAX_MEMO_POSTING_KEYS = 100_000;
function makePostingKeys() {
  const memo = new Map<string, { key: Uint8Array; hex: string }>();
  return (name: string, id: string): { key: Uint8Array; hex: string } => {
    // The bucket is a function of the id's first hex digit (keys.ts bucketOf): key the memo by it.
    const m = `${id[0]}${name}`;
    let k = memo.get(m);
    if (!k) {
      if (memo.size >= MAX_MEMO_POSTING_KEYS) memo.clear();
      const key = postingKey(name, id);
      memo.set(m, (k = { key, hex: Buffer.from(key).toString('hex') }));
    }
    return k;
  };
}

/**
 * Songs whose posting names and keys an import computes in one event-loop turn: a 1,000-song batch
 * at once held its tracker's loop ~300 ms (CPU profile at 20,000 songs), with everything else waiting.
 */
const IMPORT_SONGS_PER_TURN = 250;

const chunk = <T>(xs: T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

interface Op {
  key: Uint8Array;
  members: string[];
}

/** Groups ops into addToSetMany calls of at most MAX_POSTINGS_PER_CALL members (a big key is split). */
function chunkOps(ops: Iterable<Op>): Op[][] {
  const calls: Op[][] = [];
  let cur: Op[] = [];
  let size = 0;
  for (const { key, members } of ops) {
    for (let i = 0; i < members.length; i += MAX_POSTINGS_PER_CALL) {
      const part = members.slice(i, i + MAX_POSTINGS_PER_CALL);
      if (size + part.length > MAX_POSTINGS_PER_CALL && cur.length > 0) {
        calls.push(cur);
        cur = [];
        size = 0;
      }
      cur.push({ key, members: part });
      size += part.length;
    }
  }
  if (cur.length > 0) calls.push(cur);
  return calls;
}

/**
 * Vocabulary ops of words: every 'sym:'/'pre:' name of a word → that word (sets of WORDS), split
 * in two phases. `marks` holds each word's own `sym:<word>` name, written only after `rest` (its
 * deletions and prefixes) was acknowledged: a word found in its own name was written whole, which
 * is what lets another tracker skip it (`writtenElsewhere`).
 */
function vocabOps(ws: Iterable<string>): { rest: Op[]; marks: Op[] } {
  const byName = new Map<string, string[]>();
  const marks: Op[] = [];
  for (const w of ws) {
    marks.push({ key: searchKey(ownVocabularyName(w)), members: [vocabularyMember(w)] });
    for (const n of wordKeyNames(w).slice(1)) {
      const l = byName.get(n);
      if (l) l.push(w);
      else byName.set(n, [w]);
    }
  }
  const rest = [...byName].map(([n, ws]) => ({ key: searchKey(n), members: ws.map(vocabularyMember) }));
  return { rest, marks };
}

const canon = (s: SongRecord | undefined): string =>
  s ? JSON.stringify(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1))) : 'null';

export interface Writes {
  /** Latest version from the DHT (tombstones as undefined). */
  read(id: string): Promise<VersionedSong | undefined>;
  putSong(input: SongMetadata): Promise<VersionedSong>;
  importSongs(inputs: SongMetadata[]): Promise<number>;
  updateSong(id: string, patch: SongPatch): Promise<VersionedSong>;
  deleteSong(id: string): Promise<boolean>;
}

export function makeWrites(
  node: KademliaNode,
  catalogue: Catalogue,
  now: () => Date = () => new Date(),
): Writes {
  async function readRaw(
    id: string,
  ): Promise<{ song?: SongRecord; deleted: boolean; stamp: { c: number; w: string } } | undefined> {
    const r = await node.getRecord(songKey(id));
    if (!r) return undefined;
    const song = decodeSong(r.bytes);
    return {
      song: r.deleted || !song || typeof song.title !== 'string' ? undefined : song,
      deleted: r.deleted,
      stamp: r.stamp,
    };
  }

  async function read(id: string): Promise<VersionedSong | undefined> {
    const r = await readRaw(id);
    return r?.song ? { song: r.song, stamp: r.stamp } : undefined;
  }

  const postingKeys = makePostingKeys();
  /** Words whose vocabulary keys this tracker has written (acknowledged): not rewritten per song. */
  const known = new Set<string>();
  const remember = (ws: string[]): void => {
    if (known.size + ws.length > MAX_KNOWN_WORDS) known.clear();
    for (const w of ws) known.add(w);
  };
  /**
   * Is the word present in its own `sym:` name in this tracker's replica? Another tracker (or this
   * one before a restart) then wrote its whole vocabulary: the marks go last (vocabOps). In a small
   * network every tracker holds every key, and an import's words were otherwise written by every
   * tracker that met them (up to 3 in the benchmark: ~100,000 of a tracker's 279,000 member writes
   * in a 10,000-song import; at 100,000 songs an estimated ~5%). A key not held here reads as
   * absent, and the word is written.
   */
  async function writtenElsewhere(w: string): Promise<boolean> {
    const e = await node.getLocal(searchKey(ownVocabularyName(w)));
    if (e?.value.kind !== 'set') return false;
    const s = e.value.members[vocabularyMember(w)];
    return !!s?.add && (!s.del || compareStamps(s.add, s.del) > 0);
  }
  /** The songs' words whose vocabulary is to be written: not known here, not found in the replica. */
  async function unknownWords(songs: (SongRecord | undefined)[]): Promise<string[]> {
    const ws = new Set<string>();
    for (const s of songs) if (s) for (const w of songWords(s)) if (!known.has(w)) ws.add(w);
    const held: string[] = [];
    const out: string[] = [];
    for (const w of ws) ((await writtenElsewhere(w)) ? held : out).push(w);
    remember(held);
    return out;
  }
  /** Writes the vocabulary of words (vocabOps' two phases, `during` alongside the first). */
  async function writeVocab(ws: string[], during: Op[] = []): Promise<void> {
    const { rest, marks } = vocabOps(ws);
    const write = (ops: Op[]) =>
      mapLimit(chunkOps(ops), POSTING_CALLS_IN_FLIGHT, (call) => node.addToSetMany(call));
    await write([...rest, ...during]);
    await write(marks);
  }
  /** Adds the song's new words to the vocabulary (idempotent; a vocabulary word without postings is harmless). */
  async function ensureVocab(songs: (SongRecord | undefined)[]): Promise<void> {
    const ws = await unknownWords(songs);
    if (ws.length === 0) return;
    await writeVocab(ws);
    remember(ws);
  }

  /** Per key addToSet (read, then stamp past every replica): an edit's add must beat an earlier remove elsewhere. */
  async function addNames(id: string, names: string[]): Promise<void> {
    await mapLimit(names, DHT_CONCURRENCY, (n) => node.addToSet(postingKey(n, id), [id]));
  }
  async function removeNames(id: string, names: string[]): Promise<void> {
    await mapLimit(names, DHT_CONCURRENCY, (n) => node.removeFromSet(postingKey(n, id), [id]));
  }

  /** Steps 2 and 3 above, for a write of `mine` (undefined = a deletion) over `previous`. */
  async function follow(
    id: string,
    previous: SongRecord | undefined,
    mine: SongRecord | undefined,
  ): Promise<VersionedSong | undefined> {
    const oldNames = previous ? postingNames(previous) : [];
    const newNames = mine ? postingNames(mine) : [];
    const keep = new Set(newNames);
    await ensureVocab([mine]);
    await Promise.all([
      removeNames(
        id,
        oldNames.filter((n) => !keep.has(n)),
      ),
      addNames(id, newNames),
    ]);
    const winner = await readRaw(id);
    const winnerSong = winner?.song;
    const same = canon(winnerSong) === canon(mine);
    if (!same) {
      const winnerNames = winnerSong ? postingNames(winnerSong) : [];
      const w = new Set(winnerNames);
      await ensureVocab([winnerSong]);
      await Promise.all([
        removeNames(
          id,
          newNames.filter((n) => !w.has(n)),
        ),
        addNames(id, winnerNames),
      ]);
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
    if (inputs.length > MAX_IMPORT_BATCH)
      throw badInput(`importSongs takes at most ${MAX_IMPORT_BATCH} songs per call`);
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
    const postings = new Map<string, Op>();
    const stale: [string, string[]][] = [];
    for (let i = 0; i < songs.length; i++) {
      // Other requests run between slices of a big batch.
      if (i > 0 && i % IMPORT_SONGS_PER_TURN === 0) await new Promise((r) => setImmediate(r));
      const s = songs[i]!;
      const names = postingNames(s);
      for (const n of names) {
        const { key, hex } = postingKeys(n, s.id);
        const op = postings.get(hex);
        if (op) op.members.push(s.id);
        else postings.set(hex, { key, members: [s.id] });
      }
      const local = catalogue.get(s.id);
      if (local) {
        const keep = new Set(names);
        stale.push([s.id, postingNames(local.song).filter((n) => !keep.has(n))]);
      }
    }
    const fresh = await unknownWords(songs);
    await Promise.all([
      // One batched STORE per node for all records (stamped locally, restamped if a replica holds a newer version).
      mapLimit(chunk(songs, IMPORT_RECORDS_PER_CALL), POSTING_CALLS_IN_FLIGHT, (part) =>
        node.putRecordMany(part.map((s) => ({ key: songKey(s.id), bytes: encodeSong(s) }))),
      ),
      writeVocab(fresh, [...postings.values()]),
      mapLimit(stale, 4, ([id, names]) => removeNames(id, names)),
    ]);
    remember(fresh);
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
