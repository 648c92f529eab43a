/**
 * Value semantics: stamp order, record last-writer-wins, LWW-element-set merge, blob
 * verification and shape validation of values arriving from the network.
 *
 * Does not: store anything (shard.ts) or talk to peers (rpc.ts).
 */
import { sha256, idEquals } from '../id.js';
import type { BlobValue, Id, RecordValue, SetValue, Stamp, Value } from '../types.js';
import { newMembers } from '../types.js';
import { MAX_MEMBER_LENGTH, MAX_SET_MEMBERS, MAX_SET_VALUE_BYTES, MAX_VALUE_BYTES } from './options.js';
import { readSetRows, SET_ROW_CELLS, type RowReader } from './set-rows.js';

/** Total order on stamps: counter, then writer id. */
export function compareStamp(a: Stamp | undefined, b: Stamp | undefined): number {
  if (!a) return b ? -1 : 0;
  if (!b) return 1;
  if (a.c !== b.c) return a.c - b.c;
  return a.w < b.w ? -1 : a.w > b.w ? 1 : 0;
}

const maxStamp = (a: Stamp | undefined, b: Stamp | undefined) => (compareStamp(a, b) >= 0 ? a : b);

/** Merge of set values: per member, per field, the max stamp. Commutative, associative, idempotent. */
export function mergeSets(a: SetValue, b: SetValue): SetValue {
  const members: SetValue['members'] = Object.assign(newMembers(), a.members);
  for (const [m, s] of Object.entries(b.members)) {
    const cur = members[m];
    if (!cur) {
      members[m] = s;
      continue;
    }
    const add = maxStamp(cur.add, s.add);
    const del = maxStamp(cur.del, s.del);
    members[m] = { ...(add ? { add } : {}), ...(del ? { del } : {}) };
  }
  return { kind: 'set', members };
}

/** Present members: latest add newer than latest remove. */
export function setMembers(v: SetValue): string[] {
  const out: string[] = [];
  for (const [m, s] of Object.entries(v.members)) if (s.add && compareStamp(s.add, s.del) > 0) out.push(m);
  return out.sort();
}

/** Does `incoming` change `current` (so a STORE of it is news)? */
export function setCovers(current: SetValue, incoming: SetValue): boolean {
  for (const m in incoming.members) {
    const s = incoming.members[m]!;
    const c = current.members[m];
    if (!c) return false;
    if (compareStamp(s.add, c.add) > 0 || compareStamp(s.del, c.del) > 0) return false;
  }
  return true;
}

/**
 * Merges an incoming value into the current one. Returns the merged value and whether it
 * differs from `current`. Kinds must match (a kind clash keeps the current value).
 */
export function mergeValue(current: Value | undefined, incoming: Value): { value: Value; changed: boolean } {
  if (!current) return { value: incoming, changed: true };
  if (current.kind !== incoming.kind) return { value: current, changed: false };
  switch (incoming.kind) {
    case 'blob':
      return { value: current, changed: false };
    case 'record': {
      const cur = current as RecordValue;
      return compareStamp(incoming.stamp, cur.stamp) > 0
        ? { value: incoming, changed: true }
        : { value: cur, changed: false };
    }
    case 'set': {
      const cur = current as SetValue;
      if (setCovers(cur, incoming)) return { value: cur, changed: false };
      return { value: mergeSets(cur, incoming), changed: true };
    }
    default: {
      const never: never = incoming;
      return never;
    }
  }
}

/** Every stamp carried by a value (to advance the Lamport clock past them). */
export function maxStampOf(v: Value): number {
  switch (v.kind) {
    case 'blob':
      return 0;
    case 'record':
      return v.stamp.c;
    case 'set': {
      let c = 0;
      for (const m in v.members) {
        const s = v.members[m]!;
        if (s.add && s.add.c > c) c = s.add.c;
        if (s.del && s.del.c > c) c = s.del.c;
      }
      return c;
    }
    default: {
      const never: never = v;
      return never;
    }
  }
}

