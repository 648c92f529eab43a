import {
  compareDistance,
  fromHex,
  keyOf,
  randomId,
  randomIdInBucket,
  sha256,
  sharedPrefixBits,
  toHex,
  xorDistance,
} from './id.js';

describe('ids and distance', () => {
  test('keyOf is sha256(namespace NUL name)', () => {
    expect(toHex(keyOf('song', 'abc'))).toBe(toHex(sha256('song\0abc')));
    expect(keyOf('a', 'b')).toHaveLength(32);
  });

  test('hex round trip and validation', () => {
    const id = randomId();
    expect(fromHex(toHex(id))).toEqual(id);
    expect(() => fromHex('abc')).toThrow();
    expect(() => fromHex('zz')).toThrow();
  });

  test('xor distance is symmetric and zero to self', () => {
    const a = randomId();
    const b = randomId();
    expect(xorDistance(a, b)).toEqual(xorDistance(b, a));
    expect(xorDistance(a, a).every((x) => x === 0)).toBe(true);
  });

  test('compareDistance is byte-wise, beyond 2^53', () => {
    const target = new Uint8Array(32);
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    a[31] = 1; // differs only in the last byte: invisible to a JS Number of the whole distance
    b[31] = 2;
    expect(compareDistance(target, a, b)).toBeLessThan(0);
    expect(compareDistance(target, b, a)).toBeGreaterThan(0);
    expect(compareDistance(target, a, a)).toBe(0);
    b[0] = 0x80;
    expect(compareDistance(target, a, b)).toBeLessThan(0);
  });

  test('randomIdInBucket lands in the asked bucket', () => {
    const self = randomId();
    for (const bits of [0, 1, 7, 8, 9, 100, 255]) {
      expect(sharedPrefixBits(self, randomIdInBucket(self, bits))).toBe(bits);
    }
  });
});
