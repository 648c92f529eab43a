/**
 * Wire shapes of the Kademlia RPCs, carried as transport Payloads, and their validation.
 * Keys and lookup targets travel as lowercase hex; contact ids and value bytes as Uint8Array
 * (msgpack bin), so the hot path of lookups does no hex conversion.
 *
 * Does not: send anything (rpc.ts) or act on messages (handlers.ts).
 */
import { isHexId } from '../id.js';
import { ID_BYTES } from '../types.js';
import type { Contact, Payload } from '../types.js';
import { MAX_BATCH_ITEMS, MAX_FIND_VALUES_KEYS, MAX_REPLY_CONTACTS } from './options.js';

export const RPC_TYPES = ['PING', 'STORE', 'FIND_NODE', 'FIND_VALUE', 'FIND_VALUES', 'APP'] as const;
export type RpcType = (typeof RPC_TYPES)[number];

/** A contact on the wire: raw 32-byte id (msgpack bin; no hex round trip on the hot path). */
export interface WireContact {
  id: Uint8Array;
  addr: string;
}

/** Longest address accepted from the wire (host:port or a memory name). */
const MAX_ADDRESS = 256;

export const contactToWire = (c: Contact): WireContact => ({ id: c.id, addr: c.address });

export function wireToContact(w: unknown): Contact | undefined {
  if (typeof w !== 'object' || w === null) return undefined;
  const o = w as Record<string, unknown>;
  if (typeof o.addr !== 'string' || o.addr.length === 0 || o.addr.length > MAX_ADDRESS) return undefined;
  const id = o.id;
  if (!(id instanceof Uint8Array) || id.byteLength !== ID_BYTES) return undefined;
  return { id, address: o.addr };
}

/** Parses a contact list, dropping malformed entries and capping its length. */
export function wireToContacts(list: unknown): Contact[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Contact[] = [];
  for (const w of list.slice(0, MAX_REPLY_CONTACTS)) {
    const c = wireToContact(w);
    if (c) out.push(c);
  }
  return out;
}

export interface Envelope {
  t: string;
  rpc: string;
  from: Contact;
}

/** Validates the common envelope of a request or response. */
export function parseEnvelope(p: unknown): Envelope | string {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'payload is not an object';
  const o = p as Payload;
  if (typeof o.t !== 'string') return 'missing type';
  if (typeof o.rpc !== 'string' || o.rpc.length === 0 || o.rpc.length > 64) return 'missing rpc id';
  const from = wireToContact(o.from);
  if (!from) return 'missing or malformed sender';
  return { t: o.t, rpc: o.rpc, from };
}

export function isRpcType(t: string): t is RpcType {
  return (RPC_TYPES as readonly string[]).includes(t);
}

/** Validates STORE items: an array of { key: hex, value } (values are parsed by the handler). */
export function parseStoreItems(items: unknown): { key: string; value: unknown }[] | string {
  if (!Array.isArray(items)) return 'items must be an array';
  if (items.length > MAX_BATCH_ITEMS) return `too many items (max ${MAX_BATCH_ITEMS})`;
  const out: { key: string; value: unknown }[] = [];
  for (const it of items) {
    if (typeof it !== 'object' || it === null || !isHexId((it as Payload).key)) return 'item key invalid';
    out.push({ key: (it as Payload).key as string, value: (it as Payload).value });
  }
  return out;
}

/** One key of a FIND_VALUES request: hex key, and the digest of the asker's copy when it has one. */
export interface FindValuesAsk {
  key: string;
  digest?: string;
}

/** Longest set digest accepted from the wire (setDigest makes ~16 characters). */
const MAX_DIGEST_LENGTH = 64;

/** Validates FIND_VALUES keys: an array of at most MAX_FIND_VALUES_KEYS { key: hex, digest?: string }. */
export function parseFindValuesKeys(keys: unknown): FindValuesAsk[] | string {
  if (!Array.isArray(keys)) return 'keys must be an array';
  if (keys.length > MAX_FIND_VALUES_KEYS) return `too many keys (max ${MAX_FIND_VALUES_KEYS})`;
  const out: FindValuesAsk[] = [];
  for (const k of keys) {
    if (typeof k !== 'object' || k === null || !isHexId((k as Payload).key)) return 'key invalid';
    const digest = (k as Payload).digest;
    if (digest !== undefined && (typeof digest !== 'string' || digest.length > MAX_DIGEST_LENGTH))
      return 'digest invalid';
    out.push({ key: (k as Payload).key as string, ...(digest !== undefined ? { digest } : {}) });
  }
  return out;
}
