/**
 * Cluster snapshot for the cluster page: every node the DNS nodes' registries list (plus nodes
 * seen before that vanished, shown as down), each probed at GET /healthz, and the DNS nodes
 * themselves. Server only; the browser cannot reach /healthz across origins.
 * Does not list songs or replicas (the page asks the API through GraphQL for that).
 */
import { httpBase } from './config';
import { SOURCE_TIMEOUT_MS, fetchRegistry, type RegistryNode } from './directory';

/** A node not seen for this long is dropped from the "down" list entirely. */
const FORGET_AFTER_MS = 10 * 60_000;
/** Budget of one /healthz probe: a slow node reads as down on this refresh. */
const HEALTH_TIMEOUT_MS = 1000;

export interface NodeHealth {
  ok?: boolean;
  role?: string;
  name?: string;
  phase?: string;
  dht?: { nodeId?: string; contacts?: number; keys?: number; bytes?: number };
  [k: string]: unknown;
}

export interface ClusterNode {
  role: string;
  name: string;
  address: string;
  /** Listed by a DNS registry right now. */
  registered: boolean;
  /** Answered /healthz with ok. */
  alive: boolean;
  lastSeen: number | null;
  health: NodeHealth | null;
  error: string | null;
  meta: Record<string, unknown>;
}

export interface ClusterSnapshot {
  at: string;
  dns: Array<{ url: string; alive: boolean; health: NodeHealth | null; error: string | null }>;
  nodes: ClusterNode[];
}

type Seen = Map<string, { node: RegistryNode; lastSeen: number }>;
const g = globalThis as unknown as { __gotifySeenNodes?: Seen };
const seen: Seen = (g.__gotifySeenNodes ??= new Map());

async function probe(url: string): Promise<{ health: NodeHealth | null; error: string | null }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS), cache: 'no-store' });
    const body = (await res.json().catch(() => null)) as NodeHealth | null;
    return res.ok ? { health: body, error: null } : { health: body, error: `HTTP ${res.status}` };
  } catch (e) {
    return { health: null, error: (e as Error).message };
  }
}

export function healthUrlOf(n: RegistryNode): string {
  const m = n.meta ?? {};
  if (typeof m.healthUrl === 'string') return m.healthUrl;
  const port = [m.opsPort, m.httpPort, m.healthPort].find((p) => typeof p === 'number') ?? n.port;
  return `http://${n.host}:${String(port)}/healthz`;
}

export async function clusterSnapshot(dnsNodes: string[], staticApiUrls: string[]): Promise<ClusterSnapshot> {
  const now = Date.now();
  const regs = await Promise.all(
    dnsNodes.map(async (d) => {
      const [nodes, h] = await Promise.all([
        fetchRegistry(d, SOURCE_TIMEOUT_MS).catch((e: Error) => e),
        probe(`${httpBase(d)}/healthz`),
      ]);
      return { url: d, nodes, ...h };
    }),
  );
  const live = new Map<string, RegistryNode>();
  for (const r of regs)
    if (Array.isArray(r.nodes)) for (const n of r.nodes) live.set(`${n.role}/${n.name}`, n);
  for (const [k, n] of live)
    seen.set(k, { node: n, lastSeen: typeof n.lastSeen === 'number' ? n.lastSeen : now });
  if (live.size === 0)
    for (const u of staticApiUrls) {
      const url = new URL(u);
      const k = `api/${url.host}`;
      if (!seen.has(k))
        seen.set(k, {
          node: { role: 'api', name: url.host, host: url.hostname, port: Number(url.port || 80) },
          lastSeen: 0,
        });
    }
  for (const [k, s] of seen)
    if (!live.has(k) && s.lastSeen > 0 && now - s.lastSeen > FORGET_AFTER_MS) seen.delete(k);

  const nodes = await Promise.all(
    [...seen.entries()].map(async ([k, s]): Promise<ClusterNode> => {
      const { health, error } = await probe(healthUrlOf(s.node));
      return {
        role: s.node.role,
        name: s.node.name,
        address: `${s.node.host}:${s.node.port}`,
        registered: live.has(k),
        alive: !!health && health.ok !== false && !error,
        lastSeen: s.lastSeen || null,
        health,
        error,
        meta: s.node.meta ?? {},
      };
    }),
  );
  const order = ['dns', 'web', 'api', 'tracker', 'peer'];
  nodes.sort(
    (a, b) =>
      order.indexOf(a.role) - order.indexOf(b.role) ||
      a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
  return {
    at: new Date(now).toISOString(),
    dns: regs.map((r) => ({
      url: r.url,
      alive: !r.error && Array.isArray(r.nodes),
      health: r.health,
      error: r.error ?? (r.nodes instanceof Error ? r.nodes.message : null),
    })),
    nodes,
  };
}
