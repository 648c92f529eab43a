import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBuffer } from 'music-metadata';
import { coverStyleOf } from './cover.js';
import { DEMO_LIBRARY, type DemoSongSpec } from './library.js';
import { id3v2Length, walkFrames } from './mpeg.js';
import { makeDemoSong, makeTestMp3 } from './song.js';
import { closeDemoWorker } from './worker-client.js';
import { demoFileName, writeDemoLibrary } from './write.js';

/** Generation is CPU-bound (lamejs); generous per-test limit for a loaded 2-core machine. */
const SLOW = 60_000;

afterAll(closeDemoWorker);

const spec: DemoSongSpec = {
  title: 'Midnight Lighthouse Serenade',
  artist: 'Neon Harbor',
  album: 'Glass Coastline',
  genre: 'Synthwave',
  year: 2021,
  track: 1,
  seconds: 8,
  seed: 1101,
};

describe('makeDemoSong', () => {
  let bytes: Buffer;
  beforeAll(async () => {
    bytes = (await makeDemoSong(spec)).bytes;
  }, SLOW);

  it('reads back tags, cover, codec, bitrate and duration with music-metadata', async () => {
    const meta = await parseBuffer(bytes, { mimeType: 'audio/mpeg', size: bytes.length }, { duration: true });
    expect(meta.common.title).toBe(spec.title);
    expect(meta.common.artist).toBe(spec.artist);
    expect(meta.common.album).toBe(spec.album);
    expect(meta.common.genre).toEqual([spec.genre]);
    expect(meta.common.year).toBe(spec.year);
    expect(meta.common.track.no).toBe(spec.track);
    const cover = meta.common.picture?.[0];
    expect(cover?.format).toBe('image/png');
    expect(cover?.type).toBe('Cover (front)');
    expect(cover?.data.subarray(0, 8)).toEqual(
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(meta.format.codec).toBe('MPEG 1 Layer 3');
    expect(meta.format.bitrate).toBe(128000);
    expect(meta.format.sampleRate).toBe(44100);
    expect(meta.format.codecProfile).toBe('CBR');
    expect(Math.abs((meta.format.duration ?? 0) - spec.seconds) / spec.seconds).toBeLessThan(0.05);
  });

  it('starts with an ID3v2 header followed by nothing but 128 kbps MPEG-1 Layer III frames', () => {
    expect(bytes.subarray(0, 3).toString('latin1')).toBe('ID3');
    const audioStart = id3v2Length(bytes);
    expect(audioStart).toBeGreaterThan(1000); // the cover is inside the tag
    expect(bytes[audioStart]).toBe(0xff);
    expect((bytes[audioStart + 1] as number) & 0xe0).toBe(0xe0);
    const frames = walkFrames(bytes, audioStart);
    expect(new Set(frames.map((f) => `${f.bitrate}/${f.sampleRate}/${f.channelMode}`))).toEqual(
      new Set(['128000/44100/3']),
    );
    const seconds = (frames.length * 1152) / 44100;
    expect(Math.abs(seconds - spec.seconds) / spec.seconds).toBeLessThan(0.05);
  });

  it(
    'is deterministic: the same spec gives identical bytes, another seed different audio',
    async () => {
      const short = { ...spec, seconds: 2 };
      const [a, b, c] = await Promise.all([
        makeDemoSong(short),
        makeDemoSong(short),
        makeDemoSong({ ...short, seed: 7 }),
      ]);
      expect(a.bytes.equals(b.bytes)).toBe(true);
      const audio = (x: Buffer): Buffer => x.subarray(id3v2Length(x));
      expect(audio(a.bytes).equals(audio(c.bytes))).toBe(false);
    },
    SLOW,
  );

  it('rejects lengths outside the supported range', async () => {
    await expect(makeDemoSong({ ...spec, seconds: 0 })).rejects.toThrow(RangeError);
  });
});

describe('makeTestMp3', () => {
  it(
    'applies defaults and overrides, and returns a fresh copy each call',
    async () => {
      const { bytes: a, spec: made } = await makeTestMp3({
        seconds: 5,
        seed: 42,
        title: 'Paper Boats',
        genre: 'Folk',
      });
      expect(made).toMatchObject({
        seconds: 5,
        seed: 42,
        title: 'Paper Boats',
        artist: 'Test Artist',
        genre: 'Folk',
        track: 1,
      });
      const meta = await parseBuffer(a, { mimeType: 'audio/mpeg', size: a.length }, { duration: true });
      expect(meta.common.title).toBe('Paper Boats');
      expect(meta.common.artist).toBe('Test Artist');
      expect(meta.common.album).toBe('Test Album');
      expect(meta.common.genre).toEqual(['Folk']);
      expect(Math.abs((meta.format.duration ?? 0) - 5) / 5).toBeLessThan(0.05);
      const { bytes: b } = await makeTestMp3({ seconds: 5, seed: 42, title: 'Paper Boats', genre: 'Folk' });
      expect(b.equals(a)).toBe(true);
      a[0] = 0;
      expect(b[0]).toBe(0x49); // 'I' of ID3: the memo was not mutated through a
    },
    SLOW,
  );
});

describe('DEMO_LIBRARY', () => {
  it('has about 12 songs over 3-4 artists and genres, 20-60 s each, with unique file names', () => {
    expect(DEMO_LIBRARY.length).toBeGreaterThanOrEqual(10);
    const artists = new Set(DEMO_LIBRARY.map((s) => s.artist));
    const genres = new Set(DEMO_LIBRARY.map((s) => s.genre));
    expect(artists.size).toBeGreaterThanOrEqual(3);
    expect(artists.size).toBeLessThanOrEqual(4);
    expect(genres.size).toBeGreaterThanOrEqual(3);
    for (const s of DEMO_LIBRARY) {
      expect(s.seconds).toBeGreaterThanOrEqual(20);
      expect(s.seconds).toBeLessThanOrEqual(60);
    }
    expect(new Set(DEMO_LIBRARY.map(demoFileName)).size).toBe(DEMO_LIBRARY.length);
    expect(new Set(DEMO_LIBRARY.map((s) => s.seed)).size).toBe(DEMO_LIBRARY.length);
    expect(DEMO_LIBRARY.map((s) => s.title)).toContain('Midnight Lighthouse Serenade');
  });

  it('gives every album its own cover pattern', () => {
    const albums = new Map(
      DEMO_LIBRARY.map((s) => [`${s.artist}/${s.album}`, coverStyleOf(s.artist, s.album).pattern]),
    );
    expect(new Set(albums.values()).size).toBe(albums.size);
  });
});

describe('writeDemoLibrary', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gotify-demo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'writes each song once, reuses valid files, and regenerates a corrupted one',
    async () => {
      const songs: DemoSongSpec[] = [
        { ...spec, seconds: 2, track: 1, seed: 11 },
        { ...spec, seconds: 2, track: 2, title: 'Chrome Tides', seed: 12 },
      ];
      const progress: number[] = [];
      const first = await writeDemoLibrary(dir, (p) => progress.push(p.done), songs);
      expect(progress).toEqual([1, 2]);
      expect(first.map((e) => e.cached)).toEqual([false, false]);
      const onDisk = await readFile(first[0]!.path);
      expect(onDisk.equals((await makeDemoSong(songs[0]!)).bytes)).toBe(true);

      const second = await writeDemoLibrary(dir, undefined, songs);
      expect(second.map((e) => e.cached)).toEqual([true, true]);
      expect(second.map((e) => e.sha256)).toEqual(first.map((e) => e.sha256));

      await writeFile(first[1]!.path, Buffer.from('not an mp3'));
      const third = await writeDemoLibrary(dir, undefined, songs);
      expect(third.map((e) => e.cached)).toEqual([true, false]);
      expect((await readFile(first[1]!.path)).length).toBe(first[1]!.size);
    },
    SLOW,
  );
});
