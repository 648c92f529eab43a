/**
 * Prometheus counters of the Peer subgraph (chunk reads by source, corrupt replicas, stores,
 * published manifests). The DHT's own metrics (RPCs, lookups) are registered by the ops layer of
 * @gotify/dht on the same registry.
 *
 * Does not: serve /metrics (see `http.ts` and `serveOps` in @gotify/dht).
 */
import { Counter, Registry } from 'prom-client';

export interface PeerMetrics {
  readonly registry: Registry;
  /** A chunk or blob read, by where its verified bytes came from ('local' | 'dht' | 'miss'). */
  chunkRead(source: 'local' | 'dht' | 'miss'): void;
  /** Bytes that did not hash to their key were skipped, by where they came from. */
  corrupt(source: 'local' | 'dht'): void;
  stored(kind: 'chunk' | 'blob'): void;
  manifestPublished(): void;
}

export function makePeerMetrics(registry: Registry = new Registry()): PeerMetrics {
  const reads = new Counter({
    name: 'gotify_peer_chunk_reads_total',
    help: 'Chunk and blob reads by source of the verified bytes (local shard, DHT, or miss)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const corrupt = new Counter({
    name: 'gotify_peer_corrupt_replicas_total',
    help: 'Bytes that did not hash to their key and were skipped',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const stored = new Counter({
    name: 'gotify_peer_stored_total',
    help: 'Chunks and blobs stored with a write quorum',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const manifests = new Counter({
    name: 'gotify_peer_manifests_published_total',
    help: 'Manifests published after every chunk was verified retrievable',
    registers: [registry],
  });
  return {
    registry,
    chunkRead: (source) => reads.inc({ source }),
    corrupt: (source) => corrupt.inc({ source }),
    stored: (kind) => stored.inc({ kind }),
    manifestPublished: () => manifests.inc(),
  };
}
