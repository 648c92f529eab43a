import { makeWeightedLru } from './weighted-lru.js';

test('evicts the least recently used until the total weight fits; an oversized value is not kept', () => {
  const lru = makeWeightedLru<string>(10);
  lru.set('a', 'A', 4);
  lru.set('b', 'B', 4);
  expect(lru.get('a')).toBe('A'); // a is now the most recent
  lru.set('c', 'C', 4); // 12 > 10: b goes
  expect(lru.has('b')).toBe(false);
  expect([lru.get('a'), lru.get('c')]).toEqual(['A', 'C']);
  lru.set('a', 'A2', 11); // heavier than the budget: replaced by nothing
  expect(lru.has('a')).toBe(false);
  lru.set('d', 'D', 6); // 4 + 6 fits again
  expect([lru.get('c'), lru.get('d')]).toEqual(['C', 'D']);
  lru.delete('c');
  expect(lru.get('c')).toBeUndefined();
});
