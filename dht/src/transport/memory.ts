/**
 * In-memory transport for simulation and tests: one `MemoryNetwork` per test, any number of
 * transports on it. Latency (fixed or uniform range), random drops (seeded PRNG), partitions and
 * killed nodes. Scales to thousands of nodes in one process: with zero latency, delivery is a
 * microtask; otherwise one timer serves a min-heap of due events (no timer per message).
 *
 * Does not: encode payloads (objects are passed by reference; handlers must not mutate them),
 * authenticate, or rate-limit (the TCP transport does).
 */
import { TransportError, type Address, type Payload, type RequestHandler, type Transport } from '../types.js';

export interface MemoryNetworkOptions {
  /** One-way latency in ms, fixed or uniform in [min, max]. @default 0 */
  latencyMs?: number | [number, number];
  /** Probability that a request or its response is silently lost (the caller times out). @default 0 */
  dropRate?: number;
  /** Seed of the PRNG used for latency and drops, so runs are reproducible. @default 1 */
  seed?: number;
  /** What a request to an unknown or killed address does: fail fast or time out. @default 'unreachable' */
  deadAddress?: 'unreachable' | 'timeout';
  /** What a request across a partition does (real partitions time out). @default 'timeout' */
  partitioned?: 'unreachable' | 'timeout';
}

export interface MemoryNetworkStats {
  requests: number;
  delivered: number;
  dropped: number;
  timeouts: number;
  unreachable: number;
}

export interface MemoryNetwork {
  makeTransport(address?: Address): Transport;
  /** Only nodes in the same group can talk; addresses in no group are isolated. */
  partition(groups: Address[][]): void;
  heal(): void;
  /** The address stops answering and sending (a crashed process). */
  kill(address: Address): void;
  addresses(): Address[];
  stats(): MemoryNetworkStats;
}

/** mulberry32: small, fast, seedable. */
function makePrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
}

/** One timer for every delayed event: a binary min-heap ordered by due time. */
function makeScheduler() {
  const heap: Scheduled[] = [];
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  const less = (a: Scheduled, b: Scheduled) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  function push(e: Scheduled) {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  }
  function pop(): Scheduled {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
  function arm() {
    if (heap.length === 0) return;
    const at = heap[0]!.at;
    if (timer && timerAt <= at) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    // Not unref'd: a pending request keeps the process alive, as an open socket would.
    timer = setTimeout(run, Math.max(0, at - Date.now()));
  }
  function run() {
    timer = undefined;
    timerAt = Infinity;
    const now = Date.now();
    while (heap.length > 0 && heap[0]!.at <= now) pop().fn();
    arm();
  }
  return {
    /** Runs `fn` after `ms`; returns a cancel function (lazy: the event becomes a no-op). */
    after(ms: number, fn: () => void): () => void {
      let live = true;
      if (ms <= 0) {
        queueMicrotask(() => live && fn());
      } else {
        push({ at: Date.now() + ms, seq: seq++, fn: () => live && fn() });
        arm();
      }
      return () => {
        live = false;
      };
    },
  };
}

export function makeMemoryNetwork(opts: MemoryNetworkOptions = {}): MemoryNetwork {
  const rand = makePrng(opts.seed ?? 1);
  const dropRate = opts.dropRate ?? 0;
  const latency = opts.latencyMs ?? 0;
  const deadMode = opts.deadAddress ?? 'unreachable';
  const partMode = opts.partitioned ?? 'timeout';
  const sched = makeScheduler();
  const handlers = new Map<Address, RequestHandler | undefined>();
  const dead = new Set<Address>();
  let groupOf: Map<Address, number> | undefined;
  let nextAuto = 0;
  const stats: MemoryNetworkStats = { requests: 0, delivered: 0, dropped: 0, timeouts: 0, unreachable: 0 };

  const oneWay = (): number =>
    typeof latency === 'number' ? latency : latency[0] + rand() * (latency[1] - latency[0]);
  const canTalk = (a: Address, b: Address): boolean => {
    if (!groupOf) return true;
    const ga = groupOf.get(a);
    return ga !== undefined && ga === groupOf.get(b);
  };

  function makeTransport(address?: Address): Transport {
    const self = address ?? `mem-${nextAuto++}`;
    if (handlers.has(self) && !dead.has(self)) throw new Error(`address in use: ${self}`);
    dead.delete(self);
    handlers.set(self, undefined);
    let closed = false;
    const pending = new Set<(e: TransportError) => void>();

    function request(to: Address, payload: Payload, timeoutMs: number): Promise<Payload> {
      stats.requests++;
      if (closed || dead.has(self)) return Promise.reject(new TransportError('CLOSED', 'transport closed'));
      return new Promise<Payload>((resolve, reject) => {
        let done = false;
        const finish = (err: TransportError | undefined, res?: Payload) => {
          if (done) return;
          done = true;
          cancelTimeout();
          pending.delete(fail);
          if (err) reject(err);
          else resolve(res!);
        };
        const fail = (e: TransportError) => finish(e);
        pending.add(fail);
        const cancelTimeout = sched.after(timeoutMs, () => {
          stats.timeouts++;
          finish(new TransportError('TIMEOUT', `request to ${to} timed out after ${timeoutMs} ms`));
        });
        const unreachable = (why: string) => {
          stats.unreachable++;
          finish(new TransportError('UNREACHABLE', `${to} unreachable: ${why}`));
        };
        const target = handlers.get(to);
        if (!handlers.has(to) || dead.has(to) || target === undefined) {
          if (deadMode === 'unreachable') unreachable('no such node');
          return; // else: wait for the timeout
        }
        if (!canTalk(self, to)) {
          if (partMode === 'unreachable') unreachable('partitioned');
          return;
        }
        if (dropRate > 0 && rand() < dropRate) {
          stats.dropped++;
          return;
        }
        sched.after(oneWay(), () => {
          // Re-check at delivery time: the world may have changed in flight.
          const h = handlers.get(to);
          if (done || !h || dead.has(to) || !canTalk(self, to)) return;
          stats.delivered++;
          h(payload, self).then(
            (res) => {
              if (dropRate > 0 && rand() < dropRate) {
                stats.dropped++;
                return;
              }
              sched.after(oneWay(), () => {
                if (dead.has(to) || !canTalk(self, to)) return;
                finish(undefined, res);
              });
            },
            (err: unknown) => finish(new TransportError('REFUSED', `handler failed: ${String(err)}`)),
          );
        });
      });
    }

    return {
      address: self,
      request,
      listen(handler: RequestHandler) {
        if (!closed) handlers.set(self, handler);
      },
      async close() {
        closed = true;
        handlers.delete(self);
        for (const f of [...pending]) f(new TransportError('CLOSED', 'transport closed'));
      },
    };
  }

  return {
    makeTransport,
    partition(groups: Address[][]) {
      groupOf = new Map();
      groups.forEach((g, i) => g.forEach((a) => groupOf!.set(a, i)));
    },
    heal() {
      groupOf = undefined;
    },
    kill(address: Address) {
      dead.add(address);
      handlers.set(address, undefined);
    },
    addresses: () => [...handlers.keys()].filter((a) => !dead.has(a)),
    stats: () => ({ ...stats }),
  };
}
