/**
 * Iterative Kademlia lookup: alpha requests in flight among the k closest candidates not yet
 * queried; ends when the k closest candidates that did not fail have all answered. In value
 * mode it either stops at the first value (blobs) or keeps collecting values from every one of
 * the k closest (records and sets, which the caller merges).
 *
 * Does not: send RPCs itself (the caller's `query` does, with validation and accounting) or
 * touch the routing table.
 */
import { compareDistance, fromHex, idEquals } from '../id.js';
import type { Contact, Id, Value } from '../types.js';

export interface LookupQueryResult {
  contacts: Contact[];
  value?: Value;
}

export interface LookupOptions {
  target: Id;
  k: number;
  alpha: number;
  seeds: Contact[];
  selfHex: string;
  /** Stop as soon as one reply carries a value (blobs). */
  stopAtFirstValue?: boolean;
  /** Candidates to leave out (contacts we know are failing, in backoff). */
  skip?: (c: Contact) => boolean;
  /** Asks one contact; throws when it fails (the candidate is then dropped). */
  query: (c: Contact) => Promise<LookupQueryResult>;
}

export interface LookupResult {
  /** The closest contacts that answered, nearest first, at most k. */
  closest: Contact[];
  values: { from: Contact; value: Value }[];
  /** Depth of the closest answering node (or of the first value holder when stopping early). */
  hops: number;
  rpcs: number;
  /** Every contact that answered (for "learned anything new?" checks). */
  answered: Contact[];
}

type State = 'new' | 'pending' | 'ok' | 'failed';
interface Cand {
  c: Contact;
  depth: number;
  state: State;
}

export function iterativeLookup(o: LookupOptions): Promise<LookupResult> {
  // Candidates are found by binary search on XOR distance (equal distance means equal id), so the
  // hot path converts no ids to hex; self is compared by bytes, decoded once per lookup.
  const selfId = fromHex(o.selfHex);
  const sorted: Cand[] = [];
  const values: { from: Contact; value: Value }[] = [];
  const answered: Contact[] = [];
  let inflight = 0;
  let rpcs = 0;
  let done = false;
  let firstValueDepth = 0;

  function add(c: Contact, depth: number) {
    if (idEquals(c.id, selfId)) return;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareDistance(o.target, sorted[mid]!.c.id, c.id) < 0) lo = mid + 1;
      else hi = mid;
    }
    const cur = sorted[lo];
    if (cur && compareDistance(o.target, cur.c.id, c.id) === 0) {
      if (depth < cur.depth && cur.state === 'new') cur.depth = depth;
      return;
    }
    const cand: Cand = { c, depth, state: o.skip?.(c) ? 'failed' : 'new' };
    sorted.splice(lo, 0, cand);
  }

  for (const s of o.seeds) add(s, 1);

  return new Promise<LookupResult>((resolve) => {
    function finish() {
      if (done) return;
      done = true;
      const ok = sorted.filter((c) => c.state === 'ok').slice(0, o.k);
      resolve({
        closest: ok.map((c) => c.c),
        values,
        hops: firstValueDepth || (ok[0]?.depth ?? 0),
        rpcs,
        answered,
      });
    }

    function pump() {
      if (done) return;
      let seen = 0;
      for (const cand of sorted) {
        if (seen >= o.k || inflight >= o.alpha) break;
        if (cand.state === 'failed') continue;
        seen++;
        if (cand.state !== 'new') continue;
        cand.state = 'pending';
        inflight++;
        rpcs++;
        o.query(cand.c).then(
          (res) => {
            inflight--;
            if (done) return;
            cand.state = 'ok';
            answered.push(cand.c);
            for (const c of res.contacts) add(c, cand.depth + 1);
            if (res.value) {
              values.push({ from: cand.c, value: res.value });
              if (o.stopAtFirstValue) {
                firstValueDepth = cand.depth;
                finish();
                return;
              }
            }
            pump();
          },
          () => {
            inflight--;
            if (done) return;
            cand.state = 'failed';
            pump();
          },
        );
      }
      if (inflight === 0) finish();
    }
    pump();
  });
}
