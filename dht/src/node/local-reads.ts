/**
 * Local-first quorum reads of sets. When the network is small enough that the routing table is
 * the whole membership (writes.ts smallNetTrusted) and this node is among the r closest to the
 * key, a read takes the local copy as one replica and asks only R - 1 more of the r closest, with
 * R = r - W + 1 so that R + W > r: every write acknowledged by W replicas is seen. A remote whose
 * copy equals ours answers with a digest match (`same`) instead of the value, so a big posting set
 * is neither encoded nor sent. Differences are merged and repaired both ways.
 *
 * Does not: read records or blobs, or read when this node is not a replica (the caller falls back
 * to the full lookup of reads.ts).
 */
import { toHex } from '../id.js';
import type { Contact, Id, SetValue, Value } from '../types.js';
import type { NodeContext } from './context.js';
import { mergeValue, parseValue, setCovers } from './values.js';
import type { Writer } from './writes.js';

const digests = new WeakMap<SetValue, string>();

/** 53-bit string hash (cyrb53): fast, well mixed; not cryptographic. */
function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const TWO_53 = 2 ** 53;
const TWO_32 = 2 ** 32;

/** Hashes of writer ids (they repeat across every member a writer stamped): hashed once each. */
const writerHashes = new Map<string, number>();
/** Bounds the writer-hash memo: writers are nodes, a cluster has far fewer. */
const MAX_WRITER_HASHES = 100_000;
function writerHash(w: string): number {
  let h = writerHashes.get(w);
  if (h === undefined) {
    h = hash53(w, 7);
    if (writerHashes.size < MAX_WRITER_HASHES) writerHashes.set(w, h);
  }
  return h;
}

/**
 * 53-bit hash of one member and its stamps, without building a string: the member's characters,
 * then the counters and writer hashes as 32-bit halves (cyrb53 mixing). Digesting a cold posting
 * set of 8,600 members is then a few milliseconds, not tens.
 */
function memberHash(m: string, s: SetValue['members'][string]): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < m.length; i++) {
    const ch = m.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  const add = s.add;
  const del = s.del;
  const a = add ? add.c : -1;
  const aw = add ? writerHash(add.w) : 0;
  const d = del ? del.c : -1;
  const dw = del ? writerHash(del.w) : 0;
  // Each 53-bit number as two 32-bit halves.
  h1 = Math.imul(h1 ^ (a >>> 0), 2654435761);
  h2 = Math.imul(h2 ^ (Math.floor(a / TWO_32) >>> 0), 1597334677);
  h1 = Math.imul(h1 ^ (aw >>> 0), 2654435761);
  h2 = Math.imul(h2 ^ (Math.floor(aw / TWO_32) >>> 0), 1597334677);
  h1 = Math.imul(h1 ^ (d >>> 0), 2654435761);
  h2 = Math.imul(h2 ^ (Math.floor(d / TWO_32) >>> 0), 1597334677);
  h1 = Math.imul(h1 ^ (dw >>> 0), 2654435761);
  h2 = Math.imul(h2 ^ (Math.floor(dw / TWO_32) >>> 0), 1597334677);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * Order-independent digest of a set value (member count + sum of per-member hashes of name and
 * stamps, mod 2^53), memoised per value object (stored values are never mutated). Two replicas
 * with equal digests hold the same set except with probability ~2^-53 per comparison, which costs
 * at most a missed merge until the next differing read or re-replication.
 */
export function setDigest(v: SetValue): string {
  let d = digests.get(v);
  if (d !== undefined) return d;
  let sum = 0;
  let n = 0;
  for (const m in v.members) {
    sum = (sum + memberHash(m, v.members[m]!)) % TWO_53;
    n++;
  }
  d = `${n}:${sum.toString(36)}`;
  digests.set(v, d);
  return d;
}

export function makeLocalReader(ctx: NodeContext, writer: Writer) {
  /** FIND_VALUE with our digest; `same` when the remote copy equals ours. */
  async function ask(
    c: Contact,
    key: Id,
    digest: string | undefined,
  ): Promise<{ same: true } | { value: SetValue | undefined }> {
    const keyHex = toHex(key);
    const res = await ctx.rpc.call(c, 'FIND_VALUE', { key: keyHex, n: 1, ...(digest ? { digest } : {}) });
    const b = res.body;
    if (b.key !== keyHex) throw new Error('reply for another key');
    if (digest && b.same === true) return { same: true };
    if (b.value === undefined) return { value: undefined };
    const v = parseValue(b.value, key);
    if (typeof v === 'string') {
      ctx.o.metrics.corruptReplica?.();
      throw new Error(`bad replica: ${v}`);
    }
    if (v.kind !== 'set') return { value: undefined };
    ctx.shard.clock.observeValue(v);
    return { value: v };
  }

  /**
   * The merged set from the local copy and R - 1 remote replicas, or `null` when this read cannot
   * be served local-first (network not known to be small, self not a replica, too few answers).
   */
  async function readSet(key: Id): Promise<{ value: SetValue | undefined } | null> {
    if (!writer.smallNetTrusted()) return null;
    const policy = ctx.o.policies.set;
    const { targets, self } = writer.pickTargets(key, ctx.routing.closest(key, ctx.o.k), policy.r);
    if (!self) return null;
    const local = await ctx.shard.get(key);
    const mine = local?.value.kind === 'set' ? local.value : undefined;
    const digest = mine ? setDigest(mine) : undefined;
    let need = policy.r - policy.w; // remote replies besides our own copy
    let merged: Value | undefined = mine;
    const theirs: { c: Contact; value: SetValue | undefined }[] = [];
    for (const c of targets) {
      if (need <= 0) break;
      if (ctx.routing.inBackoff(c.id)) continue;
      try {
        const r = await ask(c, key, digest);
        need--;
        if ('same' in r) continue;
        theirs.push({ c, value: r.value });
        if (r.value) merged = merged ? mergeValue(merged, r.value).value : r.value;
      } catch {
        // a failed replica is routed around: the next of the r closest is asked
      }
    }
    if (need > 0) return null;
    const result = merged as SetValue | undefined;
    if (result && theirs.length > 0) {
      const jobs: Promise<unknown>[] = [];
      for (const t of theirs)
        if (!t.value || !setCovers(t.value, result))
          jobs.push(writer.sendStore(t.c, [{ key, value: result }]));
      if (!mine || !setCovers(mine, result)) jobs.push(ctx.shard.merge(key, result));
      void Promise.all(jobs).catch(() => {});
    }
    return { value: result };
  }

  return { readSet };
}
