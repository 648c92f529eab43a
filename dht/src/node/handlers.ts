/**
 * Incoming RPCs: validates every payload (garbage gets an ERR reply, never a crash), adds the
 * sender to the routing table, and answers PING, FIND_NODE, FIND_VALUE, FIND_VALUES (batched
 * local-first set reads, find-values.ts), STORE (batched, merged into the local shard) and APP
 * (application methods registered with handleApp).
 *
 * Does not: initiate RPCs or decide replication (writes.ts, maintenance.ts).
 */
import { fromHex, parseHexId } from '../id.js';
import type { Payload, RequestHandler } from '../types.js';
import type { NodeContext } from './context.js';
import type { MergeItem } from './shard.js';
import { answerFindValues } from './find-values.js';
import { setDigest } from './local-reads.js';
import { MAX_REPLY_CONTACTS } from './options.js';
import { parseValue } from './values.js';
import {
  contactToWire,
  isRpcType,
  parseEnvelope,
  parseFindValuesKeys,
  parseStoreItems,
  type RpcType,
} from './wire.js';

class BadRequest extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function makeRequestHandler(ctx: NodeContext): RequestHandler {
  const reply = (t: 'OK' | 'ERR', rpc: string, body: Payload): Payload => ({
    ...body,
    t,
    rpc,
    from: contactToWire(ctx.self),
  });
  const replyCount = (n: unknown) =>
    Math.min(MAX_REPLY_CONTACTS, typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : ctx.o.k);

  async function dispatch(t: RpcType, p: Payload, env: { from: NodeContext['self'] }): Promise<Payload> {
    switch (t) {
      case 'PING':
        return {};
      case 'FIND_NODE': {
        const target = parseHexId(p.target);
        if (!target) throw new BadRequest('BAD_REQUEST', 'target must be a hex id');
        const contacts = ctx.routing.closest(target, replyCount(p.n));
        return { contacts: contacts.map(contactToWire) };
      }
      case 'FIND_VALUE': {
        const key = parseHexId(p.key);
        if (!key) throw new BadRequest('BAD_REQUEST', 'key must be a hex id');
        const entry = await ctx.shard.get(key);
        const contacts = ctx.routing.closest(key, replyCount(p.n)).map(contactToWire);
        if (!entry) return { key: p.key, contacts };
        // A blob probe (`probe: true`) learns that we hold the blob without paying for its bytes:
        // the reader then fetches from one holder at a time (reads.ts). Other kinds always answer in full.
        if (p.probe === true && entry.value.kind === 'blob') return { key: p.key, has: 'blob', contacts };
        // A local-first set read (local-reads.ts) sends the digest of its copy: an equal copy
        // answers `same` instead of re-sending a possibly big posting set.
        if (typeof p.digest === 'string' && entry.value.kind === 'set' && setDigest(entry.value) === p.digest)
          return { key: p.key, same: true, contacts };
        return { key: p.key, value: entry.value, contacts };
      }
      case 'FIND_VALUES': {
        const asks = parseFindValuesKeys(p.keys);
        if (typeof asks === 'string') throw new BadRequest('BAD_REQUEST', asks);
        return answerFindValues(ctx, asks, p.replication === true);
      }
      case 'STORE': {
        const items = parseStoreItems(p.items);
        if (typeof items === 'string') throw new BadRequest('BAD_REQUEST', items);
        // `lost[i]` > 0: item i (a set add, or a record) loses to a stamp this replica holds, with
        // that counter; the writer restamps past it (node.ts storeRestamped). Old writers ignore it.
        const lost: number[] = new Array(items.length).fill(0);
        const acks: boolean[] = new Array(items.length).fill(false);
        const valid: MergeItem[] = [];
        const at: number[] = [];
        for (let i = 0; i < items.length; i++) {
          const it = items[i]!;
          const key = fromHex(it.key);
          const value = parseValue(it.value, key);
          if (typeof value === 'string') continue; // ack false: the writer learns this replica refused it
          valid.push({ key, hex: it.key, value }); // parseStoreItems checked the key is lowercase hex
          at.push(i);
        }
        // One batch for the whole STORE (a RangeError result: over the size cap, ack false).
        const results = await ctx.shard.mergeMany(valid);
        const replicated: Promise<void>[] = [];
        const now = Date.now();
        results.forEach((r, j) => {
          if (r instanceof RangeError) return;
          acks[at[j]!] = true;
          lost[at[j]!] = r.lost;
          // A re-replication (replica-sync.ts): this replica skips the key's next one.
          if (p.replication === true) replicated.push(ctx.shard.markReplicated(valid[j]!.key, now));
        });
        await Promise.all(replicated);
        return lost.some((c) => c > 0) ? { acks, lost } : { acks };
      }
      case 'APP': {
        if (typeof p.method !== 'string') throw new BadRequest('BAD_REQUEST', 'method must be a string');
        const h = ctx.appHandlers.get(p.method);
        if (!h) throw new BadRequest('UNKNOWN_METHOD', `no application method ${p.method}`);
        const body =
          typeof p.body === 'object' && p.body !== null && !Array.isArray(p.body) ? (p.body as Payload) : {};
        try {
          const res = await h(body, env.from);
          return { body: res };
        } catch (err) {
          throw new BadRequest('APP_ERROR', (err as Error).message ?? String(err));
        }
      }
      default: {
        const never: never = t;
        return never;
      }
    }
  }

  return async (payload: Payload) => {
    const rpc = typeof payload?.rpc === 'string' ? payload.rpc : '';
    try {
      const env = parseEnvelope(payload);
      if (typeof env === 'string') return reply('ERR', rpc, { code: 'BAD_REQUEST', message: env });
      if (!isRpcType(env.t))
        return reply('ERR', rpc, { code: 'UNKNOWN_TYPE', message: `unknown rpc ${env.t}` });
      ctx.o.metrics.rpcReceived?.(env.t);
      ctx.onSeen(env.from);
      return reply('OK', rpc, await dispatch(env.t, payload, env));
    } catch (err) {
      if (err instanceof BadRequest) return reply('ERR', rpc, { code: err.code, message: err.message });
      ctx.o.logger.warn({ err }, 'dht: request handler failed');
      return reply('ERR', rpc, { code: 'INTERNAL', message: 'internal error' });
    }
  };
}
