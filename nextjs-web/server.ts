/**
 * The Web node: serves the built Next app (`next build` first) on node:http, answers /healthz and
 * /metrics itself, resolves API nodes through the DNS role (@gotify/dns discovery, shared with the
 * Next handlers through globalThis), announces itself as role 'web', and stops cleanly on SIGTERM
 * (withdraw from DNS, stop accepting, drain). Run: `npx tsx server.ts [--port 3000] [--host ...]`.
 * Does not render pages (Next does) nor stream audio (browsers talk to API nodes directly).
 */
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import next from 'next';
import { makeAnnouncer, makeDiscovery } from '@gotify/dns';
import { makeLogger, makeMetrics, onShutdown, serveOps } from '@gotify/dht/ops/index.ts';
import { readConfig } from './src/server/config';
import { defaultDirectory } from './src/server/directory';

type Phase = 'starting' | 'serving' | 'draining' | 'stopped';

/** Open keep-alive sockets get this long to finish in-flight requests on SIGTERM. */
const DRAIN_MS = 5000;

const { values: flags } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    name: { type: 'string' },
    'dns-servers': { type: 'string' },
    'dns-nodes': { type: 'string' },
    /** Same as --dns-nodes (the cluster launcher's spelling). */
    dns: { type: 'string' },
    'cluster-key': { type: 'string' },
    'api-urls': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: false,
});
if (flags.help) {
  console.log(`Usage: gotify-web [options]

A Gotify Web node: the Next.js music app (run \`npm run build:web\` first)

Options:
  --port <n>             HTTP port (PORT) (default: 3000)
  --host <ip>            bind and announce address (HOST) (default: 127.0.0.1)
  --name <name>          node name announced to DNS (GOTIFY_NODE_NAME)
  --dns-servers <list>   DNS role, UDP host:port list, to find API nodes (GOTIFY_DNS_SERVERS)
  --dns <list>           DNS nodes' HTTP host:port list, to announce this node (GOTIFY_DNS_NODES)
  --cluster-key <key>    cluster secret (GOTIFY_CLUSTER_KEY)
  --api-urls <list>      static API URLs used when DNS answers nothing (GOTIFY_API_URLS)
  -h, --help             display help`);
  process.exit(0);
}
const split = (s: string | undefined) =>
  s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const config = readConfig(process.env, {
  ...(flags.port ? { port: Number(flags.port) } : {}),
  ...(flags.host ? { host: flags.host } : {}),
  ...(flags.name ? { name: flags.name } : {}),
  ...(flags['dns-servers'] ? { dnsServers: split(flags['dns-servers'])! } : {}),
  ...(flags['dns-nodes'] || flags.dns ? { dnsNodes: split(flags['dns-nodes'] ?? flags.dns)! } : {}),
  ...(flags['cluster-key'] ? { clusterKey: flags['cluster-key'] } : {}),
  ...(flags['api-urls'] ? { apiUrls: split(flags['api-urls'])! } : {}),
});

const log = makeLogger(config.name, { base: { role: 'web' } });
const metrics = makeMetrics();
const requests = metrics.counter('web_requests_total', 'HTTP requests served by the Web node', ['kind']);
let phase: Phase = 'starting';
const startedAt = Date.now();

const discovery = makeDiscovery({ servers: config.dnsServers, zone: config.zone });
const directory = defaultDirectory(config, () => discovery.resolveRole('api'));
(globalThis as unknown as { __gotifyWeb: unknown }).__gotifyWeb = {
  config,
  directory,
  startedAt,
  phase: () => phase,
};

const dir = dirname(fileURLToPath(import.meta.url));
const app = next({ dev: false, dir, hostname: config.host, port: config.port });
await app.prepare();
const handle = app.getRequestHandler();

const server = createServer((req, res) => {
  if (
    serveOps(req, res, {
      registry: metrics.registry,
      health: async () => {
        const eps = await directory.endpoints();
        return {
          ok: phase === 'serving',
          role: 'web',
          name: config.name,
          phase,
          uptimeMs: Date.now() - startedAt,
          api: { source: eps.source, endpoints: eps.endpoints.map((e) => e.http) },
        };
      },
    })
  ) {
    requests.inc({ kind: 'ops' });
    return;
  }
  requests.inc({
    kind: req.url?.startsWith('/_next/') ? 'asset' : req.url?.startsWith('/api/') ? 'api' : 'page',
  });
  if (phase === 'draining') res.setHeader('connection', 'close');
  void handle(req, res);
});
server.keepAliveTimeout = 5000;
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port, config.host, () => resolve());
});
const addr = server.address();
const port = typeof addr === 'object' && addr ? addr.port : config.port;

const announcer = config.clusterKey
  ? makeAnnouncer({
      dnsNodes: config.dnsNodes,
      role: 'web',
      name: config.name,
      host: config.host,
      port,
      clusterKey: config.clusterKey,
      meta: { url: `http://${config.host}:${port}` },
      logger: log,
    })
  : null;
if (announcer) await announcer.start();
else
  log.warn(
    'GOTIFY_CLUSTER_KEY not set: not announcing to DNS (browsers must be pointed at this node directly)',
  );

phase = 'serving';
log.info(
  {
    url: `http://${config.host}:${port}`,
    dnsServers: config.dnsServers,
    dnsNodes: config.dnsNodes,
    staticApi: config.apiUrls,
  },
  'web node serving',
);

onShutdown(async () => {
  phase = 'draining';
  await announcer?.stop();
  discovery.close();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, DRAIN_MS).unref();
  });
  await app.close?.();
  phase = 'stopped';
}, log);
