/**
 * Set digests and read views. A digest is order-independent (member count + sum of per-member
 * hashes of name and stamps, mod 2^53), so replicas compare sets without sending them
 * (local-reads*.ts, find-values.ts). A read view is what a batched read needs of a set: its digest
 * and its present members, built straight from the store's rows (`ShardStore.scanSet`) without
 * decoding the set into objects, so a cold posting set of 8,600 members costs one pass and leaves
 * one string per member behind (the shard caches views: shard.ts).
 *
 * Does not: merge sets (values.ts) or decide which replicas to ask (local-reads-many.ts).
 */
import type { SetValue } from '../types.js';

/** What a batched read needs of one stored set. */
export interface SetView {
  digest: string;
  /** Present members (add newer than remove), in no particular order. Never mutate. */
  members: string[];
}

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
function memberHash(m: string, a: number, aw: number, d: number, dw: number): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < m.length; i++) {
    const ch = m.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
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
    const s = v.members[m]!;
    const h = memberHash(
      m,
      s.add ? s.add.c : -1,
      s.add ? writerHash(s.add.w) : 0,
      s.del ? s.del.c : -1,
      s.del ? writerHash(s.del.w) : 0,
    );
    sum = (sum + h) % TWO_53;
    n++;
  }
  d = `${n}:${sum.toString(36)}`;
  digests.set(v, d);
  return d;
}

/** Builds a view from a set's stored rows, one member at a time (ShardStore.scanSet's callback). */
export function makeViewBuilder() {
  let sum = 0;
  let n = 0;
  const members: string[] = [];
  return {
    row(m: string, addC: number | null, addW: string | null, delC: number | null, delW: string | null): void {
      const hasAdd = addC !== null && addW !== null;
      const hasDel = delC !== null && delW !== null;
      const h = memberHash(
        m,
        hasAdd ? addC : -1,
        hasAdd ? writerHash(addW) : 0,
        hasDel ? delC : -1,
        hasDel ? writerHash(delW) : 0,
      );
      sum = (sum + h) % TWO_53;
      n++;
      // Present when the add beats the remove (values.ts compareStamp: counter, then writer id).
      if (hasAdd && (!hasDel || addC > delC || (addC === delC && addW > delW))) members.push(m);
    },
    view(): SetView {
      return { digest: `${n}:${sum.toString(36)}`, members };
    },
  };
}

/** The view of a decoded set. */
export function viewOfValue(v: SetValue): SetView {
  const members: string[] = [];
  for (const m in v.members) {
    const s = v.members[m]!;
    if (s.add && (!s.del || s.add.c > s.del.c || (s.add.c === s.del.c && s.add.w > s.del.w))) members.push(m);
  }
  return { digest: setDigest(v), members };
}
