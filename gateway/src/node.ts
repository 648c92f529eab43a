/**
 * One API node = one process: Apollo Server 5 + @apollo/gateway over the committed supergraph
 * (no runtime introspection), every subgraph mapped to a replica pool with failover, plus the
 * graphql-ws song stream, uploads and covers, all on one HTTP server; announced to DNS as 'api'.
 *
 * Stop order: withdraw from DNS, refuse new websockets and close open ones, drain Apollo (and
 * the HTTP server through its drain plugin), stop discovery and probes.
 *
 * What this module does not do: flags and signals (bin.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { makeLogger, type Logger } from '@gotify/dht';
import { makeAnnouncer, type Announcer } from '@gotify/dns';
import { PEER_SUBGRAPH, TRACKER_SUBGRAPH, supergraphSdl } from '@gotify/schema';
import type { CorsOrigins } from './cors.js';
import { watchSubgraphReplicas } from './discovery.js';
import { makeFailoverFetcher } from './fetcher.js';
import { makeRequestListener } from './http.js';
import { apiValidationRules } from './limits.js';
import { makeApiMetrics } from './metrics.js';
import { GRAPHQL_PATH, MAX_UPLOAD_BYTES, STREAM_PATH } from './policy.js';
import { makeReplicaPool, type ReplicaPool } from './replica-pool.js';
import { attachStreamServer } from './stream-server.js';
import { makeStreamSchema } from './stream.js';
import { makeSubgraphClient } from './subgraph-client.js';

export type ApiPhase = 'starting' | 'serving' | 'draining' | 'stopped';

export interface ApiNodeOptions {
  /** Unique node name (logs, DNS announcement). @default 'api' */
  name?: string;
  /** Interface to listen on, and the host announced to DNS. @default '127.0.0.1' */
  host?: string;
  /** HTTP port (GraphQL, stream, upload); 0 picks a free one (see the returned `url`). @default 0 */
  port?: number;
  /** DNS servers (UDP 'host:port') to discover peer and tracker replicas from. @default [] */
  dnsServers?: string[];
  /** DNS nodes' HTTP 'host:port' to announce this node to (role 'api'). @default [] (no announcement) */
  dnsNodes?: string[];
  /** Static replica GraphQL urls per subgraph (tests, fixed deployments); kept alongside discovered ones. @default {} */
  replicas?: { peer?: string[]; tracker?: string[] };
  /** Shared cluster secret signing DNS announcements. Required when `dnsNodes` is not empty. @default '' */
  clusterKey?: string;
  /** Bearer token required by /upload and /upload/inspect. @default undefined (uploads are open) */
  uploadToken?: string;
  /** Largest upload body in bytes. @default MAX_UPLOAD_BYTES (200 MB) */
  maxUploadBytes?: number;
  /** Browser origins allowed (CORS and websocket Origin). @default '*' */
  corsOrigins?: CorsOrigins;
  /** Replica health probe period. @default PROBE_INTERVAL_MS (1000) */
  probeIntervalMs?: number;
  /** pino logger. @default makeLogger(name) */
  logger?: Logger;
}

export interface ApiNode {
  /** GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Song stream endpoint (graphql-ws), e.g. `ws://127.0.0.1:4000/stream`. */
  wsUrl: string;
  phase(): ApiPhase;
  /** The replica pools, keyed by subgraph name. */
  pools: ReadonlyMap<string, ReplicaPool>;
  /** Stop serving (idempotent). */
  stop(): Promise<void>;
}

