/**
 * `makeKademliaNode`: wires routing table, RPC client, request handlers, shard, reads, writes
 * and maintenance into the public KademliaNode, and owns the lifecycle phase.
 *
 * Does not: implement a transport or a store (it receives them), or serve ops endpoints
 * (dht/src/ops/).
 */
import type {
  KademliaNode,
  KademliaNodeOptions,
  NodeStatus,
  PutOptions,
  PutResult,
  ReplicationPolicy,
} from '../api.js';
import { randomId, sha256, toHex } from '../id.js';
import type { Contact, Id, Payload, SetValue, Value, ValueKind } from '../types.js';
import { newMembers } from '../types.js';
import type { AppHandler, NodeContext, Phase } from './context.js';
import { QuorumError, RpcError } from './errors.js';
import { makeRequestHandler } from './handlers.js';
import { iterativeLookup, type LookupResult } from './lookup.js';
import { makeLocalReader } from './local-reads.js';
import { makeLocalBatchReader } from './local-reads-many.js';
import { makeMaintenance, type MaintenanceTask } from './maintenance.js';
import {
  BACKOFF_MAX_MS,
  HEAD_PING_INTERVAL_MS,
  MAX_VALUE_BYTES,
  SET_RESTAMP_ROUNDS,
  resolveOptions,
  validatePolicy,
} from './options.js';
import { makeReader, type ReadResult } from './reads.js';
import { makeRoutingTable } from './routing.js';
import { makeRpcClient } from './rpc.js';
import { makeShard } from './shard.js';
import { setMembers, validMember } from './values.js';
import { RPC_TYPES, wireToContacts } from './wire.js';
import { makeWriter, type StoreItem, type StoreOutcome } from './writes.js';

/** The node plus hooks for tests and the simulator (not part of the public contract). */
export interface KademliaNodeInternal extends KademliaNode {
  /** Runs one maintenance task now. */
  maintain(task: MaintenanceTask): Promise<void>;
  /** Iterative FIND_NODE with its statistics. */
  lookup(target: Id): Promise<LookupResult>;
  /** FIND_VALUE lookup (records and sets collect from the k closest), with statistics (simulator). */
  lookupValue(key: Id, kind: ValueKind): Promise<ReadResult>;
  phase(): Phase;
}

