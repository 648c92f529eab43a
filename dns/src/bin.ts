#!/usr/bin/env -S npx tsx
/**
 * Starts one DNS node: `tsx dns/src/bin.ts --dns-port 5353 --http-port 8053 --cluster-key k`.
 * Flags win over env (GOTIFY_DNS_HOST, GOTIFY_DNS_PORT, GOTIFY_HTTP_PORT, GOTIFY_ZONE,
 * GOTIFY_CLUSTER_KEY, GOTIFY_LOG_LEVEL). Stops cleanly on SIGTERM/SIGINT.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_DNS_PORT, DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_ZONE } from './constants.js';
import { startDnsNode } from './node.js';
import { makeLogger, onShutdown } from './ops.js';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port 0..65535');
  return n;
};

const env = process.env;
const opts = new Command('gotify-dns')
  .description('Gotify DNS role: resolves web/api/peer/tracker names to live nodes')
  .option('--host <ip>', 'bind address (GOTIFY_DNS_HOST)', env.GOTIFY_DNS_HOST ?? DEFAULT_HOST)
  .option(
    '--dns-port <n>',
    'DNS port, UDP+TCP (GOTIFY_DNS_PORT)',
    port,
    port(env.GOTIFY_DNS_PORT ?? String(DEFAULT_DNS_PORT)),
  )
  .option(
    '--http-port <n>',
    'HTTP port (GOTIFY_HTTP_PORT)',
    port,
    port(env.GOTIFY_HTTP_PORT ?? String(DEFAULT_HTTP_PORT)),
  )
  .option('--zone <zone>', 'zone served (GOTIFY_ZONE)', env.GOTIFY_ZONE ?? DEFAULT_ZONE)
  .option(
    '--cluster-key <key>',
    'shared secret for announcements (GOTIFY_CLUSTER_KEY)',
    env.GOTIFY_CLUSTER_KEY,
  )
  .option('--name <name>', 'node name for logs', 'dns')
  .parse()
  .opts<{
    host: string;
    dnsPort: number;
    httpPort: number;
    zone: string;
    clusterKey?: string;
    name: string;
  }>();

const logger = makeLogger(opts.name);
if (!opts.clusterKey) {
  logger.fatal('a cluster key is required (--cluster-key or GOTIFY_CLUSTER_KEY)');
  process.exit(2);
}
try {
  const node = await startDnsNode({
    host: opts.host,
    dnsPort: opts.dnsPort,
    httpPort: opts.httpPort,
    zone: opts.zone,
    clusterKey: opts.clusterKey,
    logger,
    processMetrics: true,
  });
  onShutdown(() => node.stop(), logger);
} catch (err) {
  logger.fatal({ err }, 'dns node failed to start');
  process.exit(1);
}