/** UTF-8 length of `s`: its length when every char is ASCII (a song id, a word), checked in a loop (no regex or native call per member). */
function utf8(s: string): number {
  if (s.length > 128) return Buffer.byteLength(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}
/** msgpack of a stamp {c, w}: map header, two keys, a number of up to 9 bytes, and w. */
const stampBytes = (s: Stamp | undefined) => (s ? 16 + utf8(s.w) : 0);
/** valueWireBytes share of one set member (so merges can track a set's size incrementally). */
export const memberWireBytes = (m: string, s: { add?: Stamp; del?: Stamp }): number =>
  16 + utf8(m) + stampBytes(s.add) + stampBytes(s.del);

/**
 * Upper estimate of the msgpack size of a value on the wire (within a few bytes per field), so
 * STORE batches and set values can be bounded without encoding them.
 */
export function valueWireBytes(v: Value): number {
  switch (v.kind) {
    case 'blob':
      return 24 + v.bytes.byteLength;
    case 'record':
      return 48 + v.bytes.byteLength + stampBytes(v.stamp);
    case 'set': {
      let n = 24;
      for (const m in v.members) n += memberWireBytes(m, v.members[m]!);
      return n;
    }
    default: {
      const never: never = v;
      return never;
    }
  }
}

/** True when a set value is within MAX_SET_VALUE_BYTES (blobs and records are checked by parseValue). */
export function withinSizeCap(v: Value): boolean {
  return v.kind !== 'set' || valueWireBytes(v) <= MAX_SET_VALUE_BYTES;
}

/**
 * Adds in `incoming` that lose to a remove held in `merged` (a remove stamped with a higher
 * counter, by another node whose clock ran ahead): the highest such remove counter, 0 when none.
 */
export function beatenAdds(incoming: Value, merged: Value): number {
  if (incoming.kind !== 'set' || merged.kind !== 'set') return 0;
  let c = 0;
  for (const m in incoming.members) {
    const s = incoming.members[m]!;
    const del = merged.members[m]?.del;
    if (s.add && del && compareStamp(del, s.add) > 0) c = Math.max(c, del.c);
  }
  return c;
}

/**
 * What a replica reports back to a writer that stamped without reading first (node.ts
 * storeRestamped): for a set, beatenAdds; for a record, the counter of a higher version it holds
 * (the write lost to it). 0 when the write took effect.
 */
export function lostTo(incoming: Value, merged: Value): number {
  if (incoming.kind === 'record' && merged.kind === 'record')
    return compareStamp(merged.stamp, incoming.stamp) > 0 ? merged.stamp.c : 0;
  return beatenAdds(incoming, merged);
}

export function blobMatches(key: Id, v: BlobValue): boolean {
  return idEquals(sha256(v.bytes), key);
}

/** Member names: bounded, and never an Object.prototype key that plain-object maps would misread. */
export function validMember(m: string): boolean {
  return (
    typeof m === 'string' &&
    m.length <= MAX_MEMBER_LENGTH &&
    !(m in Object.prototype) && // __proto__, constructor, toString, hasOwnProperty…: `members[m]` would find them
    m !== 'prototype'
  );
}

/** A stamp's fields: a safe non-negative counter and a writer id of at most 128 characters. */
function isStampFields(c: unknown, w: unknown): c is number {
  return (
    typeof c === 'number' && Number.isSafeInteger(c) && c >= 0 && typeof w === 'string' && w.length <= 128
  );
}

function isStamp(s: unknown): s is Stamp {
  if (typeof s !== 'object' || s === null) return false;
  const o = s as Record<string, unknown>;
  return isStampFields(o.c, o.w);
}

const isBytes = (b: unknown): b is Uint8Array => b instanceof Uint8Array && b.byteLength <= MAX_VALUE_BYTES;

/**
 * Validates a value from the network and returns a clean copy, or a reason string.
 * Blobs are also checked against their key.
 */
export function parseValue(raw: unknown, key: Id): Value | string {
  if (typeof raw !== 'object' || raw === null) return 'value is not an object';
  const o = raw as Record<string, unknown>;
  switch (o.kind) {
    case 'blob': {
      if (!isBytes(o.bytes)) return 'blob bytes missing or too large';
      const v: BlobValue = { kind: 'blob', bytes: new Uint8Array(o.bytes) };
      return blobMatches(key, v) ? v : 'blob does not hash to its key';
    }
    case 'record': {
      if (!isBytes(o.bytes)) return 'record bytes missing or too large';
      if (!isStamp(o.stamp)) return 'record stamp invalid';
      if (o.deleted !== undefined && typeof o.deleted !== 'boolean') return 'record deleted flag invalid';
      return {
        kind: 'record',
        stamp: { c: o.stamp.c, w: o.stamp.w },
        bytes: new Uint8Array(o.bytes),
        ...(o.deleted ? { deleted: true } : {}),
      };
    }
    case 'set':
      return parseSet(o);
    default:
      return 'unknown value kind';
  }
}

/** A set being parsed (parseSet): its members so far, their count and wire size. No closures per call (tsx's keepNames wraps each). */
class SetParse implements RowReader {
  members: SetValue['members'] = newMembers();
  n = 0;
  bytes = 24; // valueWireBytes, summed as the members are copied (no second pass)
  member(m: unknown, addC: unknown, addW: unknown, delC: unknown, delW: unknown): string | undefined {
    if (++this.n > MAX_SET_MEMBERS) return 'too many set members';
    if (typeof m !== 'string' || !validMember(m) || Object.hasOwn(this.members, m))
      return 'set member invalid';
    // Stamps are built here from their checked fields only: nothing else the sender put there is kept.
    const st: { add?: Stamp; del?: Stamp } = {};
    if (addW !== undefined) {
      if (!isStampFields(addC, addW)) return 'set stamp invalid';
      st.add = { c: addC, w: addW as string };
    }
    if (delW !== undefined) {
      if (!isStampFields(delC, delW)) return 'set stamp invalid';
      st.del = { c: delC, w: delW as string };
    }
    this.members[m] = st;
    this.bytes += memberWireBytes(m, st);
    return undefined;
  }
}

/** A map-form stamp's writer, for SetParse.member: undefined when absent, else unchecked (null: not an object). */
function stampWriter(v: unknown): unknown {
  if (v === undefined) return undefined;
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>).w : null;
}
const stampCounter = (v: unknown): unknown =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>).c : undefined;

