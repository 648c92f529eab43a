/**
 * The Peer subgraph's behaviour, bound to one Kademlia node: store chunks and blobs with a write
 * quorum, publish a manifest only once every chunk is retrievable, read chunks (local shard first,
 * then the DHT) verified against their hashes, and count live replicas.
 *
 * Does not: speak GraphQL (see `schema.ts`) or chunk files (see `chunking.ts`, used by the API node).
 */
import { fromHex, keyOf, QuorumError, type KademliaNode, type Logger } from '@gotify/dht';
import { chunkLayout, chunkSlot, hashHex, isHexHash, MAX_CHUNK_SIZE, type ChunkSlot } from './chunking.js';
import { badInput, notFound, unavailable } from './errors.js';
import { mapLimit } from '@gotify/dht';
import {
  buildManifest,
  decodeManifest,
  encodeManifest,
  ManifestError,
  type Manifest,
  type ManifestInput,
} from './manifest.js';
import type { PeerMetrics } from './metrics.js';
import { installHasHandler, probeReplicas, type ProbeOptions } from './replicas.js';

/** Largest blob (cover art) accepted: same as a chunk, so one request stays under the body limit. */
export const MAX_BLOB_SIZE = MAX_CHUNK_SIZE;

/** Chunks verified at once before a manifest is written: parallel enough for a long song, bounded for the network. */
export const PUBLISH_VERIFY_CONCURRENCY = 8;

/** Decoded manifests kept in memory: a manifest never changes for its id, and streaming reads it once per chunk. */
export const MANIFEST_CACHE_ENTRIES = 512;

/** Namespace of manifest keys: `keyOf(MANIFEST_NAMESPACE, songId)`. */
export const MANIFEST_NAMESPACE = 'manifest';

type Log = Pick<Logger, 'info' | 'warn' | 'debug' | 'error'>;

export interface AudioServiceDeps {
  node: KademliaNode;
  /** @default silent */
  logger?: Log;
  /** @default none */
  metrics?: PeerMetrics;
  /** Replica probe tuning. @default REPLICA_PROBE_WIDTH / PROBE_CONCURRENCY */
  probe?: ProbeOptions;
}

export interface StoredChunk {
  hash: string;
  size: number;
  acks: number;
}

export interface ChunkRead extends ChunkSlot {
  songId: string;
  total: number;
  hash: string;
  mimeType: string;
  data: Uint8Array;
}

export interface AudioService {
  storeChunk(bytes: Uint8Array): Promise<StoredChunk>;
  storeBlob(bytes: Uint8Array): Promise<StoredChunk>;
  /** Verified bytes of a content-addressed value, or undefined when no live replica has them. */
  readBlob(hashHex: string): Promise<Uint8Array | undefined>;
  publishManifest(input: ManifestInput): Promise<Manifest>;
  /** The manifest, undefined when none exists (or the id is not a hex SHA-256). */
  getManifest(songId: string): Promise<Manifest | undefined>;
  readChunk(songId: string, index: number): Promise<ChunkRead>;
  replicas(manifest: Manifest): Promise<{ min: number; perChunk: number[] }>;
}

const noop = () => {};
const SILENT: Log = { info: noop, warn: noop, debug: noop, error: noop };

export function manifestKey(songId: string): Uint8Array {
  return keyOf(MANIFEST_NAMESPACE, songId);
}

