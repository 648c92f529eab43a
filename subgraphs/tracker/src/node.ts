/**
 * One Tracker process: a Kademlia node on the tracker DHT (TCP transport, its own shard store),
 * the tracker service (catalogue, scatter-gather RPCs, read/write paths), the Federation 2
 * subgraph on a plain node:http server with /healthz and /metrics, an optional DNS announcer, and
 * the search warmer (search-warmer.ts), stopped when the node drains, before HTTP closes.
 *
 * Does not: parse flags or handle signals (bin.ts).
 */
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import {
  makeDhtMetrics,
  makeKademliaNode,
  makeLogger,
  makeMetrics,
  makeStoreFromEnv,
  makeTcpTransport,
  type KademliaNode,
  type KademliaTimers,
  type Logger,
  type ReplicationPolicy,
  type ShardStore,
} from '@gotify/dht';
import { makeAnnouncer } from '@gotify/dns';
import { makeTrackerServer, makeTrackerService, type TrackerService } from './schema.js';
import { makeSearchWarmer } from './search-warmer.js';
import { collectIfLarge } from './idle-gc.js';
import { makeHttpServer, GRAPHQL_PATH } from './http.js';
import { loadOrCreateNodeId } from './node-id.js';
import { RECORD_REPLICATION, SET_REPLICATION } from './limits.js';

/** Trackers are a trusted cluster doing batched ingest: 10× the transport's default per-peer budget. */
export const TRACKER_RATE_LIMIT = { burst: 20_000, perSecond: 10_000 };

export interface TrackerNodeOptions {
  /** Node name (logs, DNS, MongoDB collection prefix). @default 'tracker' */
  name?: string;
  /** Interface for HTTP and DHT. @default '127.0.0.1' */
  host?: string;
  /** GraphQL/ops HTTP port; 0 picks a free one. @default 0 */
  httpPort?: number;
  /** DHT TCP port; 0 picks a free one. @default 0 */
  dhtPort?: number;
  /** `host:port` DHT addresses of other trackers to join through. @default [] */
  bootstrap?: string[];
  /** Where the node id and the SQLite shard live. @default `data/<name>` */
  dataDir?: string;
  /** Shared secret of the cluster (DHT frame HMAC, DNS announcements). Required. */
  clusterKey: string;
  /** DNS nodes' HTTP `host:port` to announce to; no announcing when empty. @default [] */
  dnsNodes?: string[];
  /** Kademlia timer overrides (tests run them in seconds). @default the DHT's defaults */
  timers?: Partial<KademliaTimers>;
  /** Replication overrides. @default { record: RECORD_REPLICATION, set: SET_REPLICATION } (r=3, W=2) */
  replication?: { record?: ReplicationPolicy; set?: ReplicationPolicy };
  /** Shard store; @default makeStoreFromEnv (MongoDB if MONGODB_URI, else SQLite in dataDir) */
  store?: ShardStore;
  /** Per-peer transport rate limit, or false. @default TRACKER_RATE_LIMIT */
  rateLimit?: { burst?: number; perSecond?: number } | false;
  /** pino logger. @default makeLogger(name) */
  logger?: Logger;
}

export type TrackerPhase = 'starting' | 'serving' | 'draining' | 'stopped';

export interface TrackerNodeHandle {
  /** GraphQL endpoint, e.g. http://127.0.0.1:4201/graphql. */
  url: string;
  /** DHT `host:port`. */
  dhtAddress: string;
  node: KademliaNode;
  /** The started Apollo Server behind /graphql (executeOperation works on it too). */
  apollo: ApolloServer;
  /** Catalogue, read and write paths of this tracker. */
  service: TrackerService;
  /** Drain: withdraw from DNS, close HTTP, stop Apollo, stop the DHT node (persists contacts, closes store). */
  stop(): Promise<void>;
}

