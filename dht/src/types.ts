/**
 * Public types of the Kademlia engine: the contracts between the node core, its
 * transports (TCP, in-memory) and its shard stores (SQLite, MongoDB).
 *
 * This module holds types only. The core never imports a transport or a store
 * implementation: it receives them through these interfaces (graphql-ws style).
 */

/** A 256-bit identifier (node id or key), always 32 bytes. Compared byte-wise, never as a JS Number. */
export type Id = Uint8Array;

/** Bytes in an {@link Id}. 256-bit ids so that content keys are plain SHA-256 digests. */
export const ID_BYTES = 32;

/** How a peer is reached: `host:port` for TCP, any unique string for the in-memory transport. */
export type Address = string;

/** A known node: its id and where to reach it. */
export interface Contact {
  id: Id;
  address: Address;
}

// ---------------------------------------------------------------------------
// Transport: 4 members, no knowledge of Kademlia messages.
// ---------------------------------------------------------------------------

/** An RPC payload as the transport sees it: any msgpack-encodable object. The RPC layer validates shape. */
export type Payload = Record<string, unknown>;

/**
 * Handles one incoming request and returns the response payload.
 * `from` is the transport-level address of the sender (for TCP: the remote socket address,
 * NOT the sender's listening address, which travels inside the payload).
 */
export type RequestHandler = (payload: Payload, from: Address) => Promise<Payload>;

/**
 * Moves request/response payloads between nodes. Implementations: `makeTcpTransport`
 * (length-prefixed msgpack frames, HMAC-authenticated with the cluster key, persistent
 * connections, frame size cap, per-peer rate limit) and `makeMemoryNetwork().makeTransport()`
 * (latency, drops, partitions for simulation).
 *
 * Does not: retry, route, or know what a PING is. Retries and failure accounting live in the RPC layer.
 */
export interface Transport {
  /** The address other nodes dial to reach this one (after listening; port 0 is resolved). */
  readonly address: Address;
  /**
   * Sends `payload` to `to` and resolves with the response, or rejects with a {@link TransportError}
   * when the deadline passes, the peer is unreachable, or the frame is refused.
   */
  request(to: Address, payload: Payload, timeoutMs: number): Promise<Payload>;
  /** Installs the handler for incoming requests (one per transport; a second call replaces it). */
  listen(handler: RequestHandler): void;
  /** Stops listening and closes every connection; pending requests reject. */
  close(): Promise<void>;
}

/** Stable codes of transport failures, so the RPC layer can decide what counts against a contact. */
export type TransportErrorCode = 'TIMEOUT' | 'UNREACHABLE' | 'CLOSED' | 'REFUSED' | 'TOO_LARGE';

