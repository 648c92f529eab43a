/**
 * The public face of a Kademlia node, as the Peer and Tracker subgraphs and the API node use it.
 * Implemented by `makeKademliaNode` (dht/src/node/). Types only.
 */
import type { Contact, Id, Payload, SetValue, ShardStore, StoredEntry, Transport } from './types.js';

/** One pino-style log method: a structured object, then a message. */
export type LogFn = (obj: object, msg?: string) => void;

/** Replication policy for one kind of value. */
export interface ReplicationPolicy {
  /** Replicas: a value is stored on the r closest nodes. */
  r: number;
  /** Acknowledgements required for a put to succeed (W <= r). */
  w: number;
}

/** Timers of the maintenance loops, all in milliseconds, so tests can run them in seconds. */
export interface KademliaTimers {
  /** Every holder re-replicates what it holds to the current r closest. @default 3_600_000 */
  tReplicate: number;
  /** The original publisher republishes. @default 79_200_000 (22 h, IPFS practice) */
  tRepublish: number;
  /** A value not refreshed for this long expires; must exceed tRepublish. @default 172_800_000 (48 h) */
  tExpire: number;
  /** An idle bucket is refreshed with a random-id lookup. @default 3_600_000 */
  tRefresh: number;
  /** Bootstrap contacts are re-dialled even when healthy, so healed partitions merge. @default 60_000 */
  tRedial: number;
  /** How often the low-peers watchdog checks the table. @default 5_000 */
  tWatchdog: number;
  /** Per-RPC deadline. @default 2_000 */
  rpcTimeout: number;
}

export interface KademliaNodeOptions {
  /** This node's id; random when omitted (persisted ids are the caller's business). */
  id?: Id;
  transport: Transport;
  store: ShardStore;
  /** Addresses dialled to join, on low peers, and every tRedial. @default [] */
  bootstrap?: string[];
  /** Bucket size and lookup result size. @default 20 */
  k?: number;
  /** Lookup parallelism. @default 3 */
  alpha?: number;
  /** Per value kind replication. @default { blob: {r: 3, w: 2}, record: {r: 3, w: 2}, set: {r: 3, w: 2} } */
  replication?: Partial<Record<'blob' | 'record' | 'set', ReplicationPolicy>>;
  timers?: Partial<KademliaTimers>;
  /**
   * Bucket refresh when joining, after the self-lookup: `'all'` refreshes every bucket farther than
   * the closest neighbour (paper, section 2.3); a number refreshes only that many of the farthest
   * buckets (the ones covering most of the id space); `'none'` skips it (the refresh loop and
   * incoming traffic fill the table later). The simulator uses a small number to build large
   * networks fast. @default 'all'
   */
  joinRefresh?: 'all' | 'none' | number;
  /** pino-compatible logger. @default silent */
  logger?: { info: LogFn; warn: LogFn; debug: LogFn; error: LogFn };
  /** Counters the node reports into (the ops layer wires them to prom-client). @default none */
  metrics?: KademliaMetrics;
  /**
   * Called with the present members of each read view the shard warms in the background after a
   * write burst (node/view-warmer.ts), so an application can derive what it needs of a hot set
   * ahead of the first read (the tracker numbers its posting lists: ~28 ms for a common word at
   * 100,000 songs). The array is the one later reads return; never mutate it. @default none
   */
  onViewWarmed?: (members: readonly string[]) => void;
}

/** Observability hooks of the node core; all optional, so the core stays dependency-free. */
export interface KademliaMetrics {
  /** An outgoing RPC was sent (PING, STORE, FIND_NODE, FIND_VALUE, FIND_VALUES, APP). */
  rpcSent?(type: string): void;
  /** An outgoing RPC failed (transport error code, or BAD_REPLY / REMOTE_ERROR). */
  rpcFailed?(type: string, code: string): void;
  /** An incoming RPC was handled. */
  rpcReceived?(type: string): void;
  /** An iterative lookup finished after `hops` rounds of depth and `rpcs` requests. */
  lookup?(hops: number, rpcs: number): void;
  /** Bytes of value data written to the local shard. */
  storedBytes?(n: number): void;
  /** A replica returned bytes that do not hash to the key, or a reply for another key. */
  corruptReplica?(): void;
  /** A put failed to reach its write quorum. */
  quorumFailed?(kind: string): void;
}

/** Result of a put: which nodes acknowledged. Rejects with `QuorumError` when fewer than W did. */
export interface PutResult {
  key: Id;
  acks: number;
  stored: Contact[];
}

/** Options on a single put. */
export interface PutOptions {
  /** Override the kind's replication policy for this put. */
  policy?: ReplicationPolicy;
}

