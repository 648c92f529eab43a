/**
 * Batched local-first quorum reads of many sets (`getSetValueMany`): the keys this node
 * replicates are read as local-reads.ts reads one (the local copy plus R - 1 remote replicas,
 * R + W > r, equal copies answering `same` to a digest), but with ONE FIND_VALUES request per
 * remote replica carrying all its keys (at most MAX_FIND_VALUES_KEYS each), instead of one
 * FIND_VALUE round trip per key. Rounds: every pending key asks its next untried replicas; a
 * replica that fails (or answers a key badly) is routed around in the next round; a key the
 * responder left `later` (its byte budget, find-values.ts) is asked again from the same replica.
 * Differences are merged and repaired both ways (one batched STORE per stale replica).
 *
 * Does not: read keys this node does not replicate, or keys whose replicas all failed: those take
 * the per-key path (`perKey`, i.e. getSetValue: local-first single read, else the full lookup).
 */
import type { ReadOptions } from '../api.js';
import { mapLimit } from '../concurrency.js';
import { toHex } from '../id.js';
import type { Contact, Id, SetValue, Value } from '../types.js';
import type { NodeContext } from './context.js';
import type { SetView } from './set-view.js';
import { MAX_FIND_VALUES_KEYS, SET_READ_FALLBACK_CONCURRENCY } from './options.js';
import { mergeValue, parseValue, setCovers, setMembers } from './values.js';
import type { Writer } from './writes.js';

/** One key's answer as the asker reads it; `bad` is a malformed or corrupt answer (routed around). */
type Answer = { t: 'same' } | { t: 'value'; value: SetValue | undefined } | { t: 'later' } | { t: 'bad' };

/** A key being read. */
interface KeyRead {
  key: Id;
  hex: string;
  /** The r closest remote replicas, closest first. */
  targets: Contact[];
  /** Next index of `targets` not asked yet. */
  next: number;
  /** Remote answers still needed (r - W at start). */
  need: number;
  /** Replicas that left this key `later`: asked again next round. */
  again: Contact[];
  /** Our copy's read view (digest + members); the decoded copy is loaded only to merge a difference. */
  view: SetView | undefined;
  mine: SetValue | undefined;
  digest: string | undefined;
  merged: Value | undefined;
  theirs: { c: Contact; value: SetValue | undefined }[];
  failed: boolean;
}

