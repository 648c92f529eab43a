/**
 * Reading from the network: FIND_VALUE lookups (stop at the first verified blob; collect every
 * replica of records and sets among the k closest), merging replicas, and read-repair of stale
 * or missing replicas among the r closest.
 *
 * Does not: choose what to do with the merged value (node.ts) or write new values (writes.ts).
 */
import { idEquals, toHex } from '../id.js';
import type { Contact, Id, RecordValue, SetValue, Value, ValueKind } from '../types.js';
import type { NodeContext } from './context.js';
import { iterativeLookup, type LookupQueryResult } from './lookup.js';
import { compareStamp, mergeValue, parseValue, setCovers } from './values.js';
import { wireToContacts } from './wire.js';
import type { Writer } from './writes.js';

export interface ReadResult {
  replies: { from: Contact; value: Value }[];
  /** The closest contacts that answered (remote only). */
  closest: Contact[];
  /** Lookup statistics (0 when the small-network shortcut answered). */
  hops: number;
  rpcs: number;
}

export function makeReader(ctx: NodeContext, writer: Writer) {
  const m = ctx.o.metrics;

  /**
   * FIND_VALUE to one contact, with key and value validation. With `probe` (blobs), a holder
   * answers `has` instead of the bytes (older nodes answer in full, which is verified and used).
   */
  async function findValue(
    c: Contact,
    key: Id,
    kind: ValueKind,
    probe = false,
  ): Promise<LookupQueryResult & { has?: boolean }> {
    const keyHex = toHex(key);
    const res = await ctx.rpc.call(c, 'FIND_VALUE', {
      key: keyHex,
      n: ctx.o.k,
      ...(probe ? { probe: true } : {}),
    });
    const b = res.body;
    if (b.key !== keyHex) {
      m.corruptReplica?.();
      throw new Error('reply for another key');
    }
    const contacts = wireToContacts(b.contacts) ?? [];
    if (b.value === undefined) return { contacts, has: b.has === kind };
    const value = parseValue(b.value, key);
    if (typeof value === 'string') {
      m.corruptReplica?.();
      throw new Error(`bad replica: ${value}`);
    }
    if (value.kind !== kind) return { contacts };
    ctx.shard.clock.observeValue(value);
    return { contacts, value };
  }

  /**
   * The lookup query of one blob read: probe, and fetch the bytes from holders one at a time, so a
   * read transfers one copy. A holder whose copy fails or does not verify (counted) is skipped and
   * the next holder found is tried; the lookup stops at the first verified copy.
   */
  function blobQuery(key: Id): (c: Contact) => Promise<LookupQueryResult> {
    let found = false;
    let turn: Promise<unknown> = Promise.resolve();
    return async (c) => {
      const probe = await findValue(c, key, 'blob', true);
      if (probe.value || !probe.has) return probe;
      const mine = turn.then(async () => {
        if (found) return undefined;
        try {
          const full = await findValue(c, key, 'blob');
          if (full.value) found = true;
          return full.value;
        } catch {
          return undefined; // failed, or wrong bytes (counted in findValue): the next holder is tried
        }
      });
      turn = mine;
      const value = await mine;
      return value ? { contacts: probe.contacts, value } : { contacts: probe.contacts };
    };
  }

  async function read(key: Id, kind: ValueKind): Promise<ReadResult> {
    const query = kind === 'blob' ? blobQuery(key) : (c: Contact) => findValue(c, key, kind);
    if (writer.smallNetTrusted()) {
      const targets = ctx.routing.closest(key, ctx.o.k);
      const replies: ReadResult['replies'] = [];
      const closest: Contact[] = [];
      await Promise.all(
        targets.map(async (c) => {
          try {
            const r = await query(c);
            closest.push(c);
            if (r.value) replies.push({ from: c, value: r.value });
          } catch {
            // a failed replica is routed around
          }
        }),
      );
      return { replies, closest, hops: 1, rpcs: targets.length };
    }
    const before = writer.version();
    const res = await iterativeLookup({
      target: key,
      k: ctx.o.k,
      alpha: ctx.o.alpha,
      seeds: ctx.routing.closest(key, ctx.o.k),
      selfHex: ctx.selfHex,
      skip: (c) => ctx.routing.inBackoff(c.id),
      stopAtFirstValue: kind === 'blob',
      query,
    });
    writer.noteLookup(before);
    m.lookup?.(res.hops, res.rpcs);
    return { replies: res.values, closest: res.closest, hops: res.hops, rpcs: res.rpcs };
  }

  /** Merges replicas (and the local copy) of a record or set; repairs stale ones among the r closest. */
  async function readMerged(
    key: Id,
    kind: 'record' | 'set',
  ): Promise<{ value: Value | undefined; closest: Contact[] }> {
    const [local, res] = await Promise.all([ctx.shard.get(key), read(key, kind)]);
    let merged: Value | undefined = local?.value.kind === kind ? local.value : undefined;
    for (const r of res.replies) merged = mergeValue(merged, r.value).value;
    if (merged) void repair(key, merged, res, local?.value).catch(() => {});
    return { value: merged, closest: res.closest };
  }

  const isStale = (have: Value | undefined, want: Value): boolean => {
    if (!have || have.kind !== want.kind) return true;
    if (want.kind === 'record') return compareStamp((have as RecordValue).stamp, want.stamp) < 0;
    if (want.kind === 'set') return !setCovers(have as SetValue, want);
    return false;
  };

  async function repair(key: Id, winner: Value, res: ReadResult, local: Value | undefined): Promise<void> {
    const policy = ctx.o.policies[winner.kind];
    const { targets, self } = writer.pickTargets(key, res.closest, policy.r);
    const stale = targets.filter((t) =>
      isStale(res.replies.find((r) => idEquals(r.from.id, t.id))?.value, winner),
    );
    const jobs: Promise<unknown>[] = stale.map((t) => writer.sendStore(t, [{ key, value: winner }]));
    if ((self || local) && isStale(local, winner)) jobs.push(ctx.shard.merge(key, winner));
    await Promise.all(jobs);
  }

  /** Blob: local shard first (verified), then the network; wrong bytes are skipped and counted. */
  async function getBlob(key: Id): Promise<Uint8Array | undefined> {
    const local = await ctx.shard.get(key);
    if (local?.value.kind === 'blob') {
      if (typeof parseValue(local.value, key) !== 'string') return local.value.bytes;
      m.corruptReplica?.();
    }
    const res = await read(key, 'blob');
    const hit = res.replies[0]?.value;
    return hit?.kind === 'blob' ? hit.bytes : undefined;
  }

  return { read, readMerged, getBlob };
}

export type Reader = ReturnType<typeof makeReader>;