/** Options on a single read. */
export interface ReadOptions {
  /**
   * Local-first quorum read: when the whole network is known (small) and this node is one of the
   * r replicas, merge the local copy with r - W remote replicas only (R + W > r, so every
   * acknowledged write is seen); equal copies answer with a digest instead of the value. Falls
   * back to the full lookup otherwise. @default false
   */
  localFirst?: boolean;
}

export interface NodeStatus {
  id: string;
  address: string;
  phase: 'starting' | 'serving' | 'stopping' | 'stopped';
  contacts: number;
  buckets: { index: number; contacts: number; replacements: number }[];
  keys: number;
  bytes: number;
}

export interface KademliaNode {
  readonly id: Id;
  readonly address: string;
  /** Load persisted contacts, join through bootstrap (self-lookup + refresh), start maintenance loops. */
  start(): Promise<void>;
  /** Stop loops, persist contacts, close transport and store. */
  stop(): Promise<void>;

  /** Store content-addressed bytes; key = sha256(bytes). */
  putBlob(bytes: Uint8Array, opts?: PutOptions): Promise<PutResult>;
  /** Fetch and verify; a replica returning wrong bytes is skipped (and counted). Local shard first. */
  getBlob(key: Id): Promise<Uint8Array | undefined>;

  /** Write a versioned record; the node stamps it with its Lamport clock (higher than any seen for key). */
  putRecord(key: Id, bytes: Uint8Array, opts?: PutOptions & { deleted?: boolean }): Promise<PutResult>;
  /** Latest version among the replicas found (read-repairs stale ones). */
  getRecord(
    key: Id,
  ): Promise<{ bytes: Uint8Array; deleted: boolean; stamp: { c: number; w: string } } | undefined>;

  /** Add / remove members of a mergeable set. */
  addToSet(key: Id, members: string[], opts?: PutOptions): Promise<PutResult>;
  removeFromSet(key: Id, members: string[], opts?: PutOptions): Promise<PutResult>;
  /** Members present after merging every replica found (read-repair included). */
  getSet(key: Id, opts?: ReadOptions): Promise<string[]>;
  /** Raw merged set value (with stamps), for callers that merge further. Never mutate it. */
  getSetValue(key: Id, opts?: ReadOptions): Promise<SetValue | undefined>;

  /**
   * Many sets at once, in input order (members as getSet; a key given twice is read once). With
   * `localFirst`, the keys this node replicates in a network known to be small are read in ONE
   * FIND_VALUES request per remote replica (many keys with the digests of the local copies, equal
   * copies answering `same`; big replies split by a byte budget and re-asked), merged and repaired
   * both ways like getSet; every other key takes the per-key getSet path. Unlike getSet, members
   * come in no particular order, and an array may be the shard's cached read view: never mutate it.
   */
  getSetMany(keys: Id[], opts?: ReadOptions): Promise<string[][]>;
  /** Raw merged set values of many keys, in input order (see getSetMany). Never mutate them. */
  getSetValueMany(keys: Id[], opts?: ReadOptions): Promise<(SetValue | undefined)[]>;

  /** The k closest live contacts to `key` (iterative lookup). */
  findNode(key: Id): Promise<Contact[]>;
  /** Every contact in the routing table. */
  contacts(): Contact[];
  /** Local shard only, no network. */
  getLocal(key: Id): Promise<StoredEntry | undefined>;
  /** Subscribe to local shard changes (an entry stored or merged here, or removed). Returns unsubscribe. */
  onLocalChange(listener: (change: { type: 'put' | 'delete'; entry: StoredEntry }) => void): () => void;

  /**
   * Many set additions at once (index postings of many songs): groups the keys by their closest
   * nodes and sends batched STOREs, so ingest does not pay one round trip per key.
   * Resolves when every key has W acks; rejects with the keys that did not.
   */
  addToSetMany(ops: { key: Id; members: string[] }[], opts?: PutOptions): Promise<void>;
  /**
   * Many records at once (an import): stamped from the local clock and stored in batches per node
   * instead of putRecord's read then write per key; a record a replica holds with a higher stamp is
   * restamped past it and stored again, so each record ends as the newest version, as with putRecord.
   * Resolves when every key has W acks; rejects with a QuorumError naming the keys that did not.
   */
  putRecordMany(items: { key: Id; bytes: Uint8Array; deleted?: boolean }[], opts?: PutOptions): Promise<void>;

  /**
   * Application RPCs carried over the same authenticated transport (the tracker's catalogue
   * scatter-gather uses this). `method` must not collide with Kademlia's own RPC names.
   */
  handleApp(method: string, handler: (payload: Payload, from: Contact) => Promise<Payload>): void;
  callApp(to: Contact, method: string, payload: Payload): Promise<Payload>;

  status(): Promise<NodeStatus>;
}
