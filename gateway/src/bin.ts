#!/usr/bin/env -S npx tsx
/**
 * Starts one API node:
 * `tsx gateway/src/bin.ts --name api-1 --port 4000 --dns-servers 127.0.0.1:5353 --dns 127.0.0.1:8053`.
 * Flags win over env: GOTIFY_NODE_NAME, GOTIFY_API_HOST, GOTIFY_API_PORT, GOTIFY_DNS_SERVERS,
 * GOTIFY_DNS_NODES, GOTIFY_PEERS, GOTIFY_TRACKERS, GOTIFY_CLUSTER_KEY, GOTIFY_UPLOAD_TOKEN,
 * GOTIFY_MAX_UPLOAD_BYTES, GOTIFY_CORS_ORIGINS. Stops cleanly on SIGTERM/SIGINT.
 *
 * Does not: start other roles (the `npm start` launcher in cli/ does).
 */
import { Command, InvalidArgumentError } from 'commander';
import { makeLogger, onShutdown } from '@gotify/dht';
import { startApiNode } from './node.js';
import { MAX_UPLOAD_BYTES } from './policy.js';

const env = process.env;
const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const int =
  (what: string, min: number, max: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be an integer in [${min}, ${max}]`);
    return n;
  };
const port = int('port', 0, 65535);
const bytes = int('size', 1, Number.MAX_SAFE_INTEGER);

const o = new Command('gotify-api')
  .description('Gotify API node: Apollo gateway over the peer and tracker subgraphs, song stream, uploads')
  .option('--name <name>', 'unique node name (GOTIFY_NODE_NAME)', env.GOTIFY_NODE_NAME ?? 'api-1')
  .option('--host <ip>', 'listen and announce address (GOTIFY_API_HOST)', env.GOTIFY_API_HOST ?? '127.0.0.1')
  .option(
    '--port <n>',
    'HTTP port: GraphQL, stream, upload (GOTIFY_API_PORT)',
    port,
    port(env.GOTIFY_API_PORT ?? '4000'),
  )
  .option(
    '--dns-servers <list>',
    'DNS servers UDP host:port, for discovery (GOTIFY_DNS_SERVERS)',
    env.GOTIFY_DNS_SERVERS ?? '',
  )
  .option(
    '--dns <list>',
    'DNS nodes HTTP host:port, to announce to (GOTIFY_DNS_NODES)',
    env.GOTIFY_DNS_NODES ?? '',
  )
  .option('--peers <urls>', 'static peer GraphQL urls (GOTIFY_PEERS)', env.GOTIFY_PEERS ?? '')
  .option('--trackers <urls>', 'static tracker GraphQL urls (GOTIFY_TRACKERS)', env.GOTIFY_TRACKERS ?? '')
  .option('--cluster-key <key>', 'cluster secret (GOTIFY_CLUSTER_KEY)', env.GOTIFY_CLUSTER_KEY)
  .option(
    '--upload-token <token>',
    'bearer token required by /upload (GOTIFY_UPLOAD_TOKEN)',
    env.GOTIFY_UPLOAD_TOKEN,
  )
  .option(
    '--max-upload-bytes <n>',
    'upload size cap (GOTIFY_MAX_UPLOAD_BYTES)',
    bytes,
    bytes(env.GOTIFY_MAX_UPLOAD_BYTES ?? String(MAX_UPLOAD_BYTES)),
  )
  .option(
    '--cors <origins>',
    "allowed browser origins, comma list or '*' (GOTIFY_CORS_ORIGINS)",
    env.GOTIFY_CORS_ORIGINS ?? '*',
  )
  .parse()
  .opts<{
    name: string;
    host: string;
    port: number;
    dnsServers: string;
    dns: string;
    peers: string;
    trackers: string;
    clusterKey?: string;
    uploadToken?: string;
    maxUploadBytes: number;
    cors: string;
  }>();

const logger = makeLogger(o.name, { base: { role: 'api' } });
if (list(o.dns).length > 0 && !o.clusterKey) {
  logger.fatal('a cluster key is required to announce to DNS (--cluster-key or GOTIFY_CLUSTER_KEY)');
  process.exit(2);
}
try {
  const node = await startApiNode({
    name: o.name,
    host: o.host,
    port: o.port,
    dnsServers: list(o.dnsServers),
    dnsNodes: list(o.dns),
    replicas: { peer: list(o.peers), tracker: list(o.trackers) },
    clusterKey: o.clusterKey,
    uploadToken: o.uploadToken || undefined,
    maxUploadBytes: o.maxUploadBytes,
    corsOrigins: o.cors.trim() === '*' ? '*' : list(o.cors),
    logger,
  });
  onShutdown(() => node.stop(), logger);
} catch (err) {
  logger.fatal({ err }, 'api node failed to start');
  process.exit(1);
}
