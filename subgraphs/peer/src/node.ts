/**
 * One Peer node = one process: a Kademlia node on TCP (the peer DHT network) with its own shard
 * store, and an HTTP server with the Federation 2 subgraph at `/graphql` plus `/healthz` and
 * `/metrics`. Optionally announces its GraphQL address to the DNS role.
 *
 * Does not: parse flags or handle signals (see `bin.ts`), or chunk files (the API node does).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import {
  makeDhtMetrics,
  makeKademliaNode,
  makeLogger,
  makeMemoryStore,
  makeMetrics,
  makeStoreFromEnv,
  makeTcpTransport,
  serveOps,
  toHex,
  type Logger,
  type KademliaNode,
  type KademliaTimers,
  type ReplicationPolicy,
  type ShardStore,
} from '@gotify/dht';
import { depthLimitRule } from '@gotify/schema';
import { makeRequestListener } from './http.js';
import { makePeerMetrics } from './metrics.js';
import { loadOrCreateNodeId } from './node-id.js';
import { PEER_REPLICATION } from './policy.js';
import { makePeerSchema } from './schema.js';

export type PeerPhase = 'starting' | 'serving' | 'draining' | 'stopped';

export interface PeerNodeOptions {
  /** Unique node name (logs, DNS announcement, MongoDB collection prefix). @default 'peer' */
  name?: string;
  /** Interface for both HTTP and DHT listeners, and the host announced to DNS. @default '127.0.0.1' */
  host?: string;
  /** GraphQL HTTP port; 0 picks a free one (see the returned `url`). @default 0 */
  httpPort?: number;
  /** DHT (TCP) port; 0 picks a free one (see the returned `dhtAddress`). @default 0 */
  dhtPort?: number;
  /** `host:port` DHT addresses of bootstrap peers. @default [] */
  bootstrap?: string[];
  /**
   * Data directory: node id (`node-id`) and SQLite shard (or MongoDB when MONGODB_URI is set).
   * @default undefined (random id, in-memory shard: for tests only)
   */
  dataDir?: string;
  /** Shared cluster secret authenticating every DHT frame and DNS announcement. Required. */
  clusterKey: string;
  /** HTTP `host:port` of every DNS node to announce this node to. @default [] (no announcement) */
  dnsNodes?: string[];
  /** Replication per value kind. @default PEER_REPLICATION (blobs r=3/W=2, manifests r=5/W=2) */
  replication?: Partial<Record<'blob' | 'record' | 'set', ReplicationPolicy>>;
  /** DHT maintenance timers (tests shorten them). @default the DHT's defaults */
  timers?: Partial<KademliaTimers>;
  /** Shard store override (e.g. a MongoDB store in tests). @default from `dataDir` and the environment */
  store?: ShardStore;
  /** pino logger. @default `makeLogger(name)` from @gotify/dht (level from LOG_LEVEL) */
  logger?: Logger;
}

export interface PeerNode {
  /** GraphQL endpoint, e.g. `http://127.0.0.1:4101/graphql`. */
  url: string;
  /** DHT address other peers bootstrap from (`host:port`). */
  dhtAddress: string;
  node: KademliaNode;
  phase(): PeerPhase;
  /** Withdraws from DNS, drains HTTP, stops the DHT node (idempotent). */
  stop(): Promise<void>;
}

async function openStore(opts: PeerNodeOptions, name: string): Promise<ShardStore> {
  if (opts.store) return opts.store;
  if (opts.dataDir === undefined) return makeMemoryStore();
  return makeStoreFromEnv({ dataDir: opts.dataDir, nodeName: name });
}

export async function startPeerNode(opts: PeerNodeOptions): Promise<PeerNode> {
  const name = opts.name ?? 'peer';
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? makeLogger(name, { base: { role: 'peer' } });
  let phase: PeerPhase = 'starting';

  const id = opts.dataDir !== undefined ? await loadOrCreateNodeId(opts.dataDir) : undefined;
  const store = await openStore(opts, name);
  const { registry } = makeMetrics();
  const metrics = makePeerMetrics(registry);
  const dhtMetrics = makeDhtMetrics(registry);
  const transport = await makeTcpTransport({
    host,
    port: opts.dhtPort ?? 0,
    clusterKey: opts.clusterKey,
    metrics: dhtMetrics,
  });
  const node = makeKademliaNode({
    id,
    transport,
    store,
    bootstrap: opts.bootstrap ?? [],
    replication: { ...PEER_REPLICATION, ...opts.replication },
    timers: opts.timers,
    logger: logger.child({ component: 'dht' }),
    metrics: dhtMetrics,
  });
  await node.start();

  const apollo = new ApolloServer({
    schema: makePeerSchema({ node, logger, metrics }),
    validationRules: [depthLimitRule()],
    introspection: true,
    // Our own shutdown (bin.ts) orders the stop; Apollo's handler would stop it twice and re-signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    logger,
  });
  await apollo.start();

  const opsOptions = {
    registry,
    health: async () => {
      const s = await node.status();
      return {
        ok: phase === 'serving',
        role: 'peer',
        name,
        phase,
        dht: { nodeId: s.id, address: s.address, contacts: s.contacts, keys: s.keys, bytes: s.bytes },
      };
    },
  };
  const server: Server = createServer(
    makeRequestListener(apollo, (req, res) => serveOps(req, res, opsOptions)),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.httpPort ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}/graphql`;

  let announcer: { start(): Promise<void>; stop(): Promise<void> } | undefined;
  if (opts.dnsNodes && opts.dnsNodes.length > 0) {
    const { makeAnnouncer } = await import('@gotify/dns');
    announcer = makeAnnouncer({
      dnsNodes: opts.dnsNodes,
      role: 'peer',
      name,
      host,
      port,
      meta: { dht: node.address },
      clusterKey: opts.clusterKey,
      logger,
    });
    await announcer.start();
  }
  phase = 'serving';
  logger.info({ url, dht: node.address, nodeId: toHex(node.id) }, 'peer node serving');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      phase = 'draining';
      await announcer?.stop();
      logger.debug('stop: announcer withdrawn');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await apollo.stop();
      logger.debug('stop: apollo stopped');
      server.closeAllConnections();
      await closed;
      logger.debug('stop: http closed');
      await node.stop();
      logger.debug('stop: dht node stopped');
      phase = 'stopped';
      logger.info('peer node stopped');
    })());

  return { url, dhtAddress: node.address, node, phase: () => phase, stop };
}
