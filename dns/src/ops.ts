/**
 * Tiny ops helpers for the DNS role: pino logger, prom-client metrics, SIGTERM hook.
 * Deliberately standalone (the shared ones live in dht/src/ops/, which @gotify/dns must not
 * depend on). The /healthz and /metrics routes are served by http.ts.
 */
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ROLES, type Role } from './constants.js';

export type { Logger };

/**
 * pino logger named `name`; level from GOTIFY_LOG_LEVEL. Lines go to stdout synchronously, as in
 * dht/src/ops/logger.ts (STDOUT_SYNC): pino's asynchronous stdout can hang process exit forever
 * once stdout's reader is gone (EPIPE), so SIGTERM would never end the node.
 */
export function makeLogger(name: string, level: string = process.env.GOTIFY_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level }, pino.destination({ fd: 1, sync: true }));
}

export type DnsMetrics = ReturnType<typeof makeDnsMetrics>;

/**
 * Metrics of one DNS node in its own registry (several nodes may share a process in tests).
 * @param liveCount returns how many nodes of a role are live right now (sampled on scrape).
 */
export function makeDnsMetrics(liveCount: (role: Role) => number, opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const queries = new Counter({
    name: 'gotify_dns_queries_total',
    help: 'DNS queries answered, by transport and rcode',
    labelNames: ['transport', 'rcode'] as const,
    registers: [registry],
  });
  const malformed = new Counter({
    name: 'gotify_dns_malformed_total',
    help: 'DNS messages dropped because they could not be decoded or answered',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const announces = new Counter({
    name: 'gotify_dns_announcements_total',
    help: 'Announce/withdraw requests, by kind and result',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'gotify_dns_live_nodes',
    help: 'Nodes currently live in the registry, by role',
    labelNames: ['role'] as const,
    registers: [registry],
    collect() {
      for (const r of ROLES) this.set({ role: r }, liveCount(r));
    },
  });
  return { registry, queries, malformed, announces };
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits (0 on success, 1 on failure). */
export function onShutdown(stop: () => Promise<void>, logger?: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger?.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger?.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
