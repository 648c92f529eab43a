/**
 * `tsx subgraphs/peer/src/bin.ts --name peer-1 --http-port 4101 --dht-port 7101 --bootstrap 127.0.0.1:7102`
 * Starts one Peer node and stops it cleanly on SIGTERM/SIGINT. MONGODB_URI selects MongoDB for the
 * shard store; GOTIFY_CLUSTER_KEY supplies the cluster secret when --cluster-key is absent.
 *
 * Does not: start other roles (the `npm start` launcher in cli/ does).
 */
import { Command } from 'commander';
import { makeLogger, onShutdown } from '@gotify/dht';
import { startPeerNode } from './node.js';

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const program = new Command()
  .name('gotify-peer')
  .description('A Gotify Peer node: Kademlia shard of song audio behind a GraphQL subgraph')
  .option('--name <name>', 'unique node name', process.env.GOTIFY_NODE_NAME ?? 'peer-1')
  .option('--host <host>', 'listen and announce host', '127.0.0.1')
  .option('--http-port <port>', 'GraphQL HTTP port (0 = any)', '4101')
  .option('--dht-port <port>', 'DHT TCP port (0 = any)', '7101')
  .option('--bootstrap <list>', 'comma list of DHT host:port bootstrap peers', '')
  .option('--data-dir <dir>', 'data directory (default ./data/<name>)')
  .option('--cluster-key <key>', 'cluster secret (or GOTIFY_CLUSTER_KEY)', process.env.GOTIFY_CLUSTER_KEY)
  .option('--dns <list>', 'comma list of DNS HTTP host:port to announce to', '');

program.parse();
const o = program.opts<{
  name: string;
  host: string;
  httpPort: string;
  dhtPort: string;
  bootstrap: string;
  dataDir?: string;
  clusterKey?: string;
  dns: string;
}>();

const logger = makeLogger(o.name, { base: { role: 'peer' } });
if (!o.clusterKey) {
  logger.fatal('a cluster key is required: --cluster-key or GOTIFY_CLUSTER_KEY');
  process.exit(2);
}

const peer = await startPeerNode({
  name: o.name,
  host: o.host,
  httpPort: Number(o.httpPort),
  dhtPort: Number(o.dhtPort),
  bootstrap: list(o.bootstrap),
  dataDir: o.dataDir ?? `./data/${o.name}`,
  clusterKey: o.clusterKey,
  dnsNodes: list(o.dns),
  logger,
});

onShutdown(() => peer.stop(), logger);
