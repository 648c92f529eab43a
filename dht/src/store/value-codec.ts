/**
 * Serialisation of stored values for the durable shard stores (SQLite, MongoDB): msgpack, with byte
 * fields handed back as plain `Uint8Array` views (msgpackr yields Node Buffers) so every store returns
 * the same shapes as the in-memory one.
 *
 * Does not: validate values (the node validates on put and on get) or merge them.
 */
import { Packr, Unpackr } from 'msgpackr';
import type { Contact, Value } from '../types.js';

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** A Uint8Array view on the same memory (no copy), so Buffers do not leak out of a store. */
export function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function encodeValue(v: Value): Buffer {
  return packr.pack(v);
}

export function decodeValue(buf: Uint8Array): Value {
  const v = unpackr.unpack(buf) as Value;
  switch (v.kind) {
    case 'blob':
    case 'record':
      return { ...v, bytes: plainBytes(v.bytes) };
    case 'set':
      return v;
    default: {
      const never: never = v;
      throw new Error(`stored value of unknown kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
}

/** Copies contacts so callers never share arrays with the store. */
export function copyContact(c: Contact): Contact {
  return { id: new Uint8Array(c.id), address: c.address };
}
