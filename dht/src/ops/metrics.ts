/**
 * Prometheus metrics for long-running nodes: `makeMetrics` gives a registry with Node's default
 * metrics and get-or-create helpers; `makeDhtMetrics` turns a registry into the counters object the
 * Kademlia node (`KademliaMetrics`) and the TCP transport (`TransportMetrics`) report into.
 *
 * Does not: serve the registry over HTTP (see `serve.ts`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KademliaMetrics } from '../api.js';
import type { TransportMetrics } from '../types.js';

export { Registry } from 'prom-client';

/** Prefix of every metric name of the project. */
export const DEFAULT_METRICS_PREFIX = 'gotify_';

export interface Metrics {
  readonly registry: Registry;
  readonly prefix: string;
  /** Get-or-create a counter named `prefix + name`. */
  counter<L extends string = string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  /** Get-or-create a gauge named `prefix + name`. */
  gauge<L extends string = string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  /** Get-or-create a histogram named `prefix + name`. */
  histogram<L extends string = string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames?: readonly L[],
  ): Histogram<L>;
}

function getOr<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** Helpers over an existing registry (used by `makeMetrics` and by callers that bring their own). */
export function metricsOn(registry: Registry, prefix = DEFAULT_METRICS_PREFIX): Metrics {
  return {
    registry,
    prefix,
    counter: (name, help, labelNames = []) =>
      getOr(
        registry,
        prefix + name,
        () => new Counter({ name: prefix + name, help, labelNames, registers: [registry] }),
      ),
    gauge: (name, help, labelNames = []) =>
      getOr(
        registry,
        prefix + name,
        () => new Gauge({ name: prefix + name, help, labelNames, registers: [registry] }),
      ),
    histogram: (name, help, buckets, labelNames = []) =>
      getOr(
        registry,
        prefix + name,
        () => new Histogram({ name: prefix + name, help, buckets, labelNames, registers: [registry] }),
      ),
  };
}

/** A fresh registry (never the global one, so several nodes can live in one test process) with default metrics. */
export function makeMetrics(prefix = DEFAULT_METRICS_PREFIX): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return metricsOn(registry, prefix);
}

/** Lookup depth buckets: measured DHT walks finish in 1–6 hops (ProbeLab); more means trouble. */
const HOP_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15];
/** RPCs per lookup: α = 3 over ~4 hops is about a dozen; hundreds means churn or a hostile peer. */
const RPC_BUCKETS = [1, 3, 6, 10, 20, 40, 80, 160];

/** Counters of the node core and of its transport, in one object (pass it to both). */
export type DhtMetrics = Required<KademliaMetrics> & Required<TransportMetrics>;

export function makeDhtMetrics(registry: Registry, prefix = `${DEFAULT_METRICS_PREFIX}dht_`): DhtMetrics {
  const m = metricsOn(registry, prefix);
  const sent = m.counter('rpc_sent_total', 'Outgoing RPCs by type', ['type']);
  const failed = m.counter('rpc_failed_total', 'Failed outgoing RPCs by type and error code', [
    'type',
    'code',
  ]);
  const received = m.counter('rpc_received_total', 'Incoming RPCs handled, by type', ['type']);
  const hops = m.histogram('lookup_hops', 'Rounds of depth of iterative lookups', HOP_BUCKETS);
  const rpcs = m.histogram('lookup_rpcs', 'Requests sent per iterative lookup', RPC_BUCKETS);
  const stored = m.counter('stored_bytes_total', 'Value bytes written to the local shard');
  const corrupt = m.counter('corrupt_replicas_total', 'Replies with bytes not matching their key');
  const quorum = m.counter('quorum_failed_total', 'Puts that missed their write quorum, by value kind', [
    'kind',
  ]);
  const dropped = m.counter('transport_dropped_total', 'Frames dropped by the transport, by reason', [
    'reason',
  ]);
  const bytesIn = m.counter('transport_bytes_in_total', 'Bytes received by the transport');
  const bytesOut = m.counter('transport_bytes_out_total', 'Bytes sent by the transport');
  return {
    rpcSent: (type) => sent.inc({ type }),
    rpcFailed: (type, code) => failed.inc({ type, code }),
    rpcReceived: (type) => received.inc({ type }),
    lookup: (h, n) => {
      hops.observe(h);
      if (n !== undefined) rpcs.observe(n);
    },
    storedBytes: (n) => stored.inc(n),
    corruptReplica: () => corrupt.inc(),
    quorumFailed: (kind) => quorum.inc({ kind }),
    dropped: (reason) => dropped.inc({ reason }),
    bytesIn: (n) => bytesIn.inc(n),
    bytesOut: (n) => bytesOut.inc(n),
  };
}
