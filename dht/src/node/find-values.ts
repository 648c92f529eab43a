/**
 * The responder side of FIND_VALUES, the batched local-first set read (local-reads-many.ts): one
 * request carries many keys, each with the digest of the asker's copy. Per key the reply says
 * `same` (our copy has that digest: nothing sent), `value` (our set), `none` (we hold no set there)
 * or `later` (not answered: the reply's byte budget is spent; ask again). Answers are aligned with
 * the request's keys. Values stop at MAX_FIND_VALUES_REPLY_BYTES (the first always goes: one set
 * is at most MAX_SET_VALUE_BYTES), so a reply stays under the transport's frame cap.
 *
 * Does not: validate the request (wire.ts parseFindValuesKeys), answer lookups (no contacts: the
 * asker already knows every replica), or serve records and blobs (FIND_VALUE does).
 */
import { fromHex } from '../id.js';
import type { SetValue, Value } from '../types.js';
import type { NodeContext } from './context.js';
import { setDigest } from './local-reads.js';
import { MAX_FIND_VALUES_REPLY_BYTES } from './options.js';
import { setWireBytes } from './shard-batch.js';
import type { FindValuesAsk } from './wire.js';

/** A blob's digest: its key is its hash, so every copy held is the same bytes. */
export const BLOB_DIGEST = 'b';

/**
 * A value's digest as FIND_VALUES compares it: a set's read-view digest (`n:sum`, set-view.ts); a
 * record's stamp (`r<c>.<w>`, `.d` when deleted: a stamp names one write); `b` for a blob (its key
 * is its hash, and every copy is verified: any copy held is the same bytes). Only a set's digest
 * starts with a digit.
 */
export function valueDigest(v: Value): string {
  switch (v.kind) {
    case 'set':
      return setDigest(v);
    case 'record':
      return `r${v.stamp.c}.${v.stamp.w}${v.deleted ? '.d' : ''}`;
    case 'blob':
      return BLOB_DIGEST;
    default: {
      const never: never = v;
      return never;
    }
  }
}
const isSetDigest = (d: string): boolean => d.charCodeAt(0) >= 48 && d.charCodeAt(0) <= 57;

/** One key's answer in a FIND_VALUES reply. */
export type FindValuesAnswer = { same: true } | { value: SetValue } | { later: true } | { none: true };

/** Map header and field names around one answered value. */
const ANSWER_OVERHEAD_BYTES = 16;

/**
 * The answers for `asks` given our copies (aligned; `'same'` where our read view's digest already
 * matched): values in request order until `budget`
 * estimated bytes are spent, `later` for the values past it (the first value always goes).
 */
export function packFindValues(
  asks: FindValuesAsk[],
  copies: (Value | 'same' | undefined)[],
  budget = MAX_FIND_VALUES_REPLY_BYTES,
): FindValuesAnswer[] {
  let bytes = 0;
  let sent = 0;
  return asks.map((a, i): FindValuesAnswer => {
    const v = copies[i];
    if (v === 'same') return { same: true };
    if (v?.kind !== 'set') return { none: true };
    if (a.digest !== undefined && setDigest(v) === a.digest) return { same: true };
    const n = ANSWER_OVERHEAD_BYTES + setWireBytes(v);
    if (sent > 0 && bytes + n > budget) return { later: true };
    bytes += n;
    sent++;
    return { value: v };
  });
}

/**
 * Reads our copy of every asked key and packs the reply body. A record's or blob's digest (a
 * re-replication asking before it sends: writes.ts) is answered `same` or `none`, never with the
 * value. `replication`: the asker re-replicates these keys: it sends what is not `same` (so no
 * key is answered with our value), and the ones answered `same` count as replicated here too
 * (Kademlia paper, section 2.5, as a STORE would: handlers.ts).
 */
export async function answerFindValues(
  ctx: NodeContext,
  asks: FindValuesAsk[],
  replication = false,
): Promise<{ answers: FindValuesAnswer[] }> {
  // Our read view's digest decides `same` without decoding the set; only differing copies are read whole.
  const copies = await Promise.all(
    asks.map(async (a): Promise<Value | 'same' | undefined> => {
      const key = fromHex(a.key);
      if (a.digest === BLOB_DIGEST) return (await ctx.shard.meta(key))?.kind === 'blob' ? 'same' : undefined; // not read
      if (a.digest !== undefined && !isSetDigest(a.digest)) {
        const e = await ctx.shard.get(key);
        return e && valueDigest(e.value) === a.digest ? 'same' : undefined;
      }
      if (a.digest !== undefined && (await ctx.shard.view(key))?.digest === a.digest) return 'same';
      // A re-replication sends its own value next: ours would travel for nothing.
      return replication ? undefined : (await ctx.shard.get(key))?.value;
    }),
  );
  const answers = packFindValues(asks, copies);
  if (replication) {
    const now = Date.now();
    await Promise.all(
      answers.map((x, i) => ('same' in x ? ctx.shard.markReplicated(fromHex(asks[i]!.key), now) : undefined)),
    );
  }
  return { answers };
}
