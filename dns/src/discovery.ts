/**
 * Client side of resolution: finds live nodes of a role through the DNS role with Node's own
 * resolver (SRV `_<role>._tcp.<zone>`, then A of each target), with a tiny TTL-respecting
 * cache and a polling `watch` for connection pools. Does not announce (announcer.ts).
 */
import { Resolver } from 'node:dns/promises';
import {
  ANSWER_TTL_SECONDS,
  DEFAULT_ZONE,
  DISCOVERY_MAX_STALE_MS,
  RESOLVER_TIMEOUT_MS,
  RESOLVER_TRIES,
  type Role,
} from './constants.js';

export interface DiscoveredNode {
  host: string;
  port: number;
  /** SRV target, e.g. 'api-1.node.gotify.local'. */
  name: string;
}

export interface DiscoveryOptions {
  /** DNS servers as 'host:port' (UDP/TCP), tried in order. */
  servers: string[];
  /** Zone. @default DEFAULT_ZONE ('gotify.local') */
  zone?: string;
  /** Per-try timeout. @default RESOLVER_TIMEOUT_MS (500) */
  timeoutMs?: number;
}

export interface Discovery {
  /** Live nodes of a role (empty when none). Cached for the records' TTL; rotates on cache hits. */
  resolveRole(role: Role): Promise<DiscoveredNode[]>;
  /** Polls every `intervalMs` (bypassing the cache) and calls `cb` first and on every change. Returns unwatch. */
  watch(role: Role, intervalMs: number, cb: (nodes: DiscoveredNode[]) => void): () => void;
  /** Stops watchers and cancels in-flight queries. */
  close(): void;
}

interface Entry {
  nodes: DiscoveredNode[];
  expiresAt: number;
  staleUntil: number;
  turn: number;
}

const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

export function makeDiscovery(opts: DiscoveryOptions): Discovery {
  const zone = (opts.zone ?? DEFAULT_ZONE).replace(/\.$/, '');
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? RESOLVER_TIMEOUT_MS, tries: RESOLVER_TRIES });
  resolver.setServers(opts.servers);
  const cache = new Map<Role, Entry>();
  const inflight = new Map<Role, Promise<DiscoveredNode[]>>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  async function lookup(role: Role): Promise<DiscoveredNode[]> {
    let srv: Awaited<ReturnType<Resolver['resolveSrv']>>;
    try {
      srv = await resolver.resolveSrv(`_${role}._tcp.${zone}`);
    } catch (err) {
      if (NO_RECORDS.has((err as NodeJS.ErrnoException).code ?? ''))
        return remember(role, [], ANSWER_TTL_SECONDS);
      throw err;
    }
    let ttl = ANSWER_TTL_SECONDS;
    const addrs = new Map<string, string | undefined>();
    await Promise.all(
      [...new Set(srv.map((s) => s.name))].map(async (target) => {
        try {
          const recs = await resolver.resolve4(target, { ttl: true });
          for (const r of recs) ttl = Math.min(ttl, r.ttl);
          addrs.set(target, recs[0]?.address);
        } catch {
          addrs.set(target, undefined); // node vanished between the two queries: skip it
        }
      }),
    );
    const nodes = srv.flatMap((s) => {
      const host = addrs.get(s.name);
      return host ? [{ host, port: s.port, name: s.name }] : [];
    });
    return remember(role, nodes, ttl);
  }

  function remember(role: Role, nodes: DiscoveredNode[], ttlSeconds: number): DiscoveredNode[] {
    const t = Date.now();
    cache.set(role, {
      nodes,
      expiresAt: t + ttlSeconds * 1000,
      staleUntil: t + ttlSeconds * 1000 + DISCOVERY_MAX_STALE_MS,
      turn: 0,
    });
    return nodes;
  }

  /** Fresh lookup, deduplicated; on failure serves a recent stale answer if there is one. */
  function fresh(role: Role): Promise<DiscoveredNode[]> {
    let p = inflight.get(role);
    if (!p) {
      p = lookup(role)
        .catch((err: unknown) => {
          const e = cache.get(role);
          if (e && e.staleUntil > Date.now()) return e.nodes;
          throw err;
        })
        .finally(() => inflight.delete(role));
      inflight.set(role, p);
    }
    return p;
  }

  return {
    async resolveRole(role) {
      const e = cache.get(role);
      if (e && e.expiresAt > Date.now()) {
        const n = e.nodes.length;
        if (n < 2) return [...e.nodes];
        const k = e.turn++ % n;
        return [...e.nodes.slice(k), ...e.nodes.slice(0, k)];
      }
      return fresh(role);
    },
    watch(role, intervalMs, cb) {
      let last: string | undefined;
      let active = true;
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        if (timer) timers.delete(timer);
        try {
          const nodes = await fresh(role);
          const key = nodes
            .map((n) => `${n.name}|${n.host}|${n.port}`)
            .sort()
            .join(',');
          if (active && !closed && key !== last) {
            last = key;
            cb(nodes);
          }
        } catch {
          // every DNS node unreachable and nothing cached: keep the last view, try again
        }
        if (!active || closed) return;
        timer = setTimeout(() => void tick(), intervalMs);
        timer.unref();
        timers.add(timer);
      };
      void tick();
      return () => {
        active = false;
        if (timer) {
          clearTimeout(timer);
          timers.delete(timer);
        }
      };
    },
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      resolver.cancel();
    },
  };
}
