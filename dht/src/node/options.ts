/**
 * Defaults and validation of `KademliaNodeOptions`. Policy is data: every limit is a named
 * constant with the reason it has that value.
 */
import type { KademliaMetrics, KademliaNodeOptions, KademliaTimers, ReplicationPolicy } from '../api.js';
import type { ValueKind } from '../types.js';

/** Paper value: 20 contacts per bucket makes it unlikely all fail within an hour. */
export const DEFAULT_K = 20;
/** Paper value: 3 concurrent requests per lookup trades latency against traffic. */
export const DEFAULT_ALPHA = 3;
/** Three replicas survive two simultaneous failures; W=2 keeps puts available with one down. */
export const DEFAULT_POLICY: ReplicationPolicy = { r: 3, w: 2 };
/** Failed RPCs before a contact may be replaced (Kademlia later version: 5 with backoff). */
export const STALE_FAILURES = 5;
/** First backoff of a failing contact; doubles per failure, so partitions do not flood. */
export const BACKOFF_BASE_MS = 500;
/** Backoff ceiling, so a healed partition is retried within a minute. */
export const BACKOFF_MAX_MS = 60_000;
/** Below this many contacts the watchdog re-seeds (go-libp2p "fix low peers" uses ~10). */
export const LOW_PEERS = 10;
/**
 * Blob and record bytes larger than this are refused. A chunk is at most 256 KiB and records
 * (song metadata, manifests) are a few KiB to ~100 KiB: 1 MiB leaves 4x headroom while keeping
 * every value far under the TCP transport's 4 MiB frame cap (MAX_FRAME_BYTES, transport/frame.ts).
 */
export const MAX_VALUE_BYTES = 1024 * 1024;
/**
 * Encoded size (see valueWireBytes) of one set value. Sets are index/search postings, which grow
 * with the catalogue (a posting is ~110 B on the wire: 64-hex song id + a stamp with a 16-hex writer id, WRITER_ID_HEX_CHARS), so
 * they get more room than blobs: 2 MiB is ~19,000 postings under one key (a very popular genre or
 * word), and still fits a FIND_VALUE reply or a single-item STORE under the 4 MiB frame cap with
 * 2 MiB to spare. A STORE whose merge would exceed it is refused for that key (ack false).
 */
export const MAX_SET_VALUE_BYTES = 2 * 1024 * 1024;
/**
 * Hex characters of the node id used as the writer id in stamps (64 bits). The writer id only
 * breaks ties between equal Lamport counters, so it must be deterministic and practically unique
 * among the writers of one key (collision odds ~n²/2^65); the full 64-hex id made up most of each
 * set posting's bytes.
 */
export const WRITER_ID_HEX_CHARS = 16;
/**
 * Items in one batched STORE; bounds the work per request. An import sends ~11 keys per song, so a
 * batch of 1000 songs is ~5 STOREs per node at this size (MAX_BATCH_BYTES bounds the bytes).
 */
export const MAX_BATCH_ITEMS = 2048;
/**
 * Batched STOREs to one node in flight at once: the replica merges one while the next travels,
 * instead of the writer waiting one round trip (and one group commit) per batch.
 */
export const STORE_BATCHES_IN_FLIGHT = 4;
/**
 * Estimated encoded bytes of one batched STORE: 3 MiB stays well under the transport's 4 MiB frame
 * cap (msgpack overhead, envelope and estimation slack fit in the remaining 1 MiB). A single item
 * larger than this (a big set, at most MAX_SET_VALUE_BYTES) travels in a batch of its own.
 */
export const MAX_BATCH_BYTES = 3 * 1024 * 1024;
/**
 * Keys in one FIND_VALUES request (batched local-first set reads): bounds the shard reads and
 * digests one request costs, like MAX_BATCH_ITEMS for STORE; the asker splits bigger batches.
 */
export const MAX_FIND_VALUES_KEYS = 512;
/**
 * Estimated value bytes of one FIND_VALUES reply: past it the responder answers the remaining
 * values `later` and the asker asks again, so a reply stays under the transport's 4 MiB frame cap
 * however many keys hold big sets (3 MiB leaves 1 MiB for msgpack overhead, envelope and estimate
 * slack, as MAX_BATCH_BYTES); one set (at most MAX_SET_VALUE_BYTES) always fits alone.
 */
