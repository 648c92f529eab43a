/**
 * The DHT simulator: N nodes on one in-memory network, values stored up front, then waves of
 * churn (a fraction of nodes killed, as many new ones joining, one re-replication round as
 * tReplicate would do) interleaved with random FIND_VALUE lookups. Reports success rate (the
 * value stored before churn is found), hops, overlap with the true k closest live nodes and
 * RPCs per lookup.
 *
 * Does not: parse flags or print (cli.ts); use wall-clock timers (maintenance is run on demand).
 */
import { compareDistance, distancePrefix, idEquals, keyOf } from '../id.js';
import { makeKademliaNode, type KademliaNodeInternal } from '../node/index.js';
import { makeMemoryStore } from '../store/memory.js';
import { makeMemoryNetwork } from '../transport/memory.js';
import type { Id } from '../types.js';

export interface SimOptions {
  /** Nodes at the start (and, with churn, at the end). */
  nodes: number;
  /** Fraction of nodes that leave (and as many that join) during the run. @default 0 */
  churn?: number;
  /** Random lookups performed. @default 1000 */
  lookups?: number;
  /** Values stored before the churn starts. @default 100 */
  values?: number;
  /** Churn waves; one re-replication round follows each. @default 10 */
  waves?: number;
  k?: number;
  alpha?: number;
  /** Replicas per value. @default 3 */
  r?: number;
  /** Seed of the network PRNG and of the node choices. @default 1 */
  seed?: number;
  /** Buckets a joining node refreshes (see KademliaNodeOptions.joinRefresh). @default JOIN_REFRESH */
  joinRefresh?: 'all' | 'none' | number;
  /** Nodes joining at once (each through a random node that already joined). @default JOIN_BATCH */
  joinBatch?: number;
}

/**
 * Farthest buckets refreshed on join: they cover most of the id space, while the self-lookup fills
 * the near ones; the rest fill from traffic. 'all' costs ~log2(N) lookups per join.
 */
export const JOIN_REFRESH = 3;
/** Concurrent joins: a real network's nodes join in parallel; 32 keeps each join's view fresh. */
export const JOIN_BATCH = 32;
/** Tries of one value's put before the sim gives up on it (each from a random live node). */
export const PUT_ATTEMPTS = 3;

export interface SimReport {
  nodes: number;
  churn: number;
  lookups: number;
  success_rate: number;
  hops_p50: number;
  hops_p95: number;
  top_k_overlap: number;
  rpcs_per_lookup: number;
  values: number;
  /** Put attempts that missed their write quorum (retried; see PUT_ATTEMPTS). */
  put_failures: number;
  killed: number;
  joined: number;
  build_ms: number;
  duration_ms: number;
}

/** Timers long enough never to fire during a run: the simulator drives maintenance itself. */
const IDLE = {
  tReplicate: 1e9,
  tRepublish: 2e9,
  tExpire: 4e9,
  tRefresh: 1e9,
  tRedial: 1e9,
  tWatchdog: 1e9,
  rpcTimeout: 1_000,
};

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
};

export async function runSim(o: SimOptions): Promise<SimReport> {
  const t0 = Date.now();
  const rand = prng(o.seed ?? 1);
  const k = o.k ?? 20;
  const r = o.r ?? 3;
  const churn = o.churn ?? 0;
  const waves = Math.max(1, o.waves ?? 10);
  const lookups = o.lookups ?? 1000;
  const net = makeMemoryNetwork({ seed: o.seed ?? 1 });
  const live: KademliaNodeInternal[] = [];
  let seq = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;

  async function spawn(): Promise<KademliaNodeInternal> {
    const bootstrap = live.length ? [pick(live).address] : [];
    const node = makeKademliaNode({
      transport: net.makeTransport(`sim-${seq++}`),
      store: makeMemoryStore(),
      bootstrap,
      k,
      alpha: o.alpha ?? 3,
      timers: IDLE,
      replication: { record: { r, w: 1 } },
      joinRefresh: o.joinRefresh ?? JOIN_REFRESH,
    });
    await node.start();
    return node;
  }
  /** Joins `n` nodes, `joinBatch` at a time; each batch bootstraps through nodes already joined. */
  async function spawnMany(n: number): Promise<void> {
    const batch = Math.max(1, o.joinBatch ?? JOIN_BATCH);
    if (live.length === 0 && n > 0) {
      live.push(await spawn());
      n--;
    }
    while (n > 0) {
      const m = Math.min(n, batch, live.length); // never more newcomers than joined nodes
      live.push(...(await Promise.all(Array.from({ length: m }, () => spawn()))));
      n -= m;
    }
  }

  await spawnMany(o.nodes);
  const buildMs = Date.now() - t0;

  const keys: Id[] = [];
  let putFailures = 0;
  for (let i = 0; i < (o.values ?? 100); i++) {
    const key = keyOf('sim', `value-${i}`);
    // A put can miss its quorum when a loaded machine makes RPCs time out: retry from another node;
    // a value never acknowledged is not counted against lookups (it was never promised).
    for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
      try {
        await pick(live).putRecord(key, new TextEncoder().encode(`v${i}`));
        keys.push(key);
        break;
      } catch {
        putFailures++;
      }
    }
  }

  const perWave = Math.round((churn * o.nodes) / waves);
  let killed = 0;
  let joined = 0;
  const hops: number[] = [];
  let found = 0;
  let overlap = 0;
  let rpcs = 0;
  for (let w = 0; w < waves; w++) {
    if (perWave > 0) {
      for (let i = 0; i < perWave; i++) {
        const idx = Math.floor(rand() * live.length);
        const [dead] = live.splice(idx, 1);
        net.kill(dead!.address);
        void dead!.stop().catch(() => {});
        killed++;
      }
      await spawnMany(perWave);
      joined += perWave;
      await Promise.all(live.map((n) => n.maintain('replicate')));
    }
    const n = Math.floor(lookups / waves) + (w < lookups % waves ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const key = pick(keys);
      const from = pick(live);
      const res = await from.lookupValue(key, 'record');
      const local = await from.getLocal(key);
      if (res.replies.length > 0 || local) found++;
      hops.push(res.hops);
      rpcs += res.rpcs;
      const truth = live
        .filter((x) => !idEquals(x.id, from.id))
        .map((x) => ({ x, d: distancePrefix(key, x.id) }))
        .sort((a, b) => a.d - b.d || compareDistance(key, a.x.id, b.x.id))
        .slice(0, k)
        .map((y) => y.x);
      const got = new Set(res.closest.map((c) => c.address));
      overlap += truth.filter((x) => got.has(x.address)).length / truth.length;
    }
  }
  await Promise.all(live.map((n) => n.stop()));
  return {
    nodes: o.nodes,
    churn,
    lookups,
    success_rate: found / lookups,
    hops_p50: pct(hops, 0.5),
    hops_p95: pct(hops, 0.95),
    top_k_overlap: overlap / lookups,
    rpcs_per_lookup: rpcs / lookups,
    values: keys.length,
    put_failures: putFailures,
    killed,
    joined,
    build_ms: buildMs,
    duration_ms: Date.now() - t0,
  };
}
