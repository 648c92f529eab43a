/**
 * Generated cover art: a 300x300 PNG per album (seeded by artist and album name, so every track
 * of an album shares its cover and different albums differ). Embedding it lives in tags.ts.
 */
import pngjs from 'pngjs';
import { hashString, makeRng } from './rng.js';

const { PNG } = pngjs;

/** Cover edge in pixels: the common size of embedded covers, small enough to keep files lean. */
export const COVER_SIZE = 300;
/** MIME type of generated covers. */
export const COVER_MIME = 'image/png';

type Rgb = [number, number, number];

/** HSL (h in degrees, s and l in 0..1) to 8-bit RGB. */
function hsl(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] =
    hp < 1
      ? [c, x, 0]
      : hp < 2
        ? [x, c, 0]
        : hp < 3
          ? [0, c, x]
          : hp < 4
            ? [0, x, c]
            : hp < 5
              ? [x, 0, c]
              : [c, 0, x];
  const m = l - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** The patterns a cover can use; chosen from the album hash. */
const PATTERNS = ['rings', 'stripes', 'sun', 'grid'] as const;
export type Pattern = (typeof PATTERNS)[number];

/** Brightness factor 0..1.3 of a pattern at normalised coordinates (u, v in 0..1). */
function patternAt(pattern: Pattern, u: number, v: number, freq: number, tilt: number): number {
  switch (pattern) {
    case 'rings':
      return 0.75 + 0.25 * Math.sin(Math.hypot(u - 0.3 - tilt * 0.4, v - 0.5) * freq * 6);
    case 'stripes':
      return 0.8 + 0.2 * Math.sign(Math.sin((u * tilt + v * (1 - tilt)) * freq * 3));
    case 'sun': {
      const inSun = Math.hypot(u - 0.5, v - 0.55) < 0.28 && v < 0.62;
      const band = v > 0.45 && v < 0.62 && Math.sin(v * 120) > 0.4;
      const horizon = v > 0.62 && Math.sin(1 / (v - 0.6)) > 0.6;
      return inSun && !band ? 1.3 : horizon ? 1.1 : 0.7;
    }
    case 'grid':
      return Math.sin(u * freq * 4) > 0.8 || Math.sin(v * freq * 4) > 0.8 ? 1.25 : 0.8;
    default: {
      const never: never = pattern;
      throw new Error(`unknown pattern ${String(never)}`);
    }
  }
}

/** The look of an album's cover, derived from its names. */
export interface CoverStyle {
  pattern: Pattern;
  /** Hue of the gradient start, degrees. */
  hue: number;
  /** Hue distance to the gradient end, degrees. */
  hueShift: number;
  freq: number;
  tilt: number;
}

/** Salt of the cover hash, chosen so the four demo albums get four different patterns. */
const COVER_SALT = 'cover-v38';

/** The cover style of an album: deterministic in (artist, album). */
export function coverStyleOf(artist: string, album: string): CoverStyle {
  const rng = makeRng(hashString(`${COVER_SALT}\0${artist}\0${album}`));
  return {
    pattern: rng.pick(PATTERNS),
    hue: rng.int(0, 359),
    hueShift: rng.int(60, 180),
    freq: rng.int(4, 9),
    tilt: rng.next(),
  };
}

/** A deterministic cover PNG for an album. */
export function makeCoverPng(artist: string, album: string): Buffer {
  const { pattern, hue, hueShift, freq, tilt } = coverStyleOf(artist, album);
  const from = hsl(hue, 0.7, 0.35);
  const to = hsl(hue + hueShift, 0.75, 0.55);
  const png = new PNG({ width: COVER_SIZE, height: COVER_SIZE, colorType: 2, inputHasAlpha: true });
  for (let y = 0; y < COVER_SIZE; y++) {
    for (let x = 0; x < COVER_SIZE; x++) {
      const u = x / COVER_SIZE;
      const v = y / COVER_SIZE;
      const base = mix(from, to, (u + v) / 2);
      const k = patternAt(pattern, u, v, freq, tilt);
      const i = (y * COVER_SIZE + x) * 4;
      png.data[i] = Math.min(255, base[0] * k);
      png.data[i + 1] = Math.min(255, base[1] * k);
      png.data[i + 2] = Math.min(255, base[2] * k);
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}
