/**
 * Prometheus metrics of one API node (own registry, so several nodes can share a test process):
 * replica pool health, websocket connections, streamed chunks and bytes, upload outcomes.
 *
 * What this module does not do: serve them (the shared ops helper does, at /metrics).
 */
import { makeMetrics, type Metrics } from '@gotify/dht';
import type { ReplicaPools } from './replica-pool.js';

export interface ApiMetrics {
  metrics: Metrics;
  wsConnections(open: number): void;
  chunkSent(bytes: number): void;
  upload(result: string): void;
}

export function makeApiMetrics(pools: ReplicaPools): ApiMetrics {
  const metrics = makeMetrics();
  const live = metrics.gauge('api_replicas', 'Replicas of each subgraph pool by health', ['pool', 'health']);
  // Sampled at scrape time rather than pushed on every transition.
  const collect = (): void => {
    for (const [name, pool] of pools) {
      const counts = { up: 0, down: 0, unknown: 0 };
      for (const r of pool.snapshot()) counts[r.health]++;
      for (const [health, n] of Object.entries(counts)) live.set({ pool: name, health }, n);
    }
  };
  const registry = metrics.registry;
  const original = registry.metrics.bind(registry);
  registry.metrics = async () => {
    collect();
    return original();
  };
  const ws = metrics.gauge('api_ws_connections', 'Open websocket (song stream) connections');
  const chunks = metrics.counter('api_stream_chunks_total', 'Song chunks sent to stream clients');
  const bytes = metrics.counter('api_stream_bytes_total', 'Audio bytes sent to stream clients');
  const uploads = metrics.counter('api_uploads_total', 'Upload requests by outcome', ['result']);
  return {
    metrics,
    wsConnections: (open) => ws.set(open),
    chunkSent: (n) => {
      chunks.inc();
      bytes.inc(n);
    },
    upload: (result) => uploads.inc({ result }),
  };
}