export async function startTrackerNode(opts: TrackerNodeOptions): Promise<TrackerNodeHandle> {
  const name = opts.name ?? 'tracker';
  const host = opts.host ?? '127.0.0.1';
  const dataDir = opts.dataDir ?? join('data', name);
  const logger = opts.logger ?? makeLogger(name, { base: { role: 'tracker' } });
  let phase: TrackerPhase = 'starting';

  const id = await loadOrCreateNodeId(dataDir);
  const store = opts.store ?? (await makeStoreFromEnv({ dataDir, nodeName: name }));
  const metrics = makeMetrics();
  const dhtMetrics = makeDhtMetrics(metrics.registry);
  const transport = await makeTcpTransport({
    host,
    port: opts.dhtPort ?? 0,
    clusterKey: opts.clusterKey,
    metrics: dhtMetrics,
    rateLimit: opts.rateLimit ?? TRACKER_RATE_LIMIT,
  });
  const warming: { service?: TrackerService } = {}; // the node warms views once the service exists
  const node = makeKademliaNode({
    id,
    transport,
    store,
    bootstrap: opts.bootstrap ?? [],
    replication: {
      record: opts.replication?.record ?? RECORD_REPLICATION,
      set: opts.replication?.set ?? SET_REPLICATION,
    },
    timers: opts.timers,
    logger,
    metrics: dhtMetrics,
    onViewWarmed: (members) => warming.service?.viewWarmed(members),
  });
  const service = makeTrackerService(node);
  warming.service = service;
  for await (const entry of store.scan({ kinds: ['record'] }))
    service.catalogue.apply({ type: 'put', entry });
  await node.start();

  const held = metrics.gauge('tracker_songs_held', "Live song records in this tracker's shard");
  const seconds = metrics.histogram(
    'tracker_graphql_seconds',
    'GraphQL operation latency by operation name',
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    ['operation'],
  );
  const timing: ApolloServerPlugin = {
    async requestDidStart() {
      const end = seconds.startTimer();
      return {
        async willSendResponse(rc) {
          end({ operation: rc.operationName ?? rc.operation?.operation ?? 'unknown' });
        },
      };
    },
  };
  const apollo = makeTrackerServer({ node, service });
  apollo.addPlugin(timing);
  await apollo.start();

  const health = async () => {
    const s = await node.status();
    held.set(service.catalogue.size());
    return {
      ok: phase === 'serving',
      role: 'tracker',
      name,
      phase,
      dht: {
        id: s.id,
        address: s.address,
        phase: s.phase,
        contacts: s.contacts,
        keys: s.keys,
        bytes: s.bytes,
      },
      songsHeld: service.catalogue.size(),
    };
  };
  const server = makeHttpServer(apollo, { registry: metrics.registry, health });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.httpPort ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}${GRAPHQL_PATH}`;

  const announcer =
    opts.dnsNodes && opts.dnsNodes.length > 0
      ? makeAnnouncer({
          dnsNodes: opts.dnsNodes,
          role: 'tracker',
          name,
          host,
          port,
          meta: { dht: node.address, graphql: url },
          clusterKey: opts.clusterKey,
          logger,
        })
      : undefined;
  await announcer?.start();
  const searchWarmer = makeSearchWarmer({
    catalogue: service.catalogue,
    search: (search) => service.reads.songs({ search, first: 20 }),
    onWarmed: (r) => {
      logger.info({ ...r, ms: Math.round(r.ms) }, 'search path warmed');
      // The warm-up ran because a bulk change just paused: collect its garbage now (idle-gc.ts).
      const gc = collectIfLarge();
      if (gc) logger.info(gc, 'heap collected after a bulk change');
    },
    onError: (err) => logger.warn({ err }, 'search warm-up failed'),
  });
  phase = 'serving';
  logger.info({ url, dht: node.address, songsHeld: service.catalogue.size() }, 'tracker serving');

  return {
    url,
    dhtAddress: node.address,
    node,
    apollo,
    service,
    async stop() {
      if (phase === 'draining' || phase === 'stopped') return;
      phase = 'draining';
      await announcer?.stop();
      await searchWarmer.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
      service.close();
      await node.stop();
      phase = 'stopped';
      logger.info('tracker stopped');
    },
  };
}