export const MAX_FIND_VALUES_REPLY_BYTES = 3 * 1024 * 1024;
/**
 * Keys of a batched set read that take the per-key path at once: each may be a full lookup, so
 * enough in flight to hide round trips (as the writer's lookups) without swamping the node.
 */
export const SET_READ_FALLBACK_CONCURRENCY = 16;
/** Restamp rounds of addToSetMany adds that lost to a remove: one suffices unless removes keep racing. */
export const SET_RESTAMP_ROUNDS = 3;
/** Contacts returned per FIND_* reply, whatever k the caller asked for. */
export const MAX_REPLY_CONTACTS = 64;
/** Members in one set value; keeps merges and frames bounded. */
export const MAX_SET_MEMBERS = 100_000;
/** Bytes of one set member name. */
export const MAX_MEMBER_LENGTH = 1024;
/** A small-network closest-set computed locally is trusted this long after a lookup found nothing new. */
export const SMALL_NET_TRUST_MS = 10_000;
/** Parallel lookups during replication rounds, so maintenance does not swamp the node. */
export const MAINTENANCE_CONCURRENCY = 8;
/** A bucket head is pinged for newcomers at most this often: one answer proves it alive for a while. */
export const HEAD_PING_INTERVAL_MS = 1_000;
/** New contacts are batched for key hand-over this long, so a join burst scans the shard once. */
export const HANDOVER_DEBOUNCE_MS = 100;

export const DEFAULT_TIMERS: KademliaTimers = {
  tReplicate: 3_600_000,
  tRepublish: 79_200_000,
  tExpire: 172_800_000,
  tRefresh: 3_600_000,
  tRedial: 60_000,
  tWatchdog: 5_000,
  rpcTimeout: 2_000,
};

type Logger = NonNullable<KademliaNodeOptions['logger']>;
const noop = () => {};
export const SILENT_LOGGER: Logger = { info: noop, warn: noop, debug: noop, error: noop };

export interface ResolvedOptions {
  k: number;
  alpha: number;
  policies: Record<ValueKind, ReplicationPolicy>;
  timers: KademliaTimers;
  bootstrap: string[];
  joinRefresh: 'all' | 'none' | number;
  logger: Logger;
  metrics: KademliaMetrics;
}

export function resolveOptions(opts: KademliaNodeOptions): ResolvedOptions {
  const k = opts.k ?? DEFAULT_K;
  const alpha = opts.alpha ?? DEFAULT_ALPHA;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!Number.isInteger(alpha) || alpha < 1)
    throw new RangeError(`alpha must be a positive integer, got ${alpha}`);
  const policies = {
    blob: opts.replication?.blob ?? DEFAULT_POLICY,
    record: opts.replication?.record ?? DEFAULT_POLICY,
    set: opts.replication?.set ?? DEFAULT_POLICY,
  };
  for (const [kind, p] of Object.entries(policies)) validatePolicy(p, kind);
  const timers = { ...DEFAULT_TIMERS, ...opts.timers };
  for (const [name, v] of Object.entries(timers)) {
    if (!(typeof v === 'number' && v > 0)) throw new RangeError(`timer ${name} must be > 0 ms, got ${v}`);
  }
  if (timers.tExpire <= timers.tRepublish) {
    throw new RangeError(
      `tExpire (${timers.tExpire}) must exceed tRepublish (${timers.tRepublish}) (XLattice race)`,
    );
  }
  if (timers.tExpire <= timers.tReplicate) {
    throw new RangeError(`tExpire (${timers.tExpire}) must exceed tReplicate (${timers.tReplicate})`);
  }
  const joinRefresh = opts.joinRefresh ?? 'all';
  if (typeof joinRefresh === 'number' && !(Number.isInteger(joinRefresh) && joinRefresh >= 0)) {
    throw new RangeError(`joinRefresh must be 'all', 'none' or an integer >= 0, got ${joinRefresh}`);
  }
  return {
    k,
    alpha,
    policies,
    timers,
    bootstrap: opts.bootstrap ?? [],
    joinRefresh,
    logger: opts.logger ?? SILENT_LOGGER,
    metrics: opts.metrics ?? {},
  };
}

export function validatePolicy(p: ReplicationPolicy, what = 'policy'): void {
  if (!Number.isInteger(p.r) || p.r < 1 || !Number.isInteger(p.w) || p.w < 1 || p.w > p.r) {
    throw new RangeError(`${what}: need integers 1 <= w <= r, got r=${p.r} w=${p.w}`);
  }
}
