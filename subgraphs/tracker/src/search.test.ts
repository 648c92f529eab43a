import { normalise, words } from './normalise.js';
import {
  deletions,
  filterLookupName,
  filterName,
  indexNames,
  indexPostingKey,
  indexReadKeys,
  wordPostingKey,
  wordReadKeys,
  queryWordKeyNames,
  searchNames,
  songWords,
  wordKeyNames,
} from './keys.js';
import {
  makeScorer,
  matchWord,
  osaDistance,
  queryWords,
  scoreSong,
  songSearchWords,
  songTerms,
} from './search.js';

const queen = { title: 'Bohemian Rhapsody', artist: 'Queen', album: 'A Night at the Opera', genre: 'Rock' };

/** Candidate keys of a query word intersect the keys of a song word (what the DHT lookup finds). */
const candidates = (q: string, t: string): boolean => {
  const stored = new Set(wordKeyNames(t));
  return queryWordKeyNames(q).some((n) => stored.has(n));
};

describe('normalise', () => {
  test('lowercases, strips diacritics, collapses spaces', () => {
    expect(normalise('  Beyoncé   Knowles ')).toBe('beyonce knowles');
    expect(normalise('Sigur Rós')).toBe('sigur ros');
    expect(normalise('MOTÖRHEAD')).toBe('motorhead');
  });
  test('words split on punctuation and drop apostrophes', () => {
    expect(words("AC/DC — Don't Stop")).toEqual(['ac', 'dc', 'dont', 'stop']);
  });
});

describe('exact index keys', () => {
  test('10 combinations (singles and pairs), canonical alphabetical order, normalised values', () => {
    const names = indexNames(queen);
    expect(names).toHaveLength(10);
    expect(new Set(names).size).toBe(10);
    expect(names).toContain('artist=queen&genre=rock');
    expect(names).toContain('album=a%20night%20at%20the%20opera&title=bohemian%20rhapsody');
    expect(
      filterLookupName({
        album: 'A Night at the Opera',
        artist: 'Queen',
        genre: 'Rock',
        title: 'Bohemian Rhapsody',
      }),
    ).toBe('album=a%20night%20at%20the%20opera&title=bohemian%20rhapsody');
    expect(filterLookupName({ artist: 'Queen', genre: 'Rock', title: 'X' })).toBe('artist=queen&title=x');
    expect(filterName({ genre: 'ROCK', artist: ' Queen ' })).toBe('artist=queen&genre=rock');
    expect(filterName({})).toBeUndefined();
  });
  test('sharded keys: a song lands in one bucket that the reader reads', () => {
    const id = 'c'.repeat(64);
    const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');
    expect(indexReadKeys('genre=rock').map(hex)).toContain(hex(indexPostingKey('genre=rock', id)));
    expect(indexReadKeys('artist=queen&genre=rock').map(hex)).toEqual([
      hex(indexPostingKey('artist=queen&genre=rock', id)),
    ]);
    expect(wordReadKeys('queen').map(hex)).toContain(hex(wordPostingKey('queen', id)));
    expect(hex(wordPostingKey('queen', id))).not.toBe(hex(wordPostingKey('queen', '0'.repeat(64))));
  });
  test('every filter subset of a song names one of its keys', () => {
    const names = new Set(indexNames(queen));
    const fields = ['title', 'artist', 'album', 'genre'] as const;
    for (let mask = 1; mask < 16; mask++) {
      const f: Record<string, string> = {};
      fields.forEach((k, i) => mask & (1 << i) && (f[k] = queen[k].toUpperCase()));
      expect(names.has(filterLookupName(f)!)).toBe(true);
    }
  });
});

describe('search keys', () => {
  test('deletions', () => {
    expect(deletions('rock').sort()).toEqual(['ock', 'rck', 'rok', 'roc'].sort());
    expect(deletions('aab').sort()).toEqual(['ab', 'aa'].sort());
  });
  test('keys per word are bounded: sym + deletions + up to 4 prefixes', () => {
    expect(wordKeyNames('rhapsody')).toHaveLength(1 + 8 + 4);
    expect(wordKeyNames('the')).toEqual(['sym:the']);
    expect(wordKeyNames('x'.repeat(40)).length).toBeLessThanOrEqual(1 + 4);
    const many = {
      title: Array.from({ length: 40 }, (_, i) => `word${i}x`).join(' '),
      artist: 'a',
      album: 'b',
      genre: 'c',
    };
    expect(songWords(many)).toHaveLength(16);
    expect(searchNames({ ...many, id: 'ab' })).toHaveLength(16); // one posting key per word, the rest is vocabulary
  });
  test('candidate keys find exact, partial and one-typo words', () => {
    expect(candidates('rhapsody', 'rhapsody')).toBe(true);
    expect(candidates('bohem', 'bohemian')).toBe(true); // prefix
    expect(candidates('bohemia', 'bohemian')).toBe(true); // prefix longer than PREFIX_MAX
    expect(candidates('rapsody', 'rhapsody')).toBe(true); // deletion
    expect(candidates('rhapsodyy', 'rhapsody')).toBe(true); // insertion
    expect(candidates('rhapsidy', 'rhapsody')).toBe(true); // substitution
    expect(candidates('rhapsdoy', 'rhapsody')).toBe(true); // transposition
    expect(candidates('queen', 'queen')).toBe(true);
    expect(candidates('qeen', 'queen')).toBe(true);
    expect(candidates('zeppelin', 'rhapsody')).toBe(false);
  });
});

