import type { SetValue, Stamp } from '../types.js';
import { newMembers } from '../types.js';
import {
  compareStamp,
  mergeSets,
  mergeValue,
  parseValue,
  setMembers,
  memberWireBytes,
  valueWireBytes,
} from './values.js';
import { MAX_SET_MEMBERS, MAX_SET_VALUE_BYTES } from './options.js';
import { toSetRows } from './set-rows.js';
import { sha256 } from '../id.js';

const s = (c: number, w = 'a'): Stamp => ({ c, w });
/** A set as the node makes them: its member map has no prototype (types.ts newMembers). */
const set = (members: SetValue['members']): SetValue => ({
  kind: 'set',
  members: Object.assign(newMembers(), members),
});

describe('values', () => {
  test('stamps order by counter then writer', () => {
    expect(compareStamp(s(1), s(2))).toBeLessThan(0);
    expect(compareStamp(s(2, 'a'), s(2, 'b'))).toBeLessThan(0);
    expect(compareStamp(undefined, s(0))).toBeLessThan(0);
  });

  test('set merge is commutative, associative and idempotent', () => {
    const a = set({ x: { add: s(1) }, y: { add: s(2), del: s(3) } });
    const b = set({ x: { del: s(2, 'b') }, z: { add: s(5) } });
    const c = set({ y: { add: s(4) } });
    expect(mergeSets(a, b)).toEqual(mergeSets(b, a));
    expect(mergeSets(mergeSets(a, b), c)).toEqual(mergeSets(a, mergeSets(b, c)));
    expect(mergeSets(a, a)).toEqual(a);
    expect(setMembers(mergeSets(mergeSets(a, b), c))).toEqual(['y', 'z']);
  });

  test('add after remove re-adds; remove after add removes', () => {
    let v = set({ m: { add: s(1) } });
    expect(setMembers(v)).toEqual(['m']);
    v = mergeSets(v, set({ m: { del: s(2) } }));
    expect(setMembers(v)).toEqual([]);
    v = mergeSets(v, set({ m: { add: s(3) } }));
    expect(setMembers(v)).toEqual(['m']);
  });

  test('records: higher stamp wins on every replica, whatever the order', () => {
    const r1 = { kind: 'record' as const, stamp: s(3, 'a'), bytes: new Uint8Array([1]) };
    const r2 = { kind: 'record' as const, stamp: s(3, 'b'), bytes: new Uint8Array([2]) };
    expect(mergeValue(mergeValue(undefined, r1).value, r2).value).toBe(r2);
    expect(mergeValue(mergeValue(undefined, r2).value, r1).value).toBe(r2);
  });

  test('parseValue rejects garbage and blobs that do not hash to their key', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(parseValue({ kind: 'blob', bytes }, sha256(bytes))).toEqual({ kind: 'blob', bytes });
    expect(typeof parseValue({ kind: 'blob', bytes }, sha256('other'))).toBe('string');
    expect(typeof parseValue({ kind: 'record', bytes, stamp: { c: -1, w: 'x' } }, sha256('k'))).toBe(
      'string',
    );
    expect(typeof parseValue({ kind: 'set', members: { a: { add: 'nope' } } }, sha256('k'))).toBe('string');
    expect(typeof parseValue(null, sha256('k'))).toBe('string');
    expect(typeof parseValue({ kind: 'weird' }, sha256('k'))).toBe('string');
  });

  test('parseValue copies set members with their stamp fields only, and enforces the set caps', () => {
    const k = sha256('k');
    const raw = {
      kind: 'set',
      members: { a: { add: { c: 1, w: 'x', junk: 'y' }, extra: 1 }, b: { del: s(2) } },
    };
    const v = parseValue(raw, k);
    expect(v).toStrictEqual(set({ a: { add: s(1, 'x') }, b: { del: s(2) } }));
    expect((v as SetValue).members.b!.del).not.toBe(raw.members.b.del);
    // A member map without a prototype (what the shard makes, handed over as is by the memory
    // transport) parses; one inheriting from anything but Object.prototype (a crafted prototype
    // chain) is refused.
    expect(parseValue({ kind: 'set', members: set({ a: { add: s(1) } }).members }, k)).toStrictEqual(
      set({ a: { add: s(1) } }),
    );
    expect(typeof parseValue({ kind: 'set', members: Object.create({ a: { add: s(1) } }) }, k)).toBe(
      'string',
    );
    expect(typeof parseValue({ kind: 'set', members: { constructor: { add: s(1) } } }, k)).toBe('string');
    const many: SetValue['members'] = {};
    for (let i = 0; i <= MAX_SET_MEMBERS; i++) many[`m${i}`] = {};
    expect(parseValue({ kind: 'set', members: many }, k)).toMatch(/too many/);
    // Wire size: just over the cap is refused, and a value under it measures as valueWireBytes says.
    const big: SetValue['members'] = {};
    const name = (i: number) => `${i}`.padStart(120, 'x');
    let i = 0;
    let bytes = valueWireBytes(set({}));
    while (bytes <= MAX_SET_VALUE_BYTES) {
      big[name(i)] = { add: s(1) };
      bytes += memberWireBytes(name(i++), { add: s(1) });
    }
    expect(valueWireBytes(set(big))).toBe(bytes);
    expect(parseValue({ kind: 'set', members: big }, k)).toMatch(/too large/);
    delete big[name(i - 1)];
    expect(parseValue({ kind: 'set', members: big }, k)).toStrictEqual(set(big));
  });

  test('the STORE rows form of a set parses back to the same set; malformed rows are refused', () => {
    const k = sha256('k');
    const v = set({
      a: { add: s(1, 'w1') },
      b: { add: s(2, 'w2'), del: s(3, 'w1') },
      c: { del: s(4, 'w2') },
      d: {},
    });
    const wire = toSetRows(v);
    expect(wire.writers).toEqual(['w1', 'w2']); // each writer once
    expect(parseValue(wire, k)).toStrictEqual(v);
    expect(parseValue(toSetRows(set({})), k)).toStrictEqual(set({}));
    const bad = (patch: object) => parseValue({ ...wire, ...patch }, k);
    expect(bad({ rows: wire.rows.slice(1) })).toMatch(/rows invalid/); // not a multiple of 5 cells
    expect(bad({ rows: ['a', 1, 7, null, null] })).toMatch(/stamp invalid/); // writer index out of range
    expect(bad({ rows: ['a', 1, null, null, null] })).toMatch(/stamp invalid/); // half a stamp
    expect(bad({ rows: ['a', -1, 0, null, null] })).toMatch(/stamp invalid/);
    expect(bad({ rows: ['a', 1, 0, null, null, 'a', 2, 0, null, null] })).toMatch(/member invalid/); // twice
    expect(bad({ rows: ['toString', 1, 0, null, null] })).toMatch(/member invalid/);
    expect(bad({ rows: [7, 1, 0, null, null] })).toMatch(/member invalid/);
    expect(bad({ writers: 'w1' })).toMatch(/rows invalid/);
    expect(bad({ rows: new Array(5 * (MAX_SET_MEMBERS + 1)).fill(null) })).toMatch(/too many/);
  });
});