export function makeKademliaNode(opts: KademliaNodeOptions): KademliaNodeInternal {
  const o = resolveOptions(opts);
  const id = opts.id ? new Uint8Array(opts.id) : randomId();
  const self: Contact = {
    id,
    get address() {
      return opts.transport.address; // read late: a TCP transport on port 0 resolves it when listening
    },
  };
  const selfHex = toHex(id);
  let phase: Phase = 'starting';
  const lastBucketLookup: number[] = new Array(256).fill(0);
  /** Last time each bucket head was pinged for a newcomer (throttles pings under load). Keyed by the
   * head's contact object, which the routing table keeps for the entry's life: no hex per call. */
  let pinging = new WeakMap<Contact, number>();
  let pingingSize = 0;

  // Assembled below; the closures only run after construction.
  let onSeen: (c: Contact) => void = () => {};
  let failed: (id: Id) => void = () => {};

  const routing = makeRoutingTable({
    self: id,
    k: o.k,
    // A failing contact is retried at least once per re-dial period (the healing cadence).
    backoffMaxMs: Math.min(BACKOFF_MAX_MS, o.timers.tRedial),
    onFullBucket: (head) => {
      const last = pinging.get(head);
      if ((last !== undefined && Date.now() - last < HEAD_PING_INTERVAL_MS) || phase !== 'serving') return;
      if (last === undefined) pingingSize++;
      pinging.set(head, Date.now());
      void rpc
        .call(head, 'PING')
        .catch(() => {})
        .finally(() => {
          if (pingingSize > 4 * o.k) {
            pinging = new WeakMap(); // bounded; the throttle is best-effort
            pingingSize = 0;
          }
        });
    },
  });
  const rpc = makeRpcClient({
    self: () => self,
    transport: opts.transport,
    timeoutMs: o.timers.rpcTimeout,
    metrics: o.metrics,
    seen: (c) => onSeen(c),
    failed: (x) => failed(x),
  });
  const shard = makeShard({
    store: opts.store,
    selfHex,
    tExpire: () => o.timers.tExpire,
    metrics: o.metrics,
    ...(opts.onViewWarmed ? { onViewWarmed: opts.onViewWarmed } : {}),
  });

  async function lookupNodes(target: Id): Promise<LookupResult> {
    lastBucketLookup[routing.bucketOf(target)] = Date.now();
    const targetHex = toHex(target); // once per lookup, not per query
    const res = await iterativeLookup({
      target,
      k: o.k,
      alpha: o.alpha,
      seeds: routing.closest(target, o.k),
      selfHex,
      skip: (c) => routing.inBackoff(c.id),
      query: async (c) => {
        const r = await rpc.call(c, 'FIND_NODE', { target: targetHex, n: o.k });
        return { contacts: wireToContacts(r.body.contacts) ?? [] };
      },
    });
    o.metrics.lookup?.(res.hops, res.rpcs);
    return res;
  }

  const appHandlers = new Map<string, AppHandler>();
  const ctx: NodeContext = {
    self,
    selfHex,
    o,
    transport: opts.transport,
    store: opts.store,
    routing,
    rpc,
    shard,
    appHandlers,
    phase: () => phase,
    onSeen: (c) => onSeen(c),
    lookupNodes,
  };
  const writer = makeWriter(ctx);
  const reader = makeReader(ctx, writer);
  const localReader = makeLocalReader(ctx, writer);
  const batchReader = makeLocalBatchReader(ctx, writer, (key, opts2) => node.getSetValue(key, opts2));
  const maint = makeMaintenance(ctx, writer, lastBucketLookup);
  onSeen = (c) => {
    const r = routing.seen(c);
    if (r === 'added' || r === 'cached') writer.tableChanged();
    if (r === 'added') maint.newContact(c);
  };
  failed = (x) => routing.failed(x);

  const policyFor = (kind: ValueKind, p?: PutOptions): ReplicationPolicy => {
    const policy = p?.policy ?? o.policies[kind];
    validatePolicy(policy);
    return policy;
  };

  function checkQuorum(
    kind: ValueKind,
    outcomes: { key: Id; acks: number }[],
    policy: ReplicationPolicy[],
  ): void {
    const failures: { key: string; acks: number; needed: number }[] = [];
    outcomes.forEach((x, i) => {
      if (x.acks < policy[i]!.w) failures.push({ key: toHex(x.key), acks: x.acks, needed: policy[i]!.w });
    });
    if (failures.length === 0) return;
    o.metrics.quorumFailed?.(kind);
    throw new QuorumError(
      `${failures.length} ${kind} key(s) below write quorum (first: ${failures[0]!.acks}/${failures[0]!.needed} acks)`,
      failures,
    );
  }

  async function putOne(kind: ValueKind, item: StoreItem): Promise<PutResult> {
    const [out] = await writer.storeItems([item]);
    checkQuorum(kind, [out!], [item.policy]);
    return { key: out!.key, acks: out!.acks, stored: out!.stored };
  }

  /** Peers refuse larger values (MAX_VALUE_BYTES): fail fast instead of missing the quorum. */
  function checkSize(bytes: Uint8Array): void {
    if (bytes.byteLength > MAX_VALUE_BYTES)
      throw new RangeError(`value of ${bytes.byteLength} bytes exceeds ${MAX_VALUE_BYTES}`);
  }

  function checkMembers(members: string[]): void {
    const bad = members.find((m) => !validMember(m));
    if (bad !== undefined) throw new RangeError(`invalid set member: ${String(bad).slice(0, 40)}`);
  }

  async function putSetDelta(
    key: Id,
    members: string[],
    field: 'add' | 'del',
    opts2?: PutOptions,
  ): Promise<PutResult> {
    checkMembers(members);
    const policy = policyFor('set', opts2);
    const { closest } = await reader.readMerged(key, 'set'); // advances our clock past the replicas
    const delta: SetValue = { kind: 'set', members: newMembers() };
    for (const m of members) delta.members[m] = { [field]: shard.clock.next() };
    return putOne('set', { key, value: delta, policy, closest, publisher: true });
  }

  /**
   * Stores values stamped from the local clock in batches per node; keys whose replicas report a
   * higher stamp (`lost`) are restamped past it and stored again on the same targets, for at most
   * SET_RESTAMP_ROUNDS rounds. Rejects with a QuorumError listing the keys below W acks.
   */
  async function storeRestamped<G extends { key: Id; hex?: string }>(
    kind: ValueKind,
    policy: ReplicationPolicy,
    groups: G[],
    stamp: (g: G) => Value,
  ): Promise<void> {
    let idx = groups.map((_, i) => i);
    let closest: (Contact[] | undefined)[] = groups.map(() => undefined);
    const final: StoreOutcome[] = new Array(groups.length);
    for (let round = 0; ; round++) {
      const items: StoreItem[] = idx.map((gi, j) => ({
        key: groups[gi]!.key,
        hex: groups[gi]!.hex,
        value: stamp(groups[gi]!),
        policy,
        publisher: true,
        ...(closest[j] ? { closest: closest[j] } : {}),
      }));
      const outcomes = await writer.storeItems(items);
      const retry: number[] = [];
      const retryClosest: Contact[][] = [];
      outcomes.forEach((out, j) => {
        final[idx[j]!] = out;
        if (out.lost > 0) {
          shard.clock.observe(out.lost);
          retry.push(idx[j]!);
          retryClosest.push(out.stored); // same targets as this round (those that acked, self included)
        }
      });
      if (retry.length === 0 || round >= SET_RESTAMP_ROUNDS) break;
      idx = retry;
      closest = retryClosest;
    }
    checkQuorum(
      kind,
      final,
      final.map(() => policy),
    );
  }

  const node: KademliaNodeInternal = {
    id,
    get address() {
      return opts.transport.address;
    },
    phase: () => phase,

    async start() {
      phase = 'starting';
      opts.transport.listen(makeRequestHandler(ctx));
      await shard.restoreClock();
      try {
        await maint.join();
      } catch (err) {
        o.logger.warn({ err }, 'dht: join failed; the watchdog will retry');
      }
      phase = 'serving';
      maint.start();
      o.logger.info({ id: selfHex, address: self.address, contacts: routing.size() }, 'dht: node serving');
      // In the background: a restart's read caches are empty (see Shard.warmLargest).
      shard.warmLargest().then(
        (n) => n > 0 && o.logger.info({ sets: n }, 'dht: warming read views of the largest sets'),
        (err: unknown) => o.logger.warn({ err }, 'dht: could not list the largest sets to warm'),
      );
    },

    async stop() {
      if (phase === 'stopping' || phase === 'stopped') return;
      phase = 'stopping';
      maint.stop();
      await maint.persistContacts();
      await opts.transport.close();
      await shard.stopWarming();
      await shard.drain();
      await opts.store.close();
      phase = 'stopped';
    },

    async putBlob(bytes, opts2) {
      checkSize(bytes);
      const key = sha256(bytes);
      return putOne('blob', {
        key,
        value: { kind: 'blob', bytes: new Uint8Array(bytes) },
        policy: policyFor('blob', opts2),
        publisher: true,
      });
    },
    getBlob: (key) => reader.getBlob(key),

    async putRecord(key, bytes, opts2) {
      checkSize(bytes);
      const policy = policyFor('record', opts2);
      const { closest } = await reader.readMerged(key, 'record'); // bump past the current version
      const value: Value = {
        kind: 'record',
        stamp: shard.clock.next(),
        bytes: new Uint8Array(bytes),
        ...(opts2?.deleted ? { deleted: true } : {}),
      };
      return putOne('record', { key, value, policy, closest, publisher: true });
    },
    async getRecord(key) {
      const { value } = await reader.readMerged(key, 'record');
      if (value?.kind !== 'record') return undefined;
      return { bytes: value.bytes, deleted: value.deleted ?? false, stamp: value.stamp };
    },

    addToSet: (key, members, opts2) => putSetDelta(key, members, 'add', opts2),
    removeFromSet: (key, members, opts2) => putSetDelta(key, members, 'del', opts2),
    async getSet(key, opts2) {
      const v = await node.getSetValue(key, opts2);
      return v ? setMembers(v) : [];
    },
    async getSetValue(key, opts2) {
      if (opts2?.localFirst) {
        const fast = await localReader.readSet(key);
        if (fast) return fast.value;
      }
      const { value } = await reader.readMerged(key, 'set');
      return value?.kind === 'set' ? value : undefined;
    },

    getSetMany: (keys, opts2) => batchReader.getSetMany(keys, opts2),
    getSetValueMany: (keys, opts2) => batchReader.getSetValueMany(keys, opts2),

    /**
     * Adds are stamped from the local clock without reading first (one round trip per node, not per
     * key), so another node's remove of a member, stamped with a higher counter, could beat a later
     * add. Every replica therefore reports, per key, the counter of any remove it holds that beats
     * one of our adds (`lost`, handlers.ts; the local replica likewise). For those keys we observe
     * that counter (so the clock passes it), restamp the adds and store them again: an add now wins
     * over every remove a replica had seen before it. Bounded rounds, since a remove racing each
     * retry is concurrent with the add and may rightly win.
     */
    async addToSetMany(ops, opts2) {
      const policy = policyFor('set', opts2);
      const byKey = new Map<string, { key: Id; hex: string; members: string[] }>();
      for (const op of ops) {
        checkMembers(op.members);
        const hex = toHex(op.key);
        let it = byKey.get(hex);
        if (!it) byKey.set(hex, (it = { key: op.key, hex, members: [] }));
        it.members.push(...op.members);
      }
      await storeRestamped('set', policy, [...byKey.values()], (it) => {
        const value: SetValue = { kind: 'set', members: newMembers() };
        for (const m of it.members) value.members[m] = { add: shard.clock.next() };
        return value;
      });
    },

    /**
     * Like putRecord for many keys, without its read before each write: records are stamped from
     * the local clock and stored in batches per node; a replica holding a higher stamp reports it
     * (`lost`), and those records are restamped past it and stored again (as addToSetMany).
     */
    async putRecordMany(items, opts2) {
      const policy = policyFor('record', opts2);
      const byKey = new Map<string, { key: Id; bytes: Uint8Array; deleted: boolean }>();
      for (const it of items) {
        checkSize(it.bytes);
        byKey.set(toHex(it.key), { key: it.key, bytes: new Uint8Array(it.bytes), deleted: !!it.deleted });
      }
      await storeRestamped('record', policy, [...byKey.values()], (it) => ({
        kind: 'record',
        stamp: shard.clock.next(),
        bytes: it.bytes,
        ...(it.deleted ? { deleted: true } : {}),
      }));
    },

    async findNode(key) {
      return (await lookupNodes(key)).closest;
    },
    lookup: lookupNodes,
    lookupValue: (key, kind) => reader.read(key, kind),
    contacts: () => routing.all(),
    getLocal: (key) => shard.get(key),
    onLocalChange: (l) => shard.onChange(l),

    handleApp(method, handler) {
      if ((RPC_TYPES as readonly string[]).includes(method))
        throw new Error(`method name ${method} is reserved`);
      appHandlers.set(method, handler);
    },
    async callApp(to, method, payload: Payload) {
      const res = await rpc.call(to, 'APP', { method, body: payload });
      const body = res.body.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new RpcError('BAD_REPLY', 'APP reply without body', true);
      return body as Payload;
    },

    async status(): Promise<NodeStatus> {
      const size = await opts.store.size();
      return {
        id: selfHex,
        address: self.address,
        phase,
        contacts: routing.size(),
        buckets: routing.stats(),
        keys: size.keys,
        bytes: size.bytes,
      };
    },
    maintain: (task) => maint.run(task, true),
  };
  return node;
}
