/**
 * Policy of the DNS role as data: every timeout, TTL and limit lives here with the reason for it.
 * Nothing in this file does I/O.
 */

/** The node roles that announce themselves and that DNS answers for. */
export const ROLES = ['web', 'api', 'peer', 'tracker'] as const;
export type Role = (typeof ROLES)[number];

/** Cluster zone served by default; `.local` keeps it off the public DNS tree. */
export const DEFAULT_ZONE = 'gotify.local';
/** Default DNS (UDP+TCP) port of the local cluster, as in docs/CONVENTIONS.md. */
export const DEFAULT_DNS_PORT = 5353;
/** Default HTTP port (announce, nodes, healthz, metrics) of the local cluster. */
export const DEFAULT_HTTP_PORT = 8053;
/** Default bind address: loopback only, the cluster runs on 127.0.0.0/8. */
export const DEFAULT_HOST = '127.0.0.1';

/** TTL of every answer, seconds: short so resolvers drop a dead node within about one heartbeat expiry. */
export const ANSWER_TTL_SECONDS = 2;
/** How often a node re-announces itself; a few beats fit inside one expiry so one lost packet is harmless. */
export const HEARTBEAT_INTERVAL_MS = 1000;
/** A node that has not announced for this long disappears from answers (3.5 missed-beat budget). */
export const HEARTBEAT_EXPIRY_MS = 3500;
/** Announcements whose `ts` is further than this from our clock are replays or badly skewed clocks. */
export const REPLAY_WINDOW_MS = 30_000;
/** How often expired registry entries and old withdraw tombstones are swept (log + memory). */
export const SWEEP_INTERVAL_MS = 500;

/** Largest announce body accepted: a node description is tiny, anything bigger is abuse. */
export const MAX_ANNOUNCE_BYTES = 16 * 1024;
/** Per-request timeout of one heartbeat, well under the expiry; each DNS node has its own beat loop, so a slow one delays nobody else. */
export const ANNOUNCE_TIMEOUT_MS = 2000;

/** Classic DNS UDP payload limit when the client sends no EDNS0 OPT record (RFC 1035). */
export const UDP_MAX_PLAIN = 512;
/** Largest UDP payload we send even if EDNS0 offers more: the DNS Flag Day 2020 safe size. */
export const UDP_MAX_EDNS = 1232;
/** A TCP client that sends nothing for this long is dropped, so idle sockets cannot pile up. */
export const TCP_IDLE_TIMEOUT_MS = 10_000;
/** At most this many TCP DNS connections at once; DNS over TCP is a fallback, not the main path. */
export const TCP_MAX_CONNECTIONS = 256;
/** Tries to find a port free for both UDP and TCP when the caller asks for port 0. */
export const BIND_ATTEMPTS = 20;

/** SRV priority of every node: all equal, clients spread by our rotation. */
export const SRV_PRIORITY = 0;
/** SRV weight when the node's meta gives none. */
export const SRV_DEFAULT_WEIGHT = 10;

/** Header carrying the hex HMAC-SHA256(clusterKey, raw body) of announce/withdraw bodies. */
export const SIGNATURE_HEADER = 'x-gotify-signature';

/** Discovery: per-query timeout of Node's resolver before it tries the next DNS server. */
export const RESOLVER_TIMEOUT_MS = 500;
/** Discovery: tries per server (c-ares `tries`), kept low so a dead DNS node costs little. */
export const RESOLVER_TRIES = 2;
/** Discovery: a cached answer may be served this long past its TTL when every DNS node fails. */
export const DISCOVERY_MAX_STALE_MS = 30_000;

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && (ROLES as readonly string[]).includes(x);
}
