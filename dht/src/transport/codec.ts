/**
 * Message layer of the TCP transport: the msgpack body of a frame is `{ t, id, p }` where `t` is
 * `'req' | 'res' | 'err'`, `id` correlates a response with its request on a shared connection, and
 * `p` is the payload (for `'err'`: `{ message }`).
 *
 * Does not: validate payload contents (the RPC layer does), or authenticate (see `frame.ts`).
 */
import { Packr, Unpackr } from 'msgpackr';
import type { Payload } from '../types.js';

export type WireMessage =
  | { t: 'req'; id: number; p: Payload }
  | { t: 'res'; id: number; p: Payload }
  | { t: 'err'; id: number; p: { message: string } };

// Plain maps, no record structures: both ends are independent processes with no shared structure table.
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export function encodeMessage(msg: WireMessage): Buffer {
  return packr.pack(msg);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Decodes and shape-checks a body; `undefined` when it is not a well-formed message. */
export function decodeMessage(body: Buffer): WireMessage | undefined {
  let raw: unknown;
  try {
    raw = unpackr.unpack(body);
  } catch {
    return undefined;
  }
  if (!isPlainObject(raw)) return undefined;
  const { t, id, p } = raw;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return undefined;
  if (!isPlainObject(p)) return undefined;
  switch (t) {
    case 'req':
    case 'res':
      return { t, id, p };
    case 'err':
      return typeof p.message === 'string' ? { t, id, p: { message: p.message } } : undefined;
    default:
      return undefined;
  }
}
