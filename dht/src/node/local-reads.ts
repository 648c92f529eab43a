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
import { setDigest } from './set-view.js';
import { mergeValue, parseValue, setCovers } from './values.js';
import type { Writer } from './writes.js';

export { setDigest } from './set-view.js';

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
