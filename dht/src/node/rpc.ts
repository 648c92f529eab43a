/**
 * Outgoing RPCs: envelope (random rpc id, our id and listening address), deadline, reply
 * validation (echoed rpc id, expected responder id), and failure accounting into the routing
 * table through the `seen` / `failed` hooks.
 *
 * Does not: retry (lookups route around failures), or validate the body of replies (callers do).
 */
import { randomBytes } from 'node:crypto';
import type { KademliaMetrics } from '../api.js';
import { idEquals } from '../id.js';
import { TransportError, type Contact, type Id, type Payload, type Transport } from '../types.js';
import { RpcError } from './errors.js';
import { contactToWire, parseEnvelope, type RpcType } from './wire.js';

export interface RpcClientOptions {
  self: () => Contact;
  transport: Transport;
  timeoutMs: number;
  metrics: KademliaMetrics;
  /** The responder answered (with a well-formed envelope). */
  seen: (c: Contact) => void;
  /** The contact failed to answer or answered as someone else. */
  failed: (id: Id) => void;
}

export interface RpcReply {
  from: Contact;
  body: Payload;
}

export type RpcClient = ReturnType<typeof makeRpcClient>;

export function makeRpcClient(o: RpcClientOptions) {
  // rpc ids: a random per-node prefix plus a counter; unique per request, cheap to make.
  const prefix = randomBytes(6).toString('hex');
  let counter = 0;
  /**
   * Sends `type` with `body` to `to` (id optional: bootstrap addresses have none yet).
   * Resolves with the validated envelope; an ERR answer rejects with RpcError(code, answered=true).
   */
  async function call(
    to: { id?: Id; address: string },
    type: RpcType,
    body: Payload = {},
  ): Promise<RpcReply> {
    const rpc = `${prefix}${(counter++).toString(36)}`;
    const payload: Payload = { ...body, t: type, rpc, from: contactToWire(o.self()) };
    o.metrics.rpcSent?.(type);
    let raw: Payload;
    try {
      raw = await o.transport.request(to.address, payload, o.timeoutMs);
    } catch (err) {
      const code = err instanceof TransportError ? err.code : 'TRANSPORT';
      o.metrics.rpcFailed?.(type, code);
      if (to.id && code !== 'CLOSED') o.failed(to.id);
      throw new RpcError(code, `${type} to ${to.address}: ${(err as Error).message}`);
    }
    const env = parseEnvelope(raw);
    const bad = (code: string, why: string): never => {
      o.metrics.rpcFailed?.(type, code);
      if (to.id) o.failed(to.id);
      throw new RpcError(code, `${type} to ${to.address}: ${why}`);
    };
    if (typeof env === 'string') return bad('BAD_REPLY', env);
    if (env.rpc !== rpc) return bad('BAD_REPLY', 'rpc id mismatch');
    if (to.id && !idEquals(env.from.id, to.id)) {
      o.seen(env.from); // someone else lives at that address now
      return bad('WRONG_ID', 'responder id differs from the contact');
    }
    o.seen(env.from);
    if (env.t === 'ERR') {
      o.metrics.rpcFailed?.(type, 'REMOTE_ERROR');
      const code = typeof raw.code === 'string' ? raw.code : 'REMOTE_ERROR';
      throw new RpcError(code, `${type} to ${to.address}: ${String(raw.message ?? 'error')}`, true);
    }
    if (env.t !== 'OK') return bad('BAD_REPLY', `unexpected reply type ${env.t}`);
    return { from: env.from, body: raw };
  }
  return { call };
}