export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Counters a transport reports into (the node wires them to prom-client). All optional. */
export interface TransportMetrics {
  /** A frame was dropped: bad HMAC, malformed, oversized, or rate-limited. */
  dropped?(reason: 'auth' | 'malformed' | 'oversized' | 'rate_limited'): void;
  bytesIn?(n: number): void;
  bytesOut?(n: number): void;
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/**
 * A logical clock stamp: Lamport counter plus writer node id (hex) as tie-break. Totally ordered,
 * so every replica picks the same winner; never wall-clock.
 */
export interface Stamp {
  /** Lamport counter. */
  c: number;
  /** Writer id (hex) breaking ties between equal counters. */
  w: string;
}

/** Content-addressed bytes: key = sha256(bytes), verified on every read and write. */
export interface BlobValue {
  kind: 'blob';
  bytes: Uint8Array;
}

/** A versioned record: the highest stamp wins on every replica. `deleted` is a tombstone. */
export interface RecordValue {
  kind: 'record';
  stamp: Stamp;
  bytes: Uint8Array;
  deleted?: boolean;
}

/**
 * A mergeable set (LWW-element-set over Lamport stamps): each member keeps the stamp of its latest
 * add and latest remove; present when add > remove. Merge takes the max of each; replicas converge.
 */
export interface SetValue {
  kind: 'set';
  members: Record<string, { add?: Stamp; del?: Stamp }>;
}

/**
 * An empty member map for a set value. Members are keyed by song ids and words: thousands of
 * distinct names. An object literal gets a hidden-class transition per first name until V8 gives
 * up and turns it into a dictionary; a null-prototype object is a dictionary from the start
 * (a one-member map made and walked: 1.3 µs against 2.7). An import makes several per posting on
 * every replica: paired ingests, both orders, finished 20,000 songs while the literal maps'
 * cluster had 18,000, and 30,000 against 27,000 (session 14).
 */
export const newMembers = (): SetValue['members'] => Object.create(null) as SetValue['members'];

export type Value = BlobValue | RecordValue | SetValue;
export type ValueKind = Value['kind'];

/** Which entries `ShardStore.scan` yields. */
export interface ScanOptions {
  /** Only entries holding these kinds of value. @default every kind */
  kinds?: readonly ValueKind[];
}

/** What a shard store holds for one key. */
export interface StoredEntry {
  /** Key, 32 bytes. */
  key: Id;
  value: Value;
  /** Epoch ms after which the entry expires unless refreshed (re-replication or republish refreshes it). */
  expiresAt: number;
  /** True on the node that originally published the value: it republishes every tRepublish. */
  publisher: boolean;
  /** Epoch ms of the last time this entry was re-replicated by this node. */
  replicatedAt: number;
}

/** An entry without its value (`ShardStore.scanMeta`): what maintenance decides on. */
export type EntryMeta = Omit<StoredEntry, 'value'> & { kind: ValueKind };

// ---------------------------------------------------------------------------
// Shard store: one interface, two adapters (SQLite default, MongoDB via MONGODB_URI).
// ---------------------------------------------------------------------------

/**
 * A set entry seen through some of its members: its metadata, its wire size, and the state of the
 * members asked for (or changed). What a posting delta reads and writes instead of the whole set.
 */
export interface SetSlice {
  key: Id;
  expiresAt: number;
  publisher: boolean;
  replicatedAt: number;
  /** Wire bytes of the whole set (valueWireBytes), kept by the store for the size cap; 0 = unknown. */
  bytes: number;
  /** State of the given members; a member absent here is absent from the set (when read) or unchanged (when written). */
  members: SetValue['members'];
  /**
   * The store's own handle of the set (SQLite: its `set_id`), as `getSetMembers` read it; a
   * members-only write of the same slice passes it back, so the store does not look the key up
   * again. Opaque to the shard. @default undefined (the store finds the set by `key`)
   */
  ref?: number;
}

/** One stored set member as `scanSet` hands it out: name, then add and remove stamp fields (null when unset). */
export type SetRowFn = (
  member: string,
  addC: number | null,
  addW: string | null,
  delC: number | null,
  delW: string | null,
) => void;

/**
 * One write of a group commit (`ShardStore.putMany`): a whole entry, or a set slice (only the
 * slice's members and the set's metadata change; every other member keeps its stored state).
 */
export type EntryWrite =
  | {
      entry: StoredEntry;
      /** Wire bytes of a set value (stored for later slices' size cap). @default 0 (unknown) */
      setBytes?: number;
      /** The store holds nothing for this key (not even expired): no old set members to clear. @default false */
      fresh?: boolean;
    }
  | {
      slice: SetSlice;
      /**
       * Write the slice's member rows only: the set's metadata is unchanged, except `bytes`, which
       * the shard tracks in memory and persists only once it drifts by SET_BYTES_PERSIST_SLACK (an
       * extra row update per delta would double the cost of a posting). @default false
       */
      membersOnly?: boolean;
    };

/**
 * Durable per-node storage of entries and of the routing table's contacts.
 *
 * Does not: merge values (the node merges before `put`), verify hashes (the node does), or expire
 * anything by itself (the node's maintenance loop calls `delete`).
 */
export interface ShardStore {
  get(key: Id): Promise<StoredEntry | undefined>;
  /** Inserts or replaces the entry for `entry.key`. */
  put(entry: StoredEntry): Promise<void>;
  /**
   * Inserts or replaces many entries at once (one transaction in SQLite, one unordered bulkWrite
   * in MongoDB), so a batched STORE costs one commit instead of one per key; a set slice writes
   * only its members (see {@link EntryWrite}). Optional: the shard falls back to `put` per entry
   * (and then never writes slices). Keys are distinct within one call.
   */
  putMany?(writes: EntryWrite[]): Promise<void>;
  /**
   * A stored set's metadata and the state of just `members` (absent members omitted), so merging a
   * delta into a set of 10,000 postings reads a few rows, not the set. `undefined`: no entry;
   * `'not-a-set'`: the key holds a blob or record. Optional: the shard loads whole entries without it.
   */
  getSetMembers?(key: Id, members: string[]): Promise<SetSlice | 'not-a-set' | undefined>;
  /**
   * `getSetMembers` of many sets at once, answers in the order asked: one call for a batch of
   * postings instead of a promise per key. Optional: the shard calls `getSetMembers` per key
   * without it.
   */
  getSetMembersMany?(
    asks: readonly { key: Id; members: string[] }[],
  ): Promise<(SetSlice | 'not-a-set' | undefined)[]>;
  /**
   * Streams a stored set's members with their raw stamp fields to `row`, without building the set
   * (what a read view needs: node/set-view.ts). Resolves with the entry's expiry; `undefined`: no
   * entry; `'not-a-set'`: another kind. Optional: the shard decodes whole entries without it.
   */
  scanSet?(key: Id, row: SetRowFn): Promise<{ expiresAt: number } | 'not-a-set' | undefined>;
  delete(key: Id): Promise<void>;
  /**
   * The highest Lamport counter of any stamp held (records' stamps, set members' add and remove
   * stamps), without building the sets: a restarting node restores its clock from it. Optional:
   * the node scans every entry without it (at 100,000 songs, every posting set in memory at once).
   */
  maxCounter?(): Promise<number>;
  /**
   * The keys of the `limit` largest sets held, largest first, with their stored wire size (the
   * size cap's figure, which may lag the set by a few KiB): what a restarted node warms read views
   * of (node/view-warmer.ts), since its caches start empty. Optional: without it a restart warms
   * nothing and the first reads build their views.
   */
  largestSets?(limit: number): Promise<[Id, number][]>;
  /**
   * Every entry's metadata, no value, in no particular order: what the maintenance walks
   * (replicate, republish, expire, hand-over) read to pick their entries, without decoding a set
   * (at 100,000 songs a tracker holds ~700,000 keys and 1.8 million member rows).
   */
  scanMeta(): AsyncIterable<EntryMeta>;
  /**
   * One entry's metadata, no value (`undefined`: no entry; expired entries are returned as
   * stored): whether a peer's 256 KiB chunk is held, say, without reading it. Optional: the node
   * reads the whole entry without it.
   */
  getMeta?(key: Id): Promise<EntryMeta | undefined>;
  /**
   * Sets `replicatedAt` to `at` and raises `expiresAt` to at least `expiresAt` for the given keys
   * that are live at `at` (absent or expired keys are skipped), without rewriting their values:
   * what re-replication marks, hourly, on every entry it sent or found in sync. Optional: the
   * shard rewrites each entry whole without it (for a set, every member row).
   */
  markReplicated?(keys: readonly Id[], at: number, expiresAt: number): Promise<void>;
  /**
   * Every entry, in no particular order; used by status and by tests. With `kinds`,
   * only entries of those kinds: a tracker loading its catalogue reads its records without
   * materialising every posting set (at 100,000 songs, 1.8 million member rows).
   */
  scan(opts?: ScanOptions): AsyncIterable<StoredEntry>;
  /** Number of entries and their total value bytes. */
  size(): Promise<{ keys: number; bytes: number }>;
  /** Replaces the persisted contacts (so a restarted node rejoins without bootstrap help). */
  saveContacts(contacts: Contact[]): Promise<void>;
  loadContacts(): Promise<Contact[]>;
  close(): Promise<void>;
}
