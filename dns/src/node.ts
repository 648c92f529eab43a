/**
 * One DNS node: the live registry, DNS on UDP+TCP, and the HTTP side (announce, nodes,
 * healthz, metrics), with a start/stop lifecycle. Several DNS nodes run side by side; they do
 * not talk to each other: every cluster node announces itself to each of them (announcer.ts).
 */
import http from 'node:http';
import net from 'node:net';
import type { Logger } from 'pino';
import { buildResponse } from './answer.js';
import {
  ANSWER_TTL_SECONDS,
  DEFAULT_DNS_PORT,
  DEFAULT_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_ZONE,
  HEARTBEAT_EXPIRY_MS,
  REPLAY_WINDOW_MS,
  SWEEP_INTERVAL_MS,
} from './constants.js';
import { makeHttpHandler } from './http.js';
import { makeDnsMetrics, makeLogger } from './ops.js';
import { makeRegistry, type Registry } from './registry.js';
import { listenDns } from './transport.js';

export interface DnsNodeOptions {
  /** Address to bind DNS and HTTP on. @default DEFAULT_HOST ('127.0.0.1') */
  host?: string;
  /** DNS port, UDP and TCP; 0 picks a free one. @default DEFAULT_DNS_PORT (5353) */
  dnsPort?: number;
  /** HTTP port (announce, nodes, healthz, metrics); 0 picks a free one. @default DEFAULT_HTTP_PORT (8053) */
  httpPort?: number;
  /** Zone served. @default DEFAULT_ZONE ('gotify.local') */
  zone?: string;
  /** Shared secret that signs announcements. Required. */
  clusterKey: string;
  /** Logger. @default makeLogger('dns') */
  logger?: Logger;
  /** A node missing heartbeats this long leaves the answers. @default HEARTBEAT_EXPIRY_MS (3500) */
  expiryMs?: number;
  /** Accepted clock distance of announcement timestamps. @default REPLAY_WINDOW_MS (30000) */
  replayWindowMs?: number;
  /** TTL of every DNS record, seconds. @default ANSWER_TTL_SECONDS (2) */
  ttlSeconds?: number;
  /** Also export Node process metrics on /metrics (once per process!). @default false */
  processMetrics?: boolean;
}

export type DnsNodePhase = 'starting' | 'serving' | 'draining' | 'stopped';

export interface DnsNode {
  /** 'host:port' of DNS (UDP and TCP), as given to makeDiscovery's `servers`. */
  dnsAddress: string;
  /** 'host:port' of HTTP, as given to makeAnnouncer's `dnsNodes`. */
  httpAddress: string;
  /** The live registry (read it; the HTTP side writes it). */
  registry: Registry;
  phase(): DnsNodePhase;
  stop(): Promise<void>;
}

export async function startDnsNode(opts: DnsNodeOptions): Promise<DnsNode> {
  if (!opts.clusterKey) throw new Error('startDnsNode: clusterKey is required');
  const host = opts.host ?? DEFAULT_HOST;
  const zone = (opts.zone ?? DEFAULT_ZONE).toLowerCase().replace(/\.$/, '');
  const logger = opts.logger ?? makeLogger('dns');
  let phase: DnsNodePhase = 'starting';
  const registry = makeRegistry({
    expiryMs: opts.expiryMs ?? HEARTBEAT_EXPIRY_MS,
    replayWindowMs: opts.replayWindowMs ?? REPLAY_WINDOW_MS,
  });
  const metrics = makeDnsMetrics((r) => registry.live(r).length, {
    defaultMetrics: opts.processMetrics ?? false,
  });
  const nsAddress = net.isIPv4(host) && host !== '0.0.0.0' ? host : undefined;

  const dns = await listenDns(host, opts.dnsPort ?? DEFAULT_DNS_PORT, {
    answer: (q) =>
      buildResponse(q, { zone, registry, nsAddress, ttl: opts.ttlSeconds ?? ANSWER_TTL_SECONDS }),
    onQuery: (transport, rcode) => metrics.queries.inc({ transport, rcode }),
    onMalformed: (transport, err) => {
      metrics.malformed.inc({ transport });
      logger.debug({ transport, err: String(err) }, 'dropped malformed DNS message');
    },
  });

  const server = http.createServer(
    makeHttpHandler({ zone, clusterKey: opts.clusterKey, registry, metrics, logger, phase: () => phase }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.httpPort ?? DEFAULT_HTTP_PORT, host, () => (server.off('error', reject), resolve()));
    });
  } catch (err) {
    await dns.close();
    throw err;
  }
  const httpPort = (server.address() as net.AddressInfo).port;

  const sweeper = setInterval(() => {
    for (const n of registry.sweep())
      logger.info({ role: n.role, node: n.name }, 'node expired (missed heartbeats)');
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  const fmt = (p: number) => (net.isIPv6(host) ? `[${host}]:${p}` : `${host}:${p}`);
  phase = 'serving';
  logger.info({ zone, dns: fmt(dns.port), http: fmt(httpPort) }, 'dns node serving');

  let stopping: Promise<void> | undefined;
  return {
    dnsAddress: fmt(dns.port),
    httpAddress: fmt(httpPort),
    registry,
    phase: () => phase,
    stop() {
      stopping ??= (async () => {
        phase = 'draining';
        clearInterval(sweeper);
        server.closeAllConnections();
        await Promise.all([dns.close(), new Promise<void>((r) => server.close(() => r()))]);
        phase = 'stopped';
        logger.info('dns node stopped');
      })();
      return stopping;
    },
  };
}
