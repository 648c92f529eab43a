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
import { valueDigest } from './find-values.js';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_ITEMS,
  MAX_FIND_VALUES_KEYS,
  SMALL_NET_TRUST_MS,
  STORE_BATCHES_IN_FLIGHT,
} from './options.js';
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
  /** Skip the local merge (re-replication of what we already hold). */
  skipLocal?: boolean;
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

  /**
   * Which of `items` `to` already holds as they are: one FIND_VALUES per MAX_FIND_VALUES_KEYS items
   * carrying their digests (find-values.ts valueDigest), flagged as a re-replication so `to`
   * counts them replicated. False where `to` differs, lacks the key, fails or is an older node.
   */
  async function heldAsIs(to: Contact, items: { key: Id; hex?: string; value: Value }[]): Promise<boolean[]> {
    const out: boolean[] = new Array(items.length).fill(false);
    const chunks: number[] = [];
    for (let i = 0; i < items.length; i += MAX_FIND_VALUES_KEYS) chunks.push(i);
    await pool(chunks, STORE_BATCHES_IN_FLIGHT, async (from) => {
      const chunk = items.slice(from, from + MAX_FIND_VALUES_KEYS);
      try {
        const res = await ctx.rpc.call(to, 'FIND_VALUES', {
          keys: chunk.map((it) => ({ key: it.hex ?? toHex(it.key), digest: valueDigest(it.value) })),
          replication: true,
        });
        const answers = res.body.answers;
        if (!Array.isArray(answers)) return;
        chunk.forEach((_, j) => {
          const a: unknown = answers[j];
          out[from + j] = typeof a === 'object' && a !== null && (a as { same?: unknown }).same === true;
        });
      } catch {
        // not known to hold them: the STOREs follow
      }
    });
    return out;
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
   * Stores every item on its r closest nodes (self included when among them), batched per node.
   * `replication`: the items are an hourly re-replication, which each receiver counts as its own
   * (Kademlia paper, section 2.5: a node that receives a STORE for a key skips that key's next
   * re-replication), so one holder per key per hour sends it, not all r; and each replica is
   * first asked for the items' digests, so only the items it lacks or holds differently travel
   * (a replica in sync costs one FIND_VALUES per MAX_FIND_VALUES_KEYS keys instead of every value). @default false
   */
  async function storeItems(items: StoreItem[], replication = false): Promise<StoreOutcome[]> {
    const minR = items.reduce((m, it) => Math.min(m, it.policy.r), Infinity);
    const everyone = items.length > 0 ? everyoneWithin(minR) : undefined;
    const closest = everyone
      ? undefined
      : await pool(items, LOOKUP_CONCURRENCY, (it) =>
          it.closest ? Promise.resolve(it.closest) : closestRemote(it.key),
        );
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
      const { targets, self } = everyone
        ? { targets: everyone, self: true }
        : pickTargets(it.key, closest![i]!, it.policy.r);
      if (!it.skipLocal && (self || it.publisher)) {
        local.push({ key: it.key, hex: it.hex, value: it.value, publisher: it.publisher ?? false });
        localAt.push({ i, self });
      } else if (self) {
        ackSelf(i);
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
        let idx = g.idx;
        if (replication) {
          // Digests first: a replica that holds an item as it is acks it without its value.
          const held = await heldAsIs(
            g.contact,
            idx.map((i) => items[i]!),
          );
          idx = idx.filter((i, j) => {
            if (!held[j]) return true;
            outcomes[i]!.acks++;
            outcomes[i]!.stored.push(g.contact);
            return false;
          });
        }
        const { acks, lost } = await storeBatches(
          g.contact,
          idx.map((i) => items[i]!),
          replication,
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
    sendStore,
    closestRemote,
    pickTargets,
    tableChanged,
    noteLookup,
    smallNetTrusted,
    version: () => tableVersion,
  };
}

export type Writer = ReturnType<typeof makeWriter>;
