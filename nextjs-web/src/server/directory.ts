/**
 * The Web node's view of the live API nodes, for the browser: asks DNS (SRV _api._tcp.<zone>),
 * else the DNS nodes' HTTP registry (/nodes), else the static GOTIFY_API_URLS list, and caches
 * the answer for a second. server.ts may plug in @gotify/dns's makeDiscovery as the first source.
 * Server only (node:dns). Does not probe API nodes: DNS answers only with nodes that heartbeat.
 */
import { Resolver } from 'node:dns/promises';
import type { Endpoint } from '../player/endpoints';
import { endpointFromHttp } from '../player/endpoints';
import { httpBase, type WebConfig } from './config';

/** An API node as discovery reports it. */
export interface ApiNode {
  host: string;
  port: number;
  name?: string;
}

export type ResolveApi = () => Promise<ApiNode[]>;

export interface EndpointsAnswer {
  endpoints: Endpoint[];
  /** Which source answered. */
  source: 'discovery' | 'dns' | 'registry' | 'static';
  /** Errors of the sources that failed before, for the cluster page. */
  errors: string[];
  resolvedAt: string;
}

/** How long one answer is reused: the DNS TTL is 2 s, browsers poll every 10 s. */
const CACHE_MS = 1000;
/** Per-source time budget, so a dead DNS node does not hold up page rendering. */
export const SOURCE_TIMEOUT_MS = 1500;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

/** SRV lookup through our DNS role with Node's resolver (targets resolved to A records). */
export function srvResolver(servers: string[], zone: string): ResolveApi {
  const r = new Resolver({ timeout: 500, tries: 2 });
  r.setServers(servers);
  return async () => {
    const srv = await r.resolveSrv(`_api._tcp.${zone}`);
    const out = await Promise.all(
      srv.map(async (s) => {
        const host = /^\d+\.\d+\.\d+\.\d+$/.test(s.name)
          ? s.name
          : ((await r.resolve4(s.name).catch(() => []))[0] ?? s.name);
        return { host, port: s.port, name: s.name.split('.')[0] };
      }),
    );
    return out;
  };
}

/** A node as listed by a DNS node's GET /nodes. */
export interface RegistryNode {
  role: string;
  name: string;
  host: string;
  port: number;
  meta?: Record<string, unknown>;
  lastSeen?: number;
}

/** Accepts `[...]`, `{nodes: [...]}` or `{api: [...], web: [...]}`. */
export function parseRegistry(body: unknown): RegistryNode[] {
  const raw: unknown[] = Array.isArray(body)
    ? body
    : body && typeof body === 'object' && Array.isArray((body as { nodes?: unknown }).nodes)
      ? (body as { nodes: unknown[] }).nodes
      : body && typeof body === 'object'
        ? Object.entries(body as Record<string, unknown>).flatMap(([role, v]) =>
            Array.isArray(v) ? v.map((n) => ({ role, ...(n as object) })) : [],
          )
        : [];
  return raw.filter((n): n is RegistryNode => {
    const o = n as Partial<RegistryNode>;
    return !!o && typeof o.role === 'string' && typeof o.host === 'string' && typeof o.port === 'number';
  });
}

export async function fetchRegistry(dnsNode: string, timeoutMs = SOURCE_TIMEOUT_MS): Promise<RegistryNode[]> {
  const res = await fetch(`${httpBase(dnsNode)}/nodes`, {
    signal: AbortSignal.timeout(timeoutMs),
    cache: 'no-store',
  });
  if (!res.ok) throw new Error(`${dnsNode}/nodes answered ${res.status}`);
  return parseRegistry(await res.json());
}

/** The union of API nodes listed by any DNS node's HTTP registry. */
export function registryResolver(dnsNodes: string[]): ResolveApi {
  return async () => {
    const lists = await Promise.allSettled(dnsNodes.map((d) => fetchRegistry(d)));
    const ok = lists.filter((l): l is PromiseFulfilledResult<RegistryNode[]> => l.status === 'fulfilled');
    if (ok.length === 0) throw new Error('no DNS node registry answered');
    return ok.flatMap((l) => l.value).filter((n) => n.role === 'api');
  };
}

export function nodeToEndpoint(n: ApiNode & { meta?: Record<string, unknown> }): Endpoint {
  const url =
    typeof n.meta?.url === 'string'
      ? n.meta.url
      : `http://${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`;
  return endpointFromHttp(url, n.name, typeof n.meta?.stream === 'string' ? n.meta.stream : undefined);
}

export interface DirectoryOptions {
  /** Sources tried in order; the first non-empty answer wins. */
  sources: Array<{ kind: 'discovery' | 'dns' | 'registry'; resolve: ResolveApi }>;
  /** Used when every source fails or answers nothing. */
  staticUrls: string[];
}

export interface Directory {
  endpoints(): Promise<EndpointsAnswer>;
}

export function makeDirectory(opts: DirectoryOptions): Directory {
  let cached: { at: number; answer: EndpointsAnswer } | null = null;
  let inflight: Promise<EndpointsAnswer> | null = null;

  async function resolve(): Promise<EndpointsAnswer> {
    const errors: string[] = [];
    for (const s of opts.sources) {
      try {
        const nodes = await withTimeout(s.resolve(), SOURCE_TIMEOUT_MS, s.kind);
        const eps = dedupe(nodes.map(nodeToEndpoint));
        if (eps.length)
          return { endpoints: eps, source: s.kind, errors, resolvedAt: new Date().toISOString() };
        errors.push(`${s.kind}: no live API node`);
      } catch (e) {
        errors.push(`${s.kind}: ${(e as Error).message}`);
      }
    }
    return {
      endpoints: opts.staticUrls.map((u) => endpointFromHttp(u)),
      source: 'static',
      errors,
      resolvedAt: new Date().toISOString(),
    };
  }

  return {
    endpoints() {
      if (cached && Date.now() - cached.at < CACHE_MS) return Promise.resolve(cached.answer);
      inflight ??= resolve()
        .then((answer) => ((cached = { at: Date.now(), answer }), answer))
        .finally(() => (inflight = null));
      return inflight;
    },
  };
}

function dedupe(eps: Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return eps.filter((e) => !seen.has(e.http) && (seen.add(e.http), true));
}

/** DNS SRV first, then the DNS nodes' registry, then the static list. */
export function defaultDirectory(config: WebConfig, first?: ResolveApi): Directory {
  return makeDirectory({
    sources: [
      ...(first ? [{ kind: 'discovery' as const, resolve: first }] : []),
      { kind: 'dns', resolve: srvResolver(config.dnsServers, config.zone) },
      { kind: 'registry', resolve: registryResolver(config.dnsNodes) },
    ],
    staticUrls: config.apiUrls,
  });
}