export function makeAudioService(deps: AudioServiceDeps): AudioService {
  const { node, metrics } = deps;
  const log = deps.logger ?? SILENT;
  const cache = new Map<string, Manifest>();
  // Every peer that serves audio answers replica probes from the others.
  installHasHandler(node);

  async function put(bytes: Uint8Array, kind: 'chunk' | 'blob', max: number): Promise<StoredChunk> {
    if (bytes.length === 0) throw badInput(`An empty ${kind} cannot be stored`);
    if (bytes.length > max) {
      throw badInput(`The ${kind} is ${bytes.length} bytes; the largest accepted is ${max} bytes`, {
        maxBytes: max,
      });
    }
    const hash = hashHex(bytes);
    try {
      const { acks } = await node.putBlob(bytes);
      metrics?.stored(kind);
      return { hash, size: bytes.length, acks };
    } catch (err) {
      if (err instanceof QuorumError) {
        log.warn({ hash, acks: err.acks }, `${kind} store missed its write quorum`);
        throw unavailable(`Too few replicas acknowledged the ${kind} (${err.acks}); retry later`, {
          acks: err.acks,
        });
      }
      throw err;
    }
  }

  async function readBlob(hex: string): Promise<Uint8Array | undefined> {
    const key = fromHex(hex);
    const local = await node.getLocal(key);
    if (local && local.value.kind === 'blob') {
      if (hashHex(local.value.bytes) === hex) {
        metrics?.chunkRead('local');
        return local.value.bytes;
      }
      metrics?.corrupt('local');
      log.error(
        { hash: hex },
        'local shard holds bytes that do not match their hash; fetching another replica',
      );
    }
    const bytes = await node.getBlob(key);
    if (bytes === undefined) {
      metrics?.chunkRead('miss');
      return undefined;
    }
    if (hashHex(bytes) !== hex) {
      metrics?.corrupt('dht');
      log.error({ hash: hex }, 'DHT returned bytes that do not match their hash; skipped');
      return undefined;
    }
    metrics?.chunkRead('dht');
    return bytes;
  }

  async function getManifest(songId: string): Promise<Manifest | undefined> {
    if (!isHexHash(songId)) return undefined;
    const hit = cache.get(songId);
    if (hit) return hit;
    // A manifest is self-verifying (the song id is the hash of its chunk hashes) and never changes
    // once published, so a valid local copy is as good as a network-wide read, and much faster:
    // this is the first thing every stream asks for.
    const local = await node.getLocal(manifestKey(songId));
    if (local?.value.kind === 'record' && !local.value.deleted) {
      try {
        const m = decodeManifest(local.value.bytes, songId);
        cache.set(songId, m);
        if (cache.size > MANIFEST_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
        return m;
      } catch {
        metrics?.corrupt('local'); // fall through to the network
      }
    }
    const rec = await node.getRecord(manifestKey(songId));
    if (!rec || rec.deleted) return undefined;
    let m: Manifest;
    try {
      m = decodeManifest(rec.bytes, songId);
    } catch (err) {
      metrics?.corrupt('dht');
      log.error({ songId, err: (err as Error).message }, 'manifest record is invalid; ignored');
      return undefined;
    }
    cache.set(songId, m);
    if (cache.size > MANIFEST_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    return m;
  }

  async function publishManifest(input: ManifestInput): Promise<Manifest> {
    let m: Manifest;
    try {
      m = buildManifest(input);
    } catch (err) {
      if (err instanceof ManifestError) throw badInput(err.message);
      throw err;
    }
    const layout = chunkLayout(m.size, m.chunkSize, m.firstChunkSize);
    const problems: string[] = [];
    await mapLimit(m.chunkHashes, PUBLISH_VERIFY_CONCURRENCY, async (hash, i) => {
      const bytes = await readBlob(hash);
      if (bytes === undefined) problems.push(`chunk ${i} (${hash}) is not stored`);
      else if (bytes.length !== layout[i]!.size) {
        problems.push(`chunk ${i} (${hash}) has ${bytes.length} bytes, the layout says ${layout[i]!.size}`);
      }
    });
    if (problems.length > 0) {
      problems.sort();
      throw badInput(
        `Cannot publish the manifest: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; ...' : ''}`,
        {
          problems: problems.length,
        },
      );
    }
    try {
      await node.putRecord(manifestKey(m.songId), encodeManifest(m));
    } catch (err) {
      if (err instanceof QuorumError)
        throw unavailable(`Too few replicas acknowledged the manifest (${err.acks}); retry later`);
      throw err;
    }
    metrics?.manifestPublished();
    log.info({ songId: m.songId, chunks: m.chunkHashes.length, size: m.size }, 'manifest published');
    cache.set(m.songId, m);
    return m;
  }

  async function readChunk(songId: string, index: number): Promise<ChunkRead> {
    if (!isHexHash(songId)) throw badInput('songId must be a hex SHA-256 (64 lowercase hex chars)');
    const m = await getManifest(songId);
    if (!m) throw notFound(`No song ${songId}`);
    const total = m.chunkHashes.length;
    if (!Number.isInteger(index) || index < 0 || index >= total) {
      throw badInput(
        `Chunk index ${index} is out of range: song ${songId} has ${total} chunks (0..${total - 1})`,
      );
    }
    const hash = m.chunkHashes[index]!;
    const data = await readBlob(hash);
    if (!data) throw unavailable(`No live replica holds chunk ${index} of song ${songId}; retry later`);
    const slot = chunkSlot(m.size, index, m.chunkSize, m.firstChunkSize)!;
    return { ...slot, songId, total, hash, mimeType: m.mimeType, data };
  }

  async function replicas(m: Manifest): Promise<{ min: number; perChunk: number[] }> {
    const perChunk = await probeReplicas(node, m.chunkHashes, deps.probe);
    return { min: perChunk.length === 0 ? 0 : Math.min(...perChunk), perChunk };
  }

  return {
    storeChunk: (bytes) => put(bytes, 'chunk', MAX_CHUNK_SIZE),
    storeBlob: (bytes) => put(bytes, 'blob', MAX_BLOB_SIZE),
    readBlob,
    publishManifest,
    getManifest,
    readChunk,
    replicas,
  };
}