/** The set case of parseValue: the map form (`members`) or the STORE rows form (set-rows.ts). */
function parseSet(o: Record<string, unknown>): SetValue | string {
  const p = new SetParse();
  let err: string | undefined;
  if (o.rows !== undefined) {
    if (Array.isArray(o.rows) && o.rows.length > MAX_SET_MEMBERS * SET_ROW_CELLS)
      return 'too many set members';
    err = readSetRows(o, p);
  } else {
    if (typeof o.members !== 'object' || o.members === null || Array.isArray(o.members))
      return 'set members invalid';
    // A plain object or, as the shard makes them (newMembers), one without a prototype.
    const proto: unknown = Object.getPrototypeOf(o.members);
    if (proto !== Object.prototype && proto !== null) return 'set members invalid';
    const raw = o.members as Record<string, unknown>;
    for (const m in raw) {
      const s = raw[m];
      if (typeof s !== 'object' || s === null) return 'set member invalid';
      const { add, del } = s as { add?: unknown; del?: unknown };
      err = p.member(m, stampCounter(add), stampWriter(add), stampCounter(del), stampWriter(del));
      if (err) break;
    }
  }
  if (err) return err;
  if (p.bytes > MAX_SET_VALUE_BYTES) return 'set value too large';
  return { kind: 'set', members: p.members };
}
