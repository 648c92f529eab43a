/**
 * Web node configuration from the environment (server.ts may override from flags).
 * Defaults match the local cluster of docs/CONVENTIONS.md so `npm start` needs no settings.
 * Does no I/O beyond reading process.env.
 */

export interface WebConfig {
  /** HTTP port of this Web node. @default 3000 */
  port: number;
  /** Bind address. @default 127.0.0.1 */
  host: string;
  /** Node name announced to DNS. @default web-<port> */
  name: string;
  /** DNS servers (UDP) as host:port, asked for SRV _api._tcp.<zone>. @default 127.0.0.1:5353, 127.0.0.1:5354 */
  dnsServers: string[];
  /** DNS nodes' HTTP bases (announce, /nodes registry). @default http://127.0.0.1:8053, http://127.0.0.1:8054 */
  dnsNodes: string[];
  /** DNS zone. @default gotify.local */
  zone: string;
  /** Shared secret signing announcements. @default '' (announcing is skipped without it unless GOTIFY_DNS_NODES is set) */
  clusterKey: string;
  /** API base URLs used when DNS answers nothing (static fallback). @default http://127.0.0.1:4000, http://127.0.0.1:4001 */
  apiUrls: string[];
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);

/** `host:port` or a URL → an http(s) base URL without trailing slash. */
export function httpBase(s: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(s) ? s : `http://${s}`;
  return withScheme.replace(/\/+$/, '');
}

export function readConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<WebConfig> = {},
): WebConfig {
  const port = overrides.port ?? Number(env.PORT ?? 3000);
  return {
    port,
    host: overrides.host ?? env.HOST ?? '127.0.0.1',
    name: overrides.name ?? env.GOTIFY_NODE_NAME ?? `web-${port}`,
    dnsServers: overrides.dnsServers ?? list(env.GOTIFY_DNS_SERVERS) ?? ['127.0.0.1:5353', '127.0.0.1:5354'],
    dnsNodes: (overrides.dnsNodes ?? list(env.GOTIFY_DNS_NODES) ?? ['127.0.0.1:8053', '127.0.0.1:8054']).map(
      httpBase,
    ),
    zone: overrides.zone ?? env.GOTIFY_ZONE ?? 'gotify.local',
    clusterKey: overrides.clusterKey ?? env.GOTIFY_CLUSTER_KEY ?? '',
    apiUrls: (
      overrides.apiUrls ??
      list(env.GOTIFY_API_URLS) ?? ['http://127.0.0.1:4000', 'http://127.0.0.1:4001']
    ).map(httpBase),
  };
}
