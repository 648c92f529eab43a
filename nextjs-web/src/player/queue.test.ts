import { describe, expect, it } from '@jest/globals';
import { current, enqueue, next, playList, playNext, previous, removeAt, upcoming } from './queue';

const song = (id: string) => ({ id, title: id, artist: 'x' });

describe('play queue', () => {
  it('plays a list from a row and walks it', () => {
    let q = playList([song('a'), song('b'), song('c')], 1);
    expect(current(q)!.id).toBe('b');
    expect(upcoming(q)!.id).toBe('c');
    q = next(q)!;
    expect(next(q)).toBeNull();
    expect(previous(q)!.index).toBe(1);
  });

  it('adds at the end or right after the current song', () => {
    let q = enqueue(playList([]), [song('a')]);
    expect(q.index).toBe(0);
    q = enqueue(q, [song('c')]);
    q = playNext(q, [song('b')]);
    expect(q.items.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });

  it('removing keeps the current song current', () => {
    const q = playList([song('a'), song('b'), song('c')], 2);
    expect(current(removeAt(q, 0))!.id).toBe('c');
    expect(current(removeAt(q, 2))!.id).toBe('b');
  });
});
