import { describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import {
  CHUNK_SIZE,
  FIRST_CHUNK_SIZE,
  chunkLayout,
  chunkSlot,
  hashHex,
  songIdOf,
  splitIntoChunks,
} from './chunking.js';

describe('chunkLayout', () => {
  test('first chunk is smaller, the rest CHUNK_SIZE, the last one short', () => {
    const size = FIRST_CHUNK_SIZE + 2 * CHUNK_SIZE + 5;
    expect(chunkLayout(size)).toEqual([
      { index: 0, offset: 0, size: FIRST_CHUNK_SIZE },
      { index: 1, offset: FIRST_CHUNK_SIZE, size: CHUNK_SIZE },
      { index: 2, offset: FIRST_CHUNK_SIZE + CHUNK_SIZE, size: CHUNK_SIZE },
      { index: 3, offset: FIRST_CHUNK_SIZE + 2 * CHUNK_SIZE, size: 5 },
    ]);
  });
  test('small and empty files', () => {
    expect(chunkLayout(0)).toEqual([]);
    expect(chunkLayout(10)).toEqual([{ index: 0, offset: 0, size: 10 }]);
    expect(chunkLayout(FIRST_CHUNK_SIZE)).toHaveLength(1);
    expect(chunkLayout(FIRST_CHUNK_SIZE + 1)).toHaveLength(2);
  });
  test('chunkSlot agrees with chunkLayout', () => {
    for (const size of [
      1,
      FIRST_CHUNK_SIZE,
      FIRST_CHUNK_SIZE + 1,
      FIRST_CHUNK_SIZE + 3 * CHUNK_SIZE,
      1_000_003,
    ]) {
      const layout = chunkLayout(size);
      for (let i = -1; i <= layout.length; i++) expect(chunkSlot(size, i)).toEqual(layout[i]);
    }
  });
  test('refuses nonsense sizes', () => {
    expect(() => chunkLayout(-1)).toThrow(RangeError);
    expect(() => chunkLayout(1.5)).toThrow(RangeError);
    expect(() => chunkLayout(10, 0)).toThrow(RangeError);
  });
});

test('splitIntoChunks reassembles to the input', () => {
  const bytes = new Uint8Array(randomBytes(FIRST_CHUNK_SIZE + CHUNK_SIZE + 777));
  const chunks = splitIntoChunks(bytes);
  expect(chunks.map((c) => c.length)).toEqual(chunkLayout(bytes.length).map((s) => s.size));
  expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
});

test('songIdOf is sha256 over the raw 32-byte hashes, case-insensitive, strict', () => {
  const a = hashHex(new Uint8Array([1]));
  const b = hashHex(new Uint8Array([2]));
  const expected = createHash('sha256')
    .update(Buffer.from(a + b, 'hex'))
    .digest('hex');
  expect(songIdOf([a, b])).toBe(expected);
  expect(songIdOf([a.toUpperCase(), b])).toBe(expected);
  expect(songIdOf([b, a])).not.toBe(expected);
  expect(() => songIdOf(['abc'])).toThrow(RangeError);
});
