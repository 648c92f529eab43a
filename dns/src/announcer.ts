/**
 * Client side of announcements: a node tells EVERY DNS node it is alive, with HMAC-signed
 * heartbeats, and withdraws itself on stop so it leaves the answers at once.
 * Does not resolve anything (discovery.ts) nor keep any registry (registry.ts).
 */
import { ANNOUNCE_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, SIGNATURE_HEADER, type Role } from './constants.js';
import { sign } from './auth.js';

/** Minimal logger shape (pino-compatible). */
export interface AnnouncerLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface AnnouncerOptions {
  /** HTTP 'host:port' (or full http:// URL) of every DNS node. */
  dnsNodes: string[];
  role: Role;
  /** Unique name of this node within its role, e.g. 'api-1'. */
  name: string;
  /** IPv4 address others reach this node at ('localhost' is read as 127.0.0.1). */
  host: string;
  port: number;
  /** Extra JSON shown in GET /nodes; `weight` (integer) becomes the SRV weight. @default undefined */
  meta?: Record<string, unknown>;
  /** Shared cluster secret. */
  clusterKey: string;
  /** Heartbeat period. @default HEARTBEAT_INTERVAL_MS (1000) */
  intervalMs?: number;
  /** Per-request timeout. @default ANNOUNCE_TIMEOUT_MS (800) */
  timeoutMs?: number;
  /** Logs reachability changes of DNS nodes. @default silent */
  logger?: AnnouncerLogger;
}

export interface Announcer {
  /** Sends the first heartbeat to every DNS node (resolves when all answered or failed), then keeps beating. */
  start(): Promise<void>;
  /**
   * Stops beating and withdraws from every DNS node (never throws). `{ withdraw: false }` just
   * goes silent, as a crash would: the node then expires after the DNS nodes' expiry.
   */
  stop(opts?: { withdraw?: boolean }): Promise<void>;
}

function urlOf(node: string, path: string): string {
  return (/^https?:\/\//.test(node) ? node.replace(/\/$/, '') : `http://${node}`) + path;
}

export function makeAnnouncer(opts: AnnouncerOptions): Announcer {
  const intervalMs = opts.intervalMs ?? HEARTBEAT_INTERVAL_MS;
  const timeoutMs = opts.timeoutMs ?? ANNOUNCE_TIMEOUT_MS;
  const timers = new Map<string, NodeJS.Timeout>();
  let running = false;
  let lastTs = 0;
  /** Last known reachability per DNS node, to log changes instead of every failure. */
  const reachable = new Map<string, boolean>();

  /** Strictly increasing timestamps: DNS nodes refuse a ts not newer than the last one. */
  const nextTs = () => (lastTs = Math.max(Date.now(), lastTs + 1));

  async function post(node: string, path: string, payload: object): Promise<void> {
    const body = JSON.stringify(payload);
    try {
      const res = await fetch(urlOf(node, path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(opts.clusterKey, body) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (reachable.get(node) === false) opts.logger?.info({ dns: node }, 'dns node reachable again');
      reachable.set(node, true);
    } catch (err) {
      if (reachable.get(node) !== false)
        opts.logger?.warn({ dns: node, err: String(err) }, 'announce to dns node failed');
      reachable.set(node, false);
    }
  }

  /** One heartbeat to one DNS node. */
  function beat(node: string): Promise<void> {
    const payload = {
      role: opts.role,
      name: opts.name,
      host: opts.host,
      port: opts.port,
      ...(opts.meta ? { meta: opts.meta } : {}),
      ts: nextTs(),
    };
    return post(node, '/announce', payload);
  }

  /** Each DNS node has its own loop: beats to one never overlap, and a hung one delays no other. */
  function schedule(node: string): void {
    if (!running) return;
    const t = setTimeout(() => void beat(node).finally(() => schedule(node)), intervalMs);
    t.unref();
    timers.set(node, t);
  }

  return {
    async start() {
      if (running) return;
      running = true;
      await Promise.all(opts.dnsNodes.map((n) => beat(n).finally(() => schedule(n))));
    },
    async stop({ withdraw = true } = {}) {
      running = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      if (!withdraw) return;
      const payload = { role: opts.role, name: opts.name, ts: nextTs() };
      await Promise.all(opts.dnsNodes.map((n) => post(n, '/withdraw', payload)));
    },
  };
}