export async function startApiNode(opts: ApiNodeOptions = {}): Promise<ApiNode> {
  const name = opts.name ?? 'api';
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? makeLogger(name, { base: { role: 'api' } });
  let phase: ApiPhase = 'starting';

  const pools = new Map<string, ReplicaPool>();
  for (const [sub, urls] of [
    [PEER_SUBGRAPH, opts.replicas?.peer],
    [TRACKER_SUBGRAPH, opts.replicas?.tracker],
  ] as const) {
    pools.set(
      sub,
      makeReplicaPool({
        name: sub,
        replicas: urls ?? [],
        probeIntervalMs: opts.probeIntervalMs,
        logger: logger.child({ component: 'pool' }),
      }),
    );
  }
  const peer = makeSubgraphClient(pools.get(PEER_SUBGRAPH)!);
  const tracker = makeSubgraphClient(pools.get(TRACKER_SUBGRAPH)!);
  const metrics = makeApiMetrics(pools);

  const server: Server = createServer();
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name: subgraph }) => {
      const pool = pools.get(subgraph);
      if (!pool) throw new Error(`no replica pool for subgraph ${subgraph}`);
      return new RemoteGraphQLDataSource({
        url: `http://${subgraph}.gotify.internal${GRAPHQL_PATH}`,
        fetcher: makeFailoverFetcher(pool),
      });
    },
  });
  const apollo = new ApolloServer({
    gateway,
    validationRules: apiValidationRules,
    introspection: true,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      ApolloServerPluginLandingPageLocalDefault({ embed: true }),
    ],
    logger,
  });
  await apollo.start();

  server.on(
    'request',
    makeRequestListener({
      apollo,
      peer,
      corsOrigins: opts.corsOrigins,
      logger,
      upload: {
        peer,
        tracker,
        maxUploadBytes: opts.maxUploadBytes ?? MAX_UPLOAD_BYTES,
        uploadToken: opts.uploadToken,
        logger: logger.child({ component: 'upload' }),
        onResult: metrics.upload,
      },
      ops: {
        registry: metrics.metrics.registry,
        health: async () => ({
          // Serving without a live replica of some subgraph would only answer errors: not healthy.
          ok: phase === 'serving' && [...pools.values()].every((p) => p.liveCount() > 0),
          role: 'api',
          name,
          phase,
          pools: Object.fromEntries([...pools].map(([n, p]) => [n, p.liveCount()])),
          streams: stream.connections(),
        }),
      },
    }),
  );
  const stream = attachStreamServer({
    server,
    schema: makeStreamSchema({
      peer,
      tracker,
      onChunk: metrics.chunkSent,
      logger: logger.child({ component: 'stream' }),
    }),
    corsOrigins: opts.corsOrigins,
    logger: logger.child({ component: 'ws' }),
    onConnections: metrics.wsConnections,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  for (const pool of pools.values()) pool.start();
  const stopDiscovery = opts.dnsServers?.length
    ? watchSubgraphReplicas({
        servers: opts.dnsServers,
        pools,
        logger: logger.child({ component: 'discovery' }),
      })
    : () => undefined;

  let announcer: Announcer | undefined;
  if (opts.dnsNodes?.length) {
    announcer = makeAnnouncer({
      dnsNodes: opts.dnsNodes,
      role: 'api',
      name,
      host,
      port,
      meta: { graphql: GRAPHQL_PATH, stream: STREAM_PATH },
      clusterKey: opts.clusterKey ?? '',
      logger: logger.child({ component: 'announcer' }),
    });
    await announcer.start();
  }
  phase = 'serving';
  const url = `http://${host}:${port}${GRAPHQL_PATH}`;
  const wsUrl = `ws://${host}:${port}${STREAM_PATH}`;
  logger.info(
    {
      url,
      wsUrl,
      replicas: Object.fromEntries([...pools].map(([n, p]) => [n, p.snapshot().map((r) => r.url)])),
    },
    'api node serving',
  );

  let stopping: Promise<void> | undefined;
  return {
    url,
    wsUrl,
    pools,
    phase: () => phase,
    stop() {
      stopping ??= (async () => {
        phase = 'draining';
        await announcer?.stop();
        await stream.close();
        await apollo.stop(); // drains in-flight requests and closes the HTTP server
        stopDiscovery();
        for (const pool of pools.values()) pool.stop();
        phase = 'stopped';
        logger.info('api node stopped');
      })();
      return stopping;
    },
  };
}
