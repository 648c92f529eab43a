/**
 * Keeping the node joined and its data alive: join (bootstrap PING, self-lookup, refresh of
 * farther buckets), bucket refresh, low-peers watchdog, periodic bootstrap re-dial (merges
 * healed partitions), re-replication by every holder, republish by publishers, expiry, hand-over
 * of keys to newly seen closer nodes, and contact persistence. Every loop is an unref'd timer,
 * cleared by stop(); each task can also be run on demand (`run`) for tests and the simulator.
 *
 * Does not: decide values or stamps (node.ts), or send STOREs itself (writes.ts; re-replication's
 * digests-first exchange: replica-sync.ts).
 */
import { compareDistance, idEquals, randomIdInBucket, toHex } from '../id.js';
import type { Contact, EntryMeta, Id } from '../types.js';
import type { NodeContext } from './context.js';
import { HANDOVER_DEBOUNCE_MS, LOW_PEERS, MAINTENANCE_CONCURRENCY } from './options.js';
import { makeReplicaSync, makeReplicaTotals, type ReplicaSyncReport } from './replica-sync.js';
import { pool, type Writer } from './writes.js';

export type MaintenanceTask = 'replicate' | 'republish' | 'refresh' | 'watchdog' | 'redial' | 'expire';

export function makeMaintenance(ctx: NodeContext, writer: Writer, lastBucketLookup: number[]) {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<MaintenanceTask>();
  const republishedAt = new Map<string, number>();
  /** Ids learned for bootstrap addresses, to tell a healthy seed from a failing one. */
  const bootIds = new Map<string, Contact['id']>();
  let newcomers: Contact[] = [];
  /**
   * Ids of the contacts persisted before this start: members of the network already, which hold
   * what they should or get it by re-replication and read repair. A restarted node would otherwise
   * see every one of them as new and hand its whole shard over to them (at 100,000 songs, ~700,000
   * keys to each of the other trackers on every restart).
   */
  const knownBefore = new Set<string>();
  let handoverTimer: NodeJS.Timeout | undefined;
  const log = ctx.o.logger;
  const t = ctx.o.timers;
  const replicas = makeReplicaSync(ctx, writer);

  /** PINGs addresses (ids unknown) and contacts; the replies land in the routing table. */
  async function ping(targets: { id?: Contact['id']; address: string }[]): Promise<number> {
    const res = await Promise.all(
      targets
        .filter((c) => c.address !== ctx.self.address && !(c.id && idEquals(c.id, ctx.self.id)))
        .map((c) =>
          ctx.rpc.call(c, 'PING').then(
            () => 1,
            () => 0,
          ),
        ),
    );
    return res.reduce((a: number, b: number) => a + b, 0);
  }

  /** Random-id lookups in buckets [from, to] that saw no lookup for tRefresh (all when force). */
  async function refreshBuckets(
    force: boolean,
    to = Math.min(255, ctx.routing.deepest() + 1),
  ): Promise<void> {
    const now = Date.now();
    const idx: number[] = [];
    for (let i = 0; i <= to; i++) if (force || now - (lastBucketLookup[i] ?? 0) >= t.tRefresh) idx.push(i);
    await pool(idx, MAINTENANCE_CONCURRENCY, (i) =>
      ctx.lookupNodes(randomIdInBucket(ctx.self.id, i)).catch(() => undefined),
    );
  }

  async function join(): Promise<void> {
    const persisted = await ctx.store.loadContacts().catch(() => []);
    for (const c of persisted) knownBefore.add(toHex(c.id));
    const reached = await ping([...persisted, ...ctx.o.bootstrap.map((address) => ({ address }))]);
    if (reached === 0 && (persisted.length > 0 || ctx.o.bootstrap.length > 0))
      log.warn(
        { bootstrap: ctx.o.bootstrap.length, persisted: persisted.length },
        'dht: no bootstrap or persisted contact answered',
      );
    await ctx.lookupNodes(ctx.self.id);
    // Refresh every bucket farther than our closest neighbour (paper, section 2.3), or only the
    // `joinRefresh` farthest ones.
    const farther = ctx.routing.deepest() - 1;
    const jr = ctx.o.joinRefresh;
    if (jr === 'none') return;
    await refreshBuckets(true, jr === 'all' ? Math.max(-1, farther) : Math.min(farther, jr - 1));
  }

  /** Brings a walk batch's replicas in line (replica-sync.ts), then marks the entries replicated here. */
  async function syncBatch(due: EntryMeta[], now: number): Promise<ReplicaSyncReport> {
    const report = await replicas.send(await replicas.itemsOf(due));
    await pool(due, MAINTENANCE_CONCURRENCY, (m) => ctx.shard.markReplicated(m.key, now));
    return report;
  }

  /**
   * Re-replicates the entries not replicated for tReplicate (all with `force`), a walk batch at a
   * time on metadata (shard.walkMeta): digests first, then only the values a replica lacks or
   * holds differently are read and sent (replica-sync.ts). Each batch is marked as it is done.
   */
  async function replicate(force = false): Promise<void> {
    const now = Date.now();
    const total = makeReplicaTotals(log);
    await ctx.shard.walkMeta(
      (m) => force || now - m.replicatedAt >= t.tReplicate,
      async (due) => total.add(await syncBatch(due, now)),
    );
    total.log('replicate');
  }

  /**
   * Republishes the entries this node published, every tRepublish (all with `force`), as
   * `replicate` sends them; our own copies are marked too, which refreshes their expiry.
   */
  async function republish(force = false): Promise<void> {
    const now = Date.now();
    const total = makeReplicaTotals(log);
    await ctx.shard.walkMeta(
      (m) => {
        if (!m.publisher) return false;
        const hex = toHex(m.key);
        if (!republishedAt.has(hex)) republishedAt.set(hex, now);
        return force || now - republishedAt.get(hex)! >= t.tRepublish;
      },
      async (due) => {
        total.add(await syncBatch(due, now));
        for (const m of due) republishedAt.set(toHex(m.key), now);
      },
    );
    total.log('republish');
  }

  async function persistContacts(): Promise<void> {
    await ctx.store
      .saveContacts(ctx.routing.all())
      .catch((err: unknown) => log.warn({ err }, 'dht: saving contacts failed'));
  }

  /** What the last re-seed logged at info: a small network stays "low" for good (3 trackers). */
  let lastReseed = '';
  async function watchdog(): Promise<void> {
    if (ctx.routing.size() >= Math.min(ctx.o.k, LOW_PEERS)) return;
    const persisted = await ctx.store.loadContacts().catch(() => []);
    const reached = await ping([...persisted, ...ctx.o.bootstrap.map((address) => ({ address }))]);
    // Every tWatchdog (5 s) in a network of fewer than LOW_PEERS nodes: info only when the figures
    // change (106 identical lines in one 3-tracker bench run), debug otherwise.
    const figures = { contacts: ctx.routing.size(), reached };
    const seen = `${figures.contacts}/${figures.reached}`;
    if (seen !== lastReseed) log.info(figures, 'dht: low peers, re-seeded');
    else log.debug(figures, 'dht: low peers, re-seeded');
    lastReseed = seen;
    await ctx.lookupNodes(ctx.self.id);
    await refreshBuckets(true);
  }

  /**
   * Re-dials the bootstrap nodes. When one of them was unknown or failing (a healed partition, a
   * restarted seed) or the table learned someone new, a self-lookup follows so both sides learn
   * the nodes near them; otherwise the PINGs alone confirm we are still connected.
   */
  async function redial(): Promise<void> {
    const wasBad = ctx.o.bootstrap.some((a) => {
      const id = bootIds.get(a);
      return !id || ctx.routing.failures(id) !== 0;
    });
    const before = writer.version();
    await Promise.all(
      ctx.o.bootstrap
        .filter((a) => a !== ctx.self.address)
        .map((address) =>
          ctx.rpc.call({ address }, 'PING').then(
            (res) => void bootIds.set(address, res.from.id),
            () => undefined,
          ),
        ),
    );
    if (wasBad || writer.version() !== before) await ctx.lookupNodes(ctx.self.id);
    await persistContacts();
  }

  /**
   * Sends keys we hold to newly seen nodes that are among their r closest (paper, section 2.5).
   * Keys are picked on metadata (shard.walkMeta) and go through replica-sync.ts, digests first: a
   * node that comes back under a new id with its old data gets only what it lacks.
   */
  async function handover(fresh: Contact[]): Promise<void> {
    const known = ctx.routing.all();
    const rank = (key: Id, r: number, c: Contact) => {
      let closer = 0;
      for (const k of known)
        if (!idEquals(k.id, c.id) && compareDistance(key, k.id, c.id) < 0 && ++closer >= r) break;
      if (!idEquals(c.id, ctx.self.id) && compareDistance(key, ctx.self.id, c.id) < 0) closer++;
      return closer;
    };
    /** The fresh contacts each picked key goes to (set by `select`, read by the batch). */
    const targets = new Map<string, Contact[]>();
    const total = makeReplicaTotals(log);
    await ctx.shard.walkMeta(
      (m) => {
        const r = ctx.o.policies[m.kind].r;
        if (rank(m.key, r, ctx.self) >= r) return false; // not our job: someone closer holds it
        const to = fresh.filter((c) => rank(m.key, r, c) < r);
        if (to.length === 0) return false;
        targets.set(toHex(m.key), to);
        return true;
      },
      async (batch) => {
        const items = (await replicas.itemsOf(batch)).map((it) => ({ ...it, to: targets.get(it.hex) ?? [] }));
        for (const m of batch) targets.delete(toHex(m.key));
        total.add(await replicas.send(items));
      },
    );
    total.log('handover');
  }

  function newContact(c: Contact): void {
    if (knownBefore.has(toHex(c.id))) return; // a member before our restart: no hand-over (see knownBefore)
    newcomers.push(c);
    if (handoverTimer || ctx.phase() !== 'serving') return;
    handoverTimer = setTimeout(() => {
      handoverTimer = undefined;
      const batch = newcomers;
      newcomers = [];
      void handover(batch).catch((err: unknown) => log.warn({ err }, 'dht: hand-over failed'));
    }, HANDOVER_DEBOUNCE_MS);
    handoverTimer.unref?.();
  }

  const tasks: Record<MaintenanceTask, (force: boolean) => Promise<unknown>> = {
    replicate,
    republish,
    refresh: (force) => refreshBuckets(force),
    watchdog: () => watchdog(),
    redial: () => redial(),
    expire: () => ctx.shard.expire(),
  };

  /** Runs one task now (skipped if the same task is still running). */
  async function run(task: MaintenanceTask, force = true): Promise<void> {
    if (running.has(task)) return;
    running.add(task);
    try {
      await tasks[task](force);
    } catch (err) {
      log.warn({ err, task }, 'dht: maintenance task failed');
    } finally {
      running.delete(task);
    }
  }

  function every(ms: number, task: MaintenanceTask, force: boolean) {
    const h = setInterval(() => void run(task, force), ms);
    h.unref?.();
    timers.push(h);
  }

  return {
    join,
    run,
    newContact,
    persistContacts,
    start() {
      // Due-checks run more often than the periods, so an entry is served within ~1/4 period.
      every(Math.max(10, t.tReplicate / 4), 'replicate', false);
      every(Math.max(10, t.tRepublish / 4), 'republish', false);
      every(Math.max(10, t.tRefresh / 4), 'refresh', false);
      every(t.tWatchdog, 'watchdog', false);
      every(t.tRedial, 'redial', false);
      every(Math.max(10, Math.min(t.tReplicate, t.tExpire / 4)), 'expire', false);
    },
    stop() {
      for (const h of timers) clearInterval(h);
      timers.length = 0;
      if (handoverTimer) clearTimeout(handoverTimer);
      handoverTimer = undefined;
    },
  };
}
