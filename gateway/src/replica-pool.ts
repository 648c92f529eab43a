/**
 * ReplicaPool: the live replicas of one subgraph (peer or tracker), kept outside Apollo's data
 * sources (the gateway may recreate those at will) and keyed by subgraph name.
 *
 * Replicas come from two sources: a static list (options, tests) and DNS discovery (replaced
 * wholesale on every resolve). Each replica is probed at a constant interval with Apollo's
 * health-check query; request failures mark it down at once (passive), a successful probe or
 * request marks it up again. `candidates()` orders replicas for one request: up ones first in
 * round-robin order (spreads load), then never-probed ones, then down ones as a last resort.
 *
 * What this module does not do: send requests or decide retries (fetcher.ts, retry-policy.ts),
 * or talk to DNS (discovery.ts).
 */
import { PROBE_INTERVAL_MS, PROBE_TIMEOUT_MS } from './policy.js';

/** Health of one replica as last observed. */
export type ReplicaHealth = 'unknown' | 'up' | 'down';

/** What the pool knows about one replica. */
export interface ReplicaState {
  url: string;
  health: ReplicaHealth;
  /** Where it came from; static replicas are never dropped by discovery. */
  source: 'static' | 'discovery';
  consecutiveFailures: number;
  lastError?: string;
  /** Round trip of the last successful probe or request, ms. */
  latencyMs?: number;
}

/** Minimal logger surface (pino-compatible). */
export interface PoolLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ReplicaPoolOptions {
  /** Subgraph name (peer, tracker): for logs. */
  name: string;
  /** Static replica GraphQL urls (never removed). @default [] */
  replicas?: string[];
  /** Period of health probes. @default PROBE_INTERVAL_MS (1000) */
  probeIntervalMs?: number;
  /** Timeout of one probe. @default PROBE_TIMEOUT_MS (800) */
  probeTimeoutMs?: number;
  /** fetch implementation (tests may count calls). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Where health transitions are logged. @default no logging */
  logger?: PoolLogger;
}

export interface ReplicaPool {
  readonly name: string;
  /** Replace the discovered replicas (static ones stay). */
  setDiscovered(urls: string[]): void;
  /** Add static replicas. */
  addStatic(urls: string[]): void;
  /** Replica urls in the order one request should try them. */
  candidates(): string[];
  /** A request to `url` succeeded. */
  reportSuccess(url: string, latencyMs?: number): void;
  /** A request to `url` failed; `markDown` takes it out of rotation until it answers again. */
  reportFailure(url: string, error: string, markDown: boolean): void;
  /** Replicas currently believed up. */
  liveCount(): number;
  /** Every replica with its health. */
  snapshot(): ReplicaState[];
  /** Probe every replica once now. */
  probeAll(): Promise<void>;
  /** Start periodic probes (idempotent). */
  start(): void;
  /** Stop probes. */
  stop(): void;
}

/** Apollo's own subgraph health check (what `gateway.serviceHealthCheck()` sends). */
export const HEALTH_CHECK_QUERY = 'query __ApolloServiceHealthCheck__ { __typename }';

export function makeReplicaPool(opts: ReplicaPoolOptions): ReplicaPool {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const intervalMs = opts.probeIntervalMs ?? PROBE_INTERVAL_MS;
  const timeoutMs = opts.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  const replicas = new Map<string, ReplicaState>();
  let cursor = 0;
  let timer: NodeJS.Timeout | undefined;
  let probing = false;

  function add(url: string, source: ReplicaState['source']): void {
    const existing = replicas.get(url);
    if (existing) {
      if (source === 'static') existing.source = 'static';
      return;
    }
    replicas.set(url, { url, health: 'unknown', source, consecutiveFailures: 0 });
  }
  for (const url of opts.replicas ?? []) add(url, 'static');

  function transition(r: ReplicaState, health: ReplicaHealth, error?: string): void {
    if (r.health === health) return;
    const was = r.health;
    r.health = health;
    if (health === 'down') opts.logger?.warn({ pool: opts.name, url: r.url, was, error }, 'replica down');
    else opts.logger?.info({ pool: opts.name, url: r.url, was }, `replica ${health}`);
  }

  async function probe(r: ReplicaState): Promise<void> {
    const started = performance.now();
    try {
      const res = await doFetch(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true' },
        body: JSON.stringify({ query: HEALTH_CHECK_QUERY }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await res.json()) as { data?: { __typename?: string } };
      if (!res.ok || body?.data?.__typename !== 'Query') throw new Error(`probe answered HTTP ${res.status}`);
      pool.reportSuccess(r.url, performance.now() - started);
    } catch (err) {
      pool.reportFailure(r.url, (err as Error).message, true);
    }
  }

  const pool: ReplicaPool = {
    name: opts.name,
    setDiscovered(urls) {
      const wanted = new Set(urls);
      for (const [url, r] of replicas) {
        if (r.source === 'discovery' && !wanted.has(url)) replicas.delete(url);
      }
      for (const url of urls) add(url, 'discovery');
    },
    addStatic(urls) {
      for (const url of urls) add(url, 'static');
    },
    candidates() {
      const all = [...replicas.values()];
      const up = all.filter((r) => r.health === 'up');
      const rotated = up.length ? [...up.slice(cursor % up.length), ...up.slice(0, cursor % up.length)] : [];
      cursor = (cursor + 1) % 1_000_000;
      const unknown = all.filter((r) => r.health === 'unknown');
      const down = all
        .filter((r) => r.health === 'down')
        .sort((a, b) => a.consecutiveFailures - b.consecutiveFailures);
      return [...rotated, ...unknown, ...down].map((r) => r.url);
    },
    reportSuccess(url, latencyMs) {
      const r = replicas.get(url);
      if (!r) return;
      r.consecutiveFailures = 0;
      if (latencyMs !== undefined) r.latencyMs = Math.round(latencyMs);
      transition(r, 'up');
    },
    reportFailure(url, error, markDown) {
      const r = replicas.get(url);
      if (!r) return;
      r.consecutiveFailures += 1;
      r.lastError = error;
      if (markDown) transition(r, 'down', error);
    },
    liveCount() {
      let n = 0;
      for (const r of replicas.values()) if (r.health === 'up') n++;
      return n;
    },
    snapshot() {
      return [...replicas.values()].map((r) => ({ ...r }));
    },
    async probeAll() {
      if (probing) return;
      probing = true;
      try {
        await Promise.all([...replicas.values()].map(probe));
      } finally {
        probing = false;
      }
    },
    start() {
      if (timer) return;
      void pool.probeAll();
      timer = setInterval(() => void pool.probeAll(), intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return pool;
}

/** The pools of one API node, keyed by subgraph name. */
export type ReplicaPools = ReadonlyMap<string, ReplicaPool>;
