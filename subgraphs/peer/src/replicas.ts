/**
 * Live replica counts of content-addressed values: the `HAS` application RPC (answers, for many
 * keys at once, whether this node holds a blob whose bytes still hash to its key) and the probe
 * behind `Audio.replicas` (lookup each key's closest nodes, then one batched HAS per node).
 *
 * Does not: repair missing replicas (the DHT's re-replication loop does).
 */
import { fromHex, toHex, type Contact, type KademliaNode } from '@gotify/dht';
import { hashHex, isHexHash } from './chunking.js';
import { mapLimit } from '@gotify/dht';

/** App RPC name; namespaced so it cannot collide with Kademlia's own RPCs. */
export const HAS_METHOD = 'peer.has';

/** Keys per HAS request: 1,024 covers a 128 MiB song in one round trip and bounds the hashing per request. */
export const MAX_HAS_KEYS = 1024;

/**
 * Closest nodes asked per key: twice the default r=3, so holders just outside the r closest
 * (after a join, before hand-over moves the value) still count as the live replicas they are.
 */
export const REPLICA_PROBE_WIDTH = 6;

/** Lookups and HAS calls in flight during one probe; keeps a long song from flooding the network. */
export const PROBE_CONCURRENCY = 8;

/** True when the local shard holds a blob under `keyHex` whose bytes hash to it. */
export async function holdsVerified(node: KademliaNode, keyHex: string): Promise<boolean> {
  const entry = await node.getLocal(fromHex(keyHex));
  return entry !== undefined && entry.value.kind === 'blob' && hashHex(entry.value.bytes) === keyHex;
}

/** Answers HAS requests on this node: `{ keys: hex[] }` → `{ has: boolean[] }`. */
export function installHasHandler(node: KademliaNode): void {
  node.handleApp(HAS_METHOD, async (payload) => {
    const keys = payload.keys;
    if (!Array.isArray(keys) || keys.length > MAX_HAS_KEYS)
      throw new Error(`keys must be a list of at most ${MAX_HAS_KEYS}`);
    const has: boolean[] = [];
    for (const k of keys) has.push(typeof k === 'string' && isHexHash(k) && (await holdsVerified(node, k)));
    return { has };
  });
}

export interface ProbeOptions {
  /** @default REPLICA_PROBE_WIDTH */
  width?: number;
  /** @default PROBE_CONCURRENCY */
  concurrency?: number;
}

/**
 * How many live nodes (this one included) hold each key now. A node that does not answer counts as
 * not holding anything: an unreachable replica is no replica.
 */
export async function probeReplicas(
  node: KademliaNode,
  keysHex: string[],
  opts: ProbeOptions = {},
): Promise<number[]> {
  const width = opts.width ?? REPLICA_PROBE_WIDTH;
  const concurrency = opts.concurrency ?? PROBE_CONCURRENCY;
  const self = toHex(node.id);
  const counts = await mapLimit(keysHex, concurrency, async (k) => ((await holdsVerified(node, k)) ? 1 : 0));

  const asks = new Map<string, { contact: Contact; indexes: number[] }>();
  await mapLimit(keysHex, concurrency, async (k, i) => {
    const closest = (await node.findNode(fromHex(k))).filter((c) => toHex(c.id) !== self).slice(0, width);
    for (const contact of closest) {
      const id = toHex(contact.id);
      let ask = asks.get(id);
      if (!ask) asks.set(id, (ask = { contact, indexes: [] }));
      ask.indexes.push(i);
    }
  });

  const batches: { contact: Contact; indexes: number[] }[] = [];
  for (const { contact, indexes } of asks.values()) {
    for (let i = 0; i < indexes.length; i += MAX_HAS_KEYS)
      batches.push({ contact, indexes: indexes.slice(i, i + MAX_HAS_KEYS) });
  }
  await mapLimit(batches, concurrency, async ({ contact, indexes }) => {
    try {
      const reply = await node.callApp(contact, HAS_METHOD, { keys: indexes.map((i) => keysHex[i]!) });
      const has = Array.isArray(reply.has) ? reply.has : [];
      indexes.forEach((keyIndex, j) => {
        if (has[j] === true) counts[keyIndex]!++;
      });
    } catch {
      // unreachable or refusing: holds nothing we can count on
    }
  });
  return counts;
}
