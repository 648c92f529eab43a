/**
 * Writing to the network: finding the r closest nodes for a key (iterative lookup, or computed
 * locally in a small network whose whole membership we know), and batched STOREs grouped by
 * target node so many keys cost one round trip per node (the ingest fast path).
 *
 * Does not: choose stamps (node.ts) or decide when to re-replicate (maintenance.ts).
 */
import type { ReplicationPolicy } from '../api.js';
import { compareDistance, idEquals, toHex } from '../id.js';
import type { Contact, Id, Value } from '../types.js';
import type { NodeContext } from './context.js';
import type { MergeItem } from './shard.js';
import { MAX_BATCH_BYTES, MAX_BATCH_ITEMS, SMALL_NET_TRUST_MS, STORE_BATCHES_IN_FLIGHT } from './options.js';
import { toSetRows } from './set-rows.js';
import { valueWireBytes } from './values.js';

export interface StoreItem {
  key: Id;
  /** `key` as lowercase hex when the caller has it (saves encoding it per replica). @default toHex(key) */
  hex?: string;
  value: Value;
  policy: ReplicationPolicy;
  /** Known closest contacts (e.g. from the read before a write); looked up when absent. */
  closest?: Contact[];
  /** Store locally with the publisher flag even when we are not among the r closest. */
  publisher?: boolean;
}

export interface StoreOutcome {
  key: Id;
  acks: number;
  stored: Contact[];
  /** Highest counter of a remove, held by a replica, that beat one of the item's set adds (0: none). */
  lost: number;
}

/** Key (64 hex), map keys and msgpack headers of one STORE item around its value. */
const ITEM_OVERHEAD_BYTES = 96;

/**
 * Splits STORE items into batches of at most MAX_BATCH_ITEMS items and MAX_BATCH_BYTES estimated
 * bytes, so no batch outgrows the transport's frame cap (an oversized item goes alone).
 */
