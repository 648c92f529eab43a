/**
 * Feeding replica pools from the DNS role: watch the roles 'peer' and 'tracker' and replace each
 * pool's discovered replicas with `http://host:port/graphql` of the live nodes on every change.
 * An empty answer while the pool already has replicas is ignored (a DNS hiccup must not empty
 * the pool: the health probes decide liveness of known replicas).
 *
 * What this module does not do: announce this node (node.ts uses the DNS announcer) or probe.
 */
import { makeDiscovery, type DiscoveredNode, type Discovery } from '@gotify/dns';
import { PEER_SUBGRAPH, TRACKER_SUBGRAPH } from '@gotify/schema';
import { DISCOVERY_INTERVAL_MS, GRAPHQL_PATH } from './policy.js';
import type { ReplicaPools } from './replica-pool.js';

/** DNS role of each subgraph's replicas. */
export const ROLE_OF_SUBGRAPH = { [PEER_SUBGRAPH]: 'peer', [TRACKER_SUBGRAPH]: 'tracker' } as const;

export interface PoolDiscoveryOptions {
  /** DNS servers (UDP 'host:port'). */
  servers: string[];
  pools: ReplicaPools;
  /** @default DISCOVERY_INTERVAL_MS (2000) */
  intervalMs?: number;
  /** DNS zone. @default the DNS package's default */
  zone?: string;
  logger?: { info(obj: object, msg?: string): void };
}

/** Url of a discovered subgraph node's GraphQL endpoint. */
export function graphqlUrlOf(node: DiscoveredNode): string {
  return `http://${node.host}:${node.port}${GRAPHQL_PATH}`;
}

/** Start watching; returns stop. */
export function watchSubgraphReplicas(opts: PoolDiscoveryOptions): () => void {
  const discovery: Discovery = makeDiscovery({ servers: opts.servers, zone: opts.zone });
  const unwatch: (() => void)[] = [];
  for (const [subgraph, role] of Object.entries(ROLE_OF_SUBGRAPH)) {
    const pool = opts.pools.get(subgraph);
    if (!pool) continue;
    unwatch.push(
      discovery.watch(role, opts.intervalMs ?? DISCOVERY_INTERVAL_MS, (nodes) => {
        const urls = nodes.map(graphqlUrlOf);
        if (urls.length === 0 && pool.snapshot().length > 0) return;
        opts.logger?.info({ pool: subgraph, replicas: urls }, 'replicas discovered');
        pool.setDiscovered(urls);
        void pool.probeAll();
      }),
    );
  }
  return () => {
    for (const u of unwatch) u();
    discovery.close();
  };
}
