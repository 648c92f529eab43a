import { randomIdInBucket, randomId } from '../id.js';
import type { Contact } from '../types.js';
import { makeRoutingTable } from './routing.js';

const self = randomId();
const contactIn = (bucket: number, name: string): Contact => ({
  id: randomIdInBucket(self, bucket),
  address: name,
});

describe('routing table', () => {
  test('buckets are least-recently-seen first; seeing a contact moves it to the tail', () => {
    const rt = makeRoutingTable({ self, k: 3 });
    const [a, b, c] = [contactIn(0, 'a'), contactIn(0, 'b'), contactIn(0, 'c')];
    rt.seen(a);
    rt.seen(b);
    rt.seen(c);
    expect(rt.bucket(0).map((x) => x.address)).toEqual(['a', 'b', 'c']);
    rt.seen(a);
    expect(rt.bucket(0).map((x) => x.address)).toEqual(['b', 'c', 'a']);
    expect(rt.seen({ id: self, address: 'me' })).toBe('self');
  });

  test('a full bucket pings its oldest and keeps it when alive; newcomer waits in the replacement cache', () => {
    const pinged: string[] = [];
    const rt = makeRoutingTable({ self, k: 2, onFullBucket: (h) => pinged.push(h.address) });
    const [a, b, c] = [contactIn(0, 'a'), contactIn(0, 'b'), contactIn(0, 'c')];
    rt.seen(a);
    rt.seen(b);
    expect(rt.seen(c)).toBe('cached');
    expect(pinged).toEqual(['a']);
    rt.seen(a); // the ping answered: live nodes are never evicted
    expect(rt.bucket(0).map((x) => x.address)).toEqual(['b', 'a']);
    expect(rt.replacements(0).map((x) => x.address)).toEqual(['c']);
    expect(rt.size()).toBe(2);
  });

  test('a failing contact is backed off, and dropped only after repeated failures when a replacement exists', () => {
    const rt = makeRoutingTable({ self, k: 2, staleFailures: 3 });
    const [a, b] = [contactIn(0, 'a'), contactIn(0, 'b')];
    rt.seen(a);
    rt.seen(b);
    for (let i = 0; i < 10; i++) rt.failed(a.id);
    expect(rt.has(a.id)).toBe(true); // no replacement: keep it (a partition must not empty the table)
    expect(rt.inBackoff(a.id)).toBe(true);
    expect(rt.closest(a.id, 5).map((x) => x.address)).toEqual(['b']);
    expect(rt.closest(a.id, 5, { includeBackoff: true }).map((x) => x.address)).toEqual(['a', 'b']);
    rt.seen(a); // it answered again: fully restored
    expect(rt.inBackoff(a.id)).toBe(false);

    const c = contactIn(0, 'c');
    expect(rt.seen(c)).toBe('cached');
    rt.failed(b.id);
    rt.failed(b.id);
    expect(rt.has(b.id)).toBe(true); // below the threshold
    rt.failed(b.id);
    expect(rt.has(b.id)).toBe(false);
    expect(
      rt
        .bucket(0)
        .map((x) => x.address)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  test('a stale contact gives its place to a newcomer directly', () => {
    const rt = makeRoutingTable({ self, k: 1, staleFailures: 2 });
    const [a, b] = [contactIn(5, 'a'), contactIn(5, 'b')];
    rt.seen(a);
    rt.failed(a.id);
    rt.failed(a.id);
    expect(rt.seen(b)).toBe('added');
    expect(rt.bucket(5).map((x) => x.address)).toEqual(['b']);
  });

  test('closest returns contacts sorted by xor distance', () => {
    const rt = makeRoutingTable({ self, k: 20 });
    const cs = Array.from({ length: 40 }, (_, i) => ({ id: randomId(), address: `n${i}` }));
    cs.forEach((c) => rt.seen(c));
    const target = randomId();
    const got = rt.closest(target, 5);
    const all = rt.closest(target, 1000);
    expect(got).toEqual(all.slice(0, 5));
    for (let i = 1; i < all.length; i++) {
      expect(
        Buffer.compare(
          Buffer.from(all[i - 1]!.id.map((x, j) => x ^ target[j]!)),
          Buffer.from(all[i]!.id.map((x, j) => x ^ target[j]!)),
        ),
      ).toBeLessThan(0);
    }
  });
});