export function splitBatches<T extends { value: Value }>(items: T[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const n = ITEM_OVERHEAD_BYTES + valueWireBytes(it.value);
    if (cur.length > 0 && (cur.length >= MAX_BATCH_ITEMS || bytes + n > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Lookups run in parallel when a batch needs many. */
const LOOKUP_CONCURRENCY = 16;

export function makeWriter(ctx: NodeContext) {
  /** Set when a lookup in a table smaller than k learned nobody new: we know the whole network. */
  let smallNetConfirmedAt = -Infinity;
  let tableVersion = 0;

  const smallNetTrusted = () =>
    ctx.routing.size() < ctx.o.k && Date.now() - smallNetConfirmedAt < SMALL_NET_TRUST_MS;

  /** Called by the node whenever the routing table gains a contact. */
  function tableChanged() {
    tableVersion++;
  }

  /** Records whether a lookup learned anything new, for the small-network shortcut. */
  function noteLookup(versionBefore: number) {
    if (tableVersion === versionBefore && ctx.routing.size() < ctx.o.k) smallNetConfirmedAt = Date.now();
  }

  /** The k closest remote contacts to `key`, by lookup or (small network) locally. */
  async function closestRemote(key: Id): Promise<Contact[]> {
    if (smallNetTrusted()) return ctx.routing.closest(key, ctx.o.k);
    const before = tableVersion;
    const res = await ctx.lookupNodes(key);
    noteLookup(before);
    return res.closest;
  }

  /** Of `remote` ∪ self, the r closest to `key`: the remote ones and whether self is among them. */
  function pickTargets(key: Id, remote: Contact[], r: number): { targets: Contact[]; self: boolean } {
    const all = [...remote.filter((c) => !idEquals(c.id, ctx.self.id)), ctx.self];
    all.sort((a, b) => compareDistance(key, a.id, b.id));
    const top = all.slice(0, r);
    const self = top.includes(ctx.self);
    return { targets: top.filter((c) => c !== ctx.self), self };
  }

  /**
   * Batched STOREs to `to` (split by count and bytes, STORE_BATCHES_IN_FLIGHT at once); resolves with
   * per-item acks (false where a batch failed) and the replica's `lost` counters (0 when none).
   * `replication`: flagged as a re-replication, which the receiver counts as its own (handlers.ts).
   */
  async function storeBatches(
    to: Contact,
    items: { key: Id; hex?: string; value: Value }[],
    replication = false,
  ): Promise<{ acks: boolean[]; lost: number[] }> {
    const parts = await pool(splitBatches(items), STORE_BATCHES_IN_FLIGHT, async (chunk) => {
      const acks: boolean[] = [];
      const lost: number[] = [];
      try {
        const res = await ctx.rpc.call(to, 'STORE', {
          // Sets travel as rows (set-rows.ts): parseValue reads both forms.
          items: chunk.map((it) => ({
            key: it.hex ?? toHex(it.key),
            value: it.value.kind === 'set' ? toSetRows(it.value) : it.value,
          })),
          // The receiver marks these keys replicated (handlers.ts); older nodes ignore the field.
          ...(replication ? { replication: true } : {}),
        });
        const a = res.body.acks;
        const l = res.body.lost;
        for (let j = 0; j < chunk.length; j++) {
          acks.push(Array.isArray(a) && a[j] === true);
          const c = Array.isArray(l) ? l[j] : 0;
          lost.push(typeof c === 'number' && Number.isSafeInteger(c) && c > 0 ? c : 0);
        }
      } catch {
        for (let j = 0; j < chunk.length; j++) {
          acks.push(false);
          lost.push(0);
        }
      }
      return { acks, lost };
    });
    return { acks: parts.flatMap((p) => p.acks), lost: parts.flatMap((p) => p.lost) };
  }

  /** Batched STOREs to `to`; resolves with per-item acks (false where a batch failed). */
  async function sendStore(to: Contact, items: { key: Id; value: Value }[]): Promise<boolean[]> {
    return (await storeBatches(to, items)).acks;
  }

  /**
   * Every remote contact (none in failure backoff) when the network is small enough that all of
   * them and self are among the r closest nodes of any key (a trusted small network with at most
   * `r` nodes): then no item needs its own closest-contacts sort. undefined otherwise.
   */
  function everyoneWithin(r: number): Contact[] | undefined {
    if (!smallNetTrusted() || ctx.routing.size() + 1 > r) return undefined;
    return ctx.routing.closest(ctx.self.id, r).filter((c) => !idEquals(c.id, ctx.self.id));
  }

  /**
   * A key's replicas among the nodes this one knows, for a local-first read (the caller has
   * checked smallNetTrusted): its remote targets nearest first, and whether self is one of the r.
   * `everyone` (everyoneWithin, computed once per batch of keys) spares a network of at most r
   * nodes a walk and a sort of the routing table per key: there every node holds every key, and
   * only the order in which the remote ones are asked depends on the key.
   */
  function knownTargets(
    key: Id,
    r: number,
    everyone: Contact[] | undefined,
  ): { targets: Contact[]; self: boolean } {
    if (!everyone) return pickTargets(key, ctx.routing.closest(key, ctx.o.k), r);
    const targets =
      everyone.length < 2 ? everyone : [...everyone].sort((a, b) => compareDistance(key, a.id, b.id));
    return { targets, self: true };
  }

  /**
   * Each item's targets: its r closest remote nodes (by lookup, or computed in a trusted small
   * network), and whether self is among the r closest.
   */
  async function targetsOf(
    items: { key: Id; policy: ReplicationPolicy; closest?: Contact[] }[],
  ): Promise<{ targets: Contact[]; self: boolean }[]> {
    const minR = items.reduce((m, it) => Math.min(m, it.policy.r), Infinity);
    const everyone = items.length > 0 ? everyoneWithin(minR) : undefined;
    if (everyone) return items.map(() => ({ targets: everyone, self: true }));
    const closest = await pool(items, LOOKUP_CONCURRENCY, (it) =>
      it.closest ? Promise.resolve(it.closest) : closestRemote(it.key),
    );
    return items.map((it, i) => pickTargets(it.key, closest[i]!, it.policy.r));
  }

  /**
   * Stores every item on its r closest nodes (self included when among them), batched per node.
   * Re-replication and republishing go through replica-sync.ts instead (digests first).
   */
  async function storeItems(items: StoreItem[]): Promise<StoreOutcome[]> {
    const targetsByItem = await targetsOf(items);
    const outcomes: StoreOutcome[] = items.map((it) => ({ key: it.key, acks: 0, stored: [], lost: 0 }));
    const perNode = new Map<string, { contact: Contact; idx: number[] }>();
    /** Hex ids of the target contacts (most items share their targets). */
    const contactHex = new Map<Contact, string>();
    /** Local merges, all in one shard batch (`mergeMany`): item index, and whether self is a replica. */
    const local: MergeItem[] = [];
    const localAt: { i: number; self: boolean }[] = [];
    const ackSelf = (i: number) => {
      outcomes[i]!.acks++;
      outcomes[i]!.stored.push(ctx.self);
    };
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const { targets, self } = targetsByItem[i]!;
      if (self || it.publisher) {
        local.push({ key: it.key, hex: it.hex, value: it.value, publisher: it.publisher ?? false });
        localAt.push({ i, self });
      }
      for (const t of targets) {
        let hex = contactHex.get(t);
        if (hex === undefined) contactHex.set(t, (hex = toHex(t.id)));
        let g = perNode.get(hex);
        if (!g) perNode.set(hex, (g = { contact: t, idx: [] }));
        g.idx.push(i);
      }
    }
    await Promise.all([
      ctx.shard.mergeMany(local).then((results) =>
        results.forEach((r, j) => {
          const { i, self } = localAt[j]!;
          if (r instanceof RangeError || !self) return; // over the size cap: no local ack
          ackSelf(i);
          outcomes[i]!.lost = Math.max(outcomes[i]!.lost, r.lost);
        }),
      ),
      ...[...perNode.values()].map(async (g) => {
        const idx = g.idx;
        const { acks, lost } = await storeBatches(
          g.contact,
          idx.map((i) => items[i]!),
        );
        acks.forEach((ok, j) => {
          if (!ok) return;
          const o = outcomes[idx[j]!]!;
          o.acks++;
          o.stored.push(g.contact);
          o.lost = Math.max(o.lost, lost[j]!);
        });
      }),
    ]);
    return outcomes;
  }

  return {
    storeItems,
    storeBatches,
    targetsOf,
    sendStore,
    closestRemote,
    pickTargets,
    knownTargets,
    everyoneWithin,
    tableChanged,
    noteLookup,
    smallNetTrusted,
    version: () => tableVersion,
  };
}

export type Writer = ReturnType<typeof makeWriter>;
