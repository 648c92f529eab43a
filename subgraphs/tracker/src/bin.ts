#!/usr/bin/env -S npx tsx
/**
 * `tsx subgraphs/tracker/src/bin.ts --name tracker-1 --http-port 4201 --dht-port 7201 --bootstrap 127.0.0.1:7202`
 * Flags fall back to env (GOTIFY_CLUSTER_KEY, MONGODB_URI via the store factory). Clean SIGTERM.
 */
import { Command } from 'commander';
import { makeLogger, onShutdown } from '@gotify/dht';
import { startTrackerNode } from './node.js';

const list = (v: string | undefined): string[] =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

const program = new Command()
  .name('gotify-tracker')
  .description('A Gotify Tracker node: tracker DHT node + Federation 2 subgraph')
  .option('--name <name>', 'node name', process.env.GOTIFY_NAME ?? 'tracker')
  .option('--host <host>', 'interface for HTTP and DHT', process.env.GOTIFY_HOST ?? '127.0.0.1')
  .option('--http-port <port>', 'GraphQL/ops HTTP port', process.env.GOTIFY_HTTP_PORT ?? '0')
  .option('--dht-port <port>', 'DHT TCP port', process.env.GOTIFY_DHT_PORT ?? '0')
  .option(
    '--bootstrap <addrs>',
    'comma-separated DHT host:port of other trackers',
    process.env.GOTIFY_BOOTSTRAP,
  )
  .option('--data-dir <dir>', 'data directory (node id, SQLite shard)', process.env.GOTIFY_DATA_DIR)
  .option('--cluster-key <key>', 'cluster secret (or GOTIFY_CLUSTER_KEY)', process.env.GOTIFY_CLUSTER_KEY)
  .option('--dns <nodes>', 'comma-separated DNS HTTP host:port to announce to', process.env.GOTIFY_DNS)
  .option(
    '--rpc-timeout <ms>',
    'per-RPC deadline of the DHT (benchmarks raise it for big batched STOREs)',
    process.env.GOTIFY_RPC_TIMEOUT,
  )
  .parse();

const o = program.opts<{
  name: string;
  host: string;
  httpPort: string;
  dhtPort: string;
  bootstrap?: string;
  dataDir?: string;
  clusterKey?: string;
  dns?: string;
  rpcTimeout?: string;
}>();
const logger = makeLogger(o.name, { base: { role: 'tracker' } });
if (!o.clusterKey) {
  logger.error('a cluster key is required: --cluster-key or GOTIFY_CLUSTER_KEY');
  process.exit(2);
}
try {
  const node = await startTrackerNode({
    name: o.name,
    host: o.host,
    httpPort: Number(o.httpPort),
    dhtPort: Number(o.dhtPort),
    bootstrap: list(o.bootstrap),
    dataDir: o.dataDir,
    clusterKey: o.clusterKey,
    dnsNodes: list(o.dns),
    timers: o.rpcTimeout ? { rpcTimeout: Number(o.rpcTimeout) } : undefined,
    logger,
  });
  onShutdown(() => node.stop(), logger);
} catch (err) {
  logger.error({ err }, 'tracker failed to start');
  process.exit(1);
}
