/**
 * Re-replication's sending side (Kademlia paper, section 2.5), for the hourly replicate and
 * republish walks and the hand-over to new nodes: each replica of the items is first asked for
 * their digests (one FIND_VALUES per MAX_FIND_VALUES_KEYS keys, flagged `replication`, so it counts
 * the keys it holds as they are as replicated), and only the items it lacks or holds differently
 * are read and sent (a STORE flagged the same way). A value is read at most once, and only when
 * some replica needs it: a shard in sync with its replicas reads no blob and decodes no set.
 *
 * `itemsOf` takes the digests without reading whole values where it can (a blob's from its
 * metadata, a set's from its rows; a record is read, ~300 B).
 *
 * Does not: pick the due entries (maintenance.ts walks the metadata), or merge locally (the caller
 * marks its own entries).
 */
import type { ReplicationPolicy } from '../api.js';
import { nextTurn } from '../concurrency.js';
import { toHex } from '../id.js';
import type { Contact, EntryMeta, Id, Value } from '../types.js';
import type { NodeContext } from './context.js';
import { BLOB_DIGEST, valueDigest } from './find-values.js';
import { MAX_FIND_VALUES_KEYS, STORE_BATCHES_IN_FLIGHT } from './options.js';
import { pool, type Writer } from './writes.js';

/** A held entry to re-replicate: its digest now, its value only if a replica needs it. */
export interface ReplicaItem {
  key: Id;
  hex: string;
  /** The digest of our copy (find-values.ts `valueDigest`). */
  digest: string;
  policy: ReplicationPolicy;
  /** The nodes to bring in line (a hand-over's new nodes). @default the r closest nodes but self */
  to?: Contact[];
  /** Reads our copy; undefined when it is gone since its digest was taken (then nothing is sent). */
  load(): Promise<Value | undefined>;
}

/** What `send` did: maintenance logs the totals of each walk. */
export interface ReplicaSyncReport {
  /** (item, replica) pairs found in sync by digest. */
  inSync: number;
  /** Values sent (one per item and replica that lacked it or differed). */
  sent: number;
  /** Values read to send them. */
  loaded: number;
}

/** Values read between event-loop turns: 50 big sets or 256 KiB chunks are a few ms each. */
const LOADS_PER_TURN = 50;
/** Digests taken between event-loop turns: a cold set's digest is built from its rows (ms for a big one). */
const DIGESTS_PER_TURN = 50;

/** Sums a walk's reports and logs them once, when the walk compared or sent anything. */
export function makeReplicaTotals(log: NodeContext['o']['logger']) {
  const sum: ReplicaSyncReport = { inSync: 0, sent: 0, loaded: 0 };
  return {
    add(r: ReplicaSyncReport): void {
      sum.inSync += r.inSync;
      sum.sent += r.sent;
      sum.loaded += r.loaded;
    },
    log(task: 'replicate' | 'republish' | 'handover'): void {
      if (sum.inSync + sum.sent > 0) log.info({ task, ...sum }, 'dht: replicas brought in line');
    },
  };
}

export function makeReplicaSync(ctx: NodeContext, writer: Writer) {
  /**
   * Which of `items` `to` holds as they are: false where it differs, lacks the key, fails or is an
   * older node (which then gets the values).
   */
  async function heldAsIs(to: Contact, items: { hex: string; digest: string }[]): Promise<boolean[]> {
    const out: boolean[] = new Array(items.length).fill(false);
    const starts: number[] = [];
    for (let i = 0; i < items.length; i += MAX_FIND_VALUES_KEYS) starts.push(i);
    await pool(starts, STORE_BATCHES_IN_FLIGHT, async (from) => {
      const chunk = items.slice(from, from + MAX_FIND_VALUES_KEYS);
      try {
        const res = await ctx.rpc.call(to, 'FIND_VALUES', {
          keys: chunk.map((it) => ({ key: it.hex, digest: it.digest })),
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

  /**
   * A walk batch's entries as replica items, digests taken without reading whole values: a blob's
   * from its kind, a record's from its stamp (the record is read: ~300 B), a set's from its read view
   * or its rows. Entries gone since their metadata was read are left out.
   */
  async function itemsOf(due: EntryMeta[]): Promise<ReplicaItem[]> {
    const out: ReplicaItem[] = [];
    for (let i = 0; i < due.length; i++) {
      const m = due[i]!;
      const item = await replicaItemOf(m);
      if (item) out.push(item);
      if (i % DIGESTS_PER_TURN === DIGESTS_PER_TURN - 1) await nextTurn();
    }
    return out;
  }

  async function replicaItemOf(m: EntryMeta): Promise<ReplicaItem | undefined> {
    const base = { key: m.key, hex: toHex(m.key), policy: ctx.o.policies[m.kind] };
    const load = async () => (await ctx.shard.get(m.key))?.value;
    switch (m.kind) {
      case 'blob':
        return { ...base, digest: BLOB_DIGEST, load };
      case 'record': {
        const value = (await ctx.shard.get(m.key))?.value;
        return value && { ...base, digest: valueDigest(value), load: () => Promise.resolve(value) };
      }
      case 'set': {
        const digest = await ctx.shard.setDigestOf(m.key);
        return digest === undefined ? undefined : { ...base, digest, load };
      }
      default: {
        const never: never = m.kind;
        return never;
      }
    }
  }

  /** Brings every item's remote replicas (its r closest nodes but self) in line with our copy. */
  async function send(items: ReplicaItem[]): Promise<ReplicaSyncReport> {
    const report: ReplicaSyncReport = { inSync: 0, sent: 0, loaded: 0 };
    const open = items.filter((it) => !it.to);
    const found = open.length > 0 ? await writer.targetsOf(open) : [];
    let next = 0;
    const targets = items.map((it) => it.to ?? found[next++]!.targets);
    const perNode = new Map<string, { contact: Contact; idx: number[] }>();
    items.forEach((_, i) => {
      for (const c of targets[i]!) {
        const hex = toHex(c.id);
        let g = perNode.get(hex);
        if (!g) perNode.set(hex, (g = { contact: c, idx: [] }));
        g.idx.push(i);
      }
    });
    const groups = [...perNode.values()];
    const held = await Promise.all(
      groups.map((g) =>
        heldAsIs(
          g.contact,
          g.idx.map((i) => items[i]!),
        ),
      ),
    );
    // The items some replica needs, each read once (in item order, turning the loop as they load).
    const needed = new Set<number>();
    groups.forEach((g, n) => g.idx.forEach((i, j) => (held[n]![j] ? report.inSync++ : needed.add(i))));
    const values = new Map<number, Value>();
    let reads = 0;
    for (const i of [...needed].sort((a, b) => a - b)) {
      const v = await items[i]!.load();
      if (v) values.set(i, v);
      if (++reads % LOADS_PER_TURN === 0) await nextTurn();
    }
    report.loaded = values.size;
    await Promise.all(
      groups.map(async (g, n) => {
        const batch: { key: Id; hex: string; value: Value }[] = [];
        g.idx.forEach((i, j) => {
          const value = values.get(i);
          if (!held[n]![j] && value) batch.push({ key: items[i]!.key, hex: items[i]!.hex, value });
        });
        if (batch.length === 0) return;
        report.sent += batch.length;
        await writer.storeBatches(g.contact, batch, true);
      }),
    );
    return report;
  }

  return { itemsOf, send };
}

export type ReplicaSync = ReturnType<typeof makeReplicaSync>;
