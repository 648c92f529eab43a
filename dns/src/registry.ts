/**
 * The live registry of one DNS node: who announced, until when they count as alive, and a
 * per-role round-robin cursor. Pure in-memory state with an injectable clock.
 * Does not verify signatures (auth.ts) nor speak HTTP/DNS (http.ts, answer.ts).
 */
import { createHash } from 'node:crypto';
import { HEARTBEAT_EXPIRY_MS, REPLAY_WINDOW_MS, ROLES, isRole, type Role } from './constants.js';

/** What a node says about itself in a heartbeat. */
export interface Announcement {
  role: Role;
  name: string;
  host: string;
  port: number;
  meta?: Record<string, unknown>;
  /** Sender's clock, ms since epoch; must increase per (role, name). */
  ts: number;
}

/** A goodbye: the node leaves the answers at once. */
export interface Withdrawal {
  role: Role;
  name: string;
  ts: number;
}

/** One live node as served by GET /nodes and used by the answer builder. */
export interface LiveNode extends Announcement {
  /** DNS label derived from the name, unique among live nodes: `<label>.node.<zone>`. */
  label: string;
  firstSeen: number;
  lastSeen: number;
  expiresAt: number;
}

export type Verdict = { ok: true } | { ok: false; reason: 'stale' | 'replay' | 'invalid'; detail: string };

export interface RegistryOptions {
  /** Time after the last heartbeat at which a node stops being answered. @default HEARTBEAT_EXPIRY_MS */
  expiryMs?: number;
  /** Accepted distance between `ts` and our clock. @default REPLAY_WINDOW_MS */
  replayWindowMs?: number;
  /** Clock, injectable for tests. @default Date.now */
  now?: () => number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** A DNS-safe label for a node name (lowercase letters, digits, '-'; at most 63 chars). */
export function labelOf(name: string): string {
  const l = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return l || 'node';
}

/** Parses an untrusted JSON body into an Announcement, or explains why not. */
export function parseAnnouncement(x: unknown): Announcement | string {
  if (typeof x !== 'object' || x === null) return 'body must be a JSON object';
  const o = x as Record<string, unknown>;
  if (!isRole(o.role)) return `role must be one of ${ROLES.join(', ')}`;
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 200)
    return 'name must be a non-empty string';
  let host = o.host;
  if (host === 'localhost') host = '127.0.0.1';
  if (typeof host !== 'string' || !IPV4.test(host)) return 'host must be an IPv4 address';
  if (!Number.isInteger(o.port) || (o.port as number) < 1 || (o.port as number) > 65535)
    return 'port must be 1..65535';
  if (o.meta !== undefined && (typeof o.meta !== 'object' || o.meta === null || Array.isArray(o.meta)))
    return 'meta must be an object';
  if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return 'ts must be a number';
  const a: Announcement = { role: o.role, name: o.name, host, port: o.port as number, ts: o.ts };
  if (o.meta !== undefined) a.meta = o.meta as Record<string, unknown>;
  return a;
}

/** Parses an untrusted JSON body into a Withdrawal, or explains why not. */
export function parseWithdrawal(x: unknown): Withdrawal | string {
  if (typeof x !== 'object' || x === null) return 'body must be a JSON object';
  const o = x as Record<string, unknown>;
  if (!isRole(o.role)) return `role must be one of ${ROLES.join(', ')}`;
  if (typeof o.name !== 'string' || o.name.length === 0) return 'name must be a non-empty string';
  if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return 'ts must be a number';
  return { role: o.role, name: o.name, ts: o.ts };
}

export type Registry = ReturnType<typeof makeRegistry>;

export function makeRegistry(opts: RegistryOptions = {}) {
  const expiryMs = opts.expiryMs ?? HEARTBEAT_EXPIRY_MS;
  const windowMs = opts.replayWindowMs ?? REPLAY_WINDOW_MS;
  const now = opts.now ?? Date.now;
  const nodes = new Map<string, LiveNode>();
  /** Highest ts seen per key (announce or withdraw), so a replayed older message is refused. */
  const lastTs = new Map<string, number>();
  const cursors = new Map<Role, number>();
  const keyOf = (role: Role, name: string) => `${role}\0${name}`;

  function check(key: string, ts: number): Verdict {
    const t = now();
    if (Math.abs(t - ts) > windowMs)
      return { ok: false, reason: 'stale', detail: `ts is ${t - ts} ms away from our clock` };
    const last = lastTs.get(key);
    if (last !== undefined && ts <= last)
      return { ok: false, reason: 'replay', detail: 'ts not newer than the last message' };
    lastTs.set(key, ts);
    return { ok: true };
  }

  function uniqueLabel(a: Announcement, key: string): string {
    const base = labelOf(a.name);
    const taken = (l: string) =>
      [...nodes.entries()].some(([k, n]) => k !== key && n.label === l && n.host !== a.host);
    if (!taken(base)) return base;
    return `${base.slice(0, 54)}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  }

  return {
    /** Records a heartbeat; returns whether it was accepted and if the node is new. */
    announce(a: Announcement): Verdict & { added?: boolean } {
      const key = keyOf(a.role, a.name);
      const v = check(key, a.ts);
      if (!v.ok) return v;
      const t = now();
      const prev = nodes.get(key);
      const alive = prev !== undefined && prev.expiresAt > t;
      nodes.set(key, {
        ...a,
        label: prev?.label ?? uniqueLabel(a, key),
        firstSeen: alive ? prev.firstSeen : t,
        lastSeen: t,
        expiresAt: t + expiryMs,
      });
      return { ok: true, added: !alive };
    },
    /** Removes a node at once; returns whether it was accepted and if it was present. */
    withdraw(w: Withdrawal): Verdict & { removed?: boolean } {
      const key = keyOf(w.role, w.name);
      const v = check(key, w.ts);
      if (!v.ok) return v;
      return { ok: true, removed: nodes.delete(key) };
    },
    /** Live nodes of a role, stable order (by name). */
    live(role: Role): LiveNode[] {
      const t = now();
      return [...nodes.values()]
        .filter((n) => n.role === role && n.expiresAt > t)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    /** Live nodes of a role rotated by one more position on every call (round-robin per query). */
    rotated(role: Role): LiveNode[] {
      const list = this.live(role);
      if (list.length < 2) return list;
      const c = cursors.get(role) ?? 0;
      cursors.set(role, (c + 1) % 1_000_000_007);
      const k = c % list.length;
      return [...list.slice(k), ...list.slice(0, k)];
    },
    /** Every live node, all roles. */
    all(): LiveNode[] {
      return ROLES.flatMap((r) => this.live(r));
    },
    /** Live nodes whose label is `label` (for `<label>.node.<zone>` A queries). */
    byLabel(label: string): LiveNode[] {
      const t = now();
      return [...nodes.values()].filter((n) => n.label === label && n.expiresAt > t);
    },
    /** Drops expired entries and old ts marks; returns the nodes that expired. */
    sweep(): LiveNode[] {
      const t = now();
      const gone: LiveNode[] = [];
      for (const [k, n] of nodes) {
        if (n.expiresAt > t) continue;
        nodes.delete(k);
        gone.push(n);
      }
      for (const [k, ts] of lastTs) if (!nodes.has(k) && t - ts > windowMs) lastTs.delete(k);
      return gone;
    },
  };
}