export function makeLocalBatchReader(
  ctx: NodeContext,
  writer: Writer,
  perKey: (key: Id, opts?: ReadOptions) => Promise<SetValue | undefined>,
) {
  function parseAnswer(raw: unknown, r: KeyRead): Answer {
    if (typeof raw !== 'object' || raw === null) return { t: 'bad' };
    const o = raw as Record<string, unknown>;
    if (o.same === true) return r.digest ? { t: 'same' } : { t: 'bad' };
    if (o.later === true) return { t: 'later' };
    if (o.none === true) return { t: 'value', value: undefined };
    if (o.value === undefined) return { t: 'bad' };
    const v = parseValue(o.value, r.key);
    if (typeof v === 'string') {
      ctx.o.metrics.corruptReplica?.();
      return { t: 'bad' };
    }
    if (v.kind !== 'set') return { t: 'value', value: undefined };
    ctx.shard.clock.observeValue(v);
    return { t: 'value', value: v };
  }

  /** One FIND_VALUES to `c` for `reads`; every key `bad` when the request fails as a whole. */
  async function ask(c: Contact, reads: KeyRead[]): Promise<Answer[]> {
    try {
      const res = await ctx.rpc.call(c, 'FIND_VALUES', {
        keys: reads.map((r) => ({ key: r.hex, ...(r.digest ? { digest: r.digest } : {}) })),
      });
      const answers = res.body.answers;
      if (!Array.isArray(answers) || answers.length !== reads.length) return reads.map(() => ({ t: 'bad' }));
      const out = reads.map((r, i) => parseAnswer(answers[i], r));
      // A responder always answers at least one key (find-values.ts): all `later` is a broken
      // peer, routed around rather than asked again forever.
      return out.every((a) => a.t === 'later') ? out.map(() => ({ t: 'bad' })) : out;
    } catch {
      return reads.map(() => ({ t: 'bad' }));
    }
  }

  /** This round's replicas for `r`: the `later` ones again, then untried ones out of backoff. */
  function roundTargets(r: KeyRead): Contact[] {
    const out = r.again;
    r.again = [];
    while (out.length < r.need && r.next < r.targets.length) {
      const c = r.targets[r.next++]!;
      if (!ctx.routing.inBackoff(c.id)) out.push(c);
    }
    return out;
  }

  function apply(r: KeyRead, c: Contact, a: Answer): void {
    switch (a.t) {
      case 'same':
        r.need--;
        return;
      case 'value':
        r.need--;
        r.theirs.push({ c, value: a.value });
        return;
      case 'later':
        r.again.push(c);
        return;
      case 'bad':
        return; // the next untried replica is asked next round
      default: {
        const never: never = a;
        return never;
      }
    }
  }

  /** Repairs every stale copy: one batched STORE per replica, the local copy merged. */
  function repair(reads: KeyRead[]): void {
    const perContact = new Map<Contact, { key: Id; value: Value }[]>();
    const jobs: Promise<unknown>[] = [];
    for (const r of reads) {
      const result = r.merged as SetValue | undefined;
      if (!result || r.theirs.length === 0) continue;
      for (const t of r.theirs) {
        if (t.value && setCovers(t.value, result)) continue;
        let l = perContact.get(t.c);
        if (!l) perContact.set(t.c, (l = []));
        l.push({ key: r.key, value: result });
      }
      if (!r.mine || !setCovers(r.mine, result)) jobs.push(ctx.shard.merge(r.key, result));
    }
    for (const [c, items] of perContact) jobs.push(writer.sendStore(c, items));
    void Promise.all(jobs).catch(() => {});
  }

  /**
   * Merged values of the keys that can be read local-first, `null` for the others (network not
   * known to be small, self not a replica, too few replicas answered).
   */
  async function readSets(
    keys: Id[],
    want: 'members' | 'values',
  ): Promise<({ value?: SetValue; members: string[] } | null)[]> {
    if (keys.length === 0) return [];
    // Small-network trust lapses after SMALL_NET_TRUST_MS without a lookup: one lookup renews it
    // (when it learns nobody new), instead of one full lookup per key on the per-key path.
    if (!writer.smallNetTrusted() && ctx.routing.size() < ctx.o.k)
      await writer.closestRemote(keys[0]!).catch(() => undefined);
    if (!writer.smallNetTrusted()) return keys.map(() => null);
    const policy = ctx.o.policies.set;
    const everyone = writer.everyoneWithin(policy.r);
    const byHex = new Map<string, KeyRead>();
    for (const key of keys) {
      const hex = toHex(key);
      if (byHex.has(hex)) continue;
      const { targets, self } = writer.knownTargets(key, policy.r, everyone);
      if (!self) continue;
      byHex.set(hex, {
        key,
        hex,
        targets,
        next: 0,
        need: policy.r - policy.w,
        again: [],
        view: undefined,
        mine: undefined,
        digest: undefined,
        merged: undefined,
        theirs: [],
        failed: false,
      });
    }
    const reads = [...byHex.values()];
    await Promise.all(
      reads.map(async (r) => {
        r.view = await ctx.shard.view(r.key);
        r.digest = r.view?.digest;
      }),
    );
    let pending = reads.filter((r) => r.need > 0);
    while (pending.length > 0) {
      const perContact = new Map<Contact, KeyRead[]>();
      for (const r of pending) {
        const cs = roundTargets(r);
        if (cs.length < r.need) {
          r.failed = true; // not enough replicas left: the per-key path decides
          continue;
        }
        for (const c of cs) {
          let l = perContact.get(c);
          if (!l) perContact.set(c, (l = []));
          l.push(r);
        }
      }
      const requests: { c: Contact; reads: KeyRead[] }[] = [];
      for (const [c, l] of perContact)
        for (let i = 0; i < l.length; i += MAX_FIND_VALUES_KEYS)
          requests.push({ c, reads: l.slice(i, i + MAX_FIND_VALUES_KEYS) });
      await Promise.all(
        requests.map(async ({ c, reads: rs }) => {
          const answers = await ask(c, rs);
          rs.forEach((r, i) => apply(r, c, answers[i]!));
        }),
      );
      pending = pending.filter((r) => !r.failed && r.need > 0);
    }
    const done = reads.filter((r) => !r.failed);
    // Our decoded copy is needed only where a replica differs (to merge and repair), or when the
    // caller wants values rather than members.
    await Promise.all(
      done.map(async (r) => {
        if (r.theirs.length === 0 && want === 'members') return;
        const local = r.view ? await ctx.shard.get(r.key) : undefined;
        r.mine = local?.value.kind === 'set' ? local.value : undefined;
        let merged: Value | undefined = r.mine;
        for (const t of r.theirs) if (t.value) merged = merged ? mergeValue(merged, t.value).value : t.value;
        r.merged = merged;
      }),
    );
    repair(done);
    return keys.map((key) => {
      const r = byHex.get(toHex(key));
      if (!r || r.failed) return null;
      if (want === 'members' && r.theirs.length === 0) return { members: r.view?.members ?? [] };
      const value = r.merged as SetValue | undefined;
      return { value, members: value ? setMembers(value) : [] };
    });
  }

  /** Every key's merged set in input order: batched where local-first applies, per key otherwise. */
  async function getSetValueMany(keys: Id[], opts?: ReadOptions): Promise<(SetValue | undefined)[]> {
    const fast = opts?.localFirst ? await readSets(keys, 'values') : keys.map(() => null);
    const out: (SetValue | undefined)[] = fast.map((f) => f?.value);
    const rest = fast.flatMap((f, i) => (f ? [] : [i]));
    await mapLimit(rest, SET_READ_FALLBACK_CONCURRENCY, async (i) => {
      out[i] = await perKey(keys[i]!, opts);
    });
    return out;
  }

  /**
   * Every key's present members in input order (in no particular order within a set): where every
   * replica asked agrees with our copy, straight from its cached read view, without decoding it.
   */
  async function getSetMany(keys: Id[], opts?: ReadOptions): Promise<string[][]> {
    const fast = opts?.localFirst ? await readSets(keys, 'members') : keys.map(() => null);
    const out: string[][] = fast.map((f) => f?.members ?? []);
    const rest = fast.flatMap((f, i) => (f ? [] : [i]));
    await mapLimit(rest, SET_READ_FALLBACK_CONCURRENCY, async (i) => {
      const v = await perKey(keys[i]!, opts);
      out[i] = v ? setMembers(v) : [];
    });
    return out;
  }

  return { readSets, getSetValueMany, getSetMany };
}