describe('matching and ranking', () => {
  test('osa distance', () => {
    expect(osaDistance('rock', 'rokc')).toBe(1);
    expect(osaDistance('rock', 'rock')).toBe(0);
    expect(osaDistance('abc', 'bca', 1)).toBe(2);
    expect(osaDistance('kitten', 'sitting', 3)).toBe(3);
  });
  test('match qualities', () => {
    expect(matchWord('queen', 'queen')).toBe('exact');
    expect(matchWord('bohem', 'bohemian')).toBe('prefix');
    expect(matchWord('rapsody', 'rhapsody')).toBe('typo');
    expect(matchWord('bo', 'bohemian')).toBeUndefined(); // too short for a prefix
    expect(matchWord('abc', 'bca')).toBeUndefined(); // shares a deletion, but 2 edits: false positive
    expect(matchWord('cat', 'bat')).toBeUndefined(); // typos need 4 letters
  });
  test('"bohem rapsody" ranks Bohemian Rhapsody first', () => {
    const qs = queryWords('bohem rapsody');
    const songs = [
      {
        id: 'other',
        title: 'Bohemian Like You',
        artist: 'The Dandy Warhols',
        album: 'Thirteen Tales',
        genre: 'Rock',
      },
      { id: 'queen', ...queen },
      { id: 'none', title: 'Under Pressure', artist: 'Queen', album: 'Hot Space', genre: 'Rock' },
    ];
    const ranked = songs
      .map((s) => ({ id: s.id, score: scoreSong(qs, songSearchWords(s)) }))
      .sort((a, b) => b.score - a.score);
    expect(ranked[0]!.id).toBe('queen');
    expect(ranked.find((r) => r.id === 'none')!.score).toBe(0);
    expect(ranked.find((r) => r.id === 'other')!.score).toBeGreaterThan(0);
  });
  test('exact beats prefix beats typo; title beats genre', () => {
    const s = (title: string, genre = 'pop') => songSearchWords({ title, artist: 'x', album: 'y', genre });
    expect(scoreSong(['rock'], s('rock'))).toBeGreaterThan(scoreSong(['rock'], s('rocket')));
    expect(scoreSong(['rock'], s('rocket'))).toBeGreaterThan(scoreSong(['rock'], s('rack')));
    expect(scoreSong(['rock'], s('song', 'x'))).toBe(0);
    expect(scoreSong(['rock'], s('rock', 'x'))).toBeGreaterThan(scoreSong(['rock'], s('song', 'rock')));
  });
});

describe('makeScorer', () => {
  /** The score formula written out naively: each (query word, field, song word) with matchWord. */
  function reference(qs: string[], song: ReturnType<typeof songSearchWords>): number {
    const points = { exact: 30, prefix: 20, typo: 10 } as const;
    const weights = { title: 4, artist: 3, album: 2, genre: 1 } as const;
    let matched = 0;
    let total = 0;
    for (const q of qs) {
      let best = 0;
      for (const f of ['title', 'artist', 'album', 'genre'] as const)
        for (const t of song[f]) {
          const m = matchWord(q, t);
          if (m) best = Math.max(best, points[m] + weights[f]);
        }
      if (best > 0) {
        matched++;
        total += best;
      }
    }
    return matched === 0 ? 0 : 1000 * matched + total;
  }

  const VOCAB = ['rock', 'rocket', 'rack', 'night', 'nights', 'opera', 'queen', 'quest', 'a', 'the'];
  /** 200 songs of VOCAB words, the same for a seed (Lehmer generator). */
  function pseudoSongs(seed: number): ReturnType<typeof songSearchWords>[] {
    const pick = () => VOCAB[(seed = (seed * 48271) % 2147483647) % VOCAB.length]!;
    return Array.from({ length: 200 }, () =>
      songSearchWords({
        title: `${pick()} ${pick()}`,
        artist: pick(),
        album: `${pick()} ${pick()} ${pick()}`,
        genre: pick(),
      }),
    );
  }

  test('scores as the formula says, reusing one scorer over many songs', () => {
    expect(scoreSong(['bohem', 'queen'], songSearchWords(queen))).toBe(2000 + (20 + 4) + (30 + 3));
    const qs = ['rock', 'nigth', 'opera', 'qu'];
    const score = makeScorer(qs);
    for (const song of pseudoSongs(7)) {
      expect(score(song)).toBe(reference(qs, song));
      expect(score(songTerms(song))).toBe(reference(qs, song)); // as the catalogue keeps it
    }
  });

  test("with the vocabulary's verified matches (`known`), the same scores without edit distances", () => {
    const qs = ['rock', 'nigth', 'qu'];
    const points = { exact: 3, prefix: 2, typo: 1 } as const;
    const knownOf = (q: string) =>
      new Map(VOCAB.flatMap((w) => (matchWord(q, w) ? [[w, points[matchWord(q, w)!]] as const] : [])));
    // 'qu' is left to matchWord (a word with more matches than a search keeps: undefined).
    const score = makeScorer(qs, [knownOf('rock'), knownOf('nigth'), undefined]);
    expect(knownOf('nigth').get('night')).toBe(1);
    for (const song of pseudoSongs(11)) {
      expect(score(songTerms(song))).toBe(reference(qs, song));
    }
    // A word the known matches do not hold scores nothing for that query word.
    expect(makeScorer(['rock'], [new Map()])(songTerms(songSearchWords(queen)))).toBe(0);
  });
});
