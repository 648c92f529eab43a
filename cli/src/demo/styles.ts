/**
 * Genre styles for the demo generator: tempo, scale, progressions, timbres and drum patterns
 * as data. The arrangement (arrange.ts) draws from these; synthesis lives in synth.ts.
 */

/** Relative amplitudes of harmonics 1..n of an additive voice. */
export type Partials = readonly number[];

/** Drum hits per 16th-note step of one bar: k = kick, s = snare, h = hat, . = rest. */
export type DrumPattern = string;

/** How one genre sounds. */
export interface Style {
  /** Beats per minute range, inclusive. */
  bpm: readonly [number, number];
  /** Semitone offsets of the scale degrees from the root. */
  scale: readonly number[];
  /** Chord progressions as 0-based scale degrees, one chord per bar. */
  progressions: readonly (readonly number[])[];
  /** Four-note chords (add the seventh) instead of triads. */
  sevenths: boolean;
  /** Lead melody timbre. */
  lead: Partials;
  /** Sustained chord timbre. */
  pad: Partials;
  /** Bass timbre. */
  bass: Partials;
  /** Drum patterns (16 steps each); empty for no drums. */
  drums: readonly DrumPattern[];
  /** Lead note length in 16th steps (2 = eighths, 4 = quarters). */
  leadStep: number;
  /** Lead note attack and release in seconds. */
  leadEnvelope: readonly [number, number];
  /** Probability that a lead step is a rest. */
  restChance: number;
  /** Lowest MIDI note of the key root. */
  rootRange: readonly [number, number];
}

const MAJOR = [0, 2, 4, 5, 7, 9, 11] as const;
const MINOR = [0, 2, 3, 5, 7, 8, 10] as const;
const DORIAN = [0, 2, 3, 5, 7, 9, 10] as const;

/** Styles by lower-case genre; unknown genres fall back to `pop`. */
export const STYLES: Readonly<Record<string, Style>> = {
  synthwave: {
    sevenths: false,
    bpm: [96, 112],
    scale: MINOR,
    progressions: [
      [0, 5, 2, 6],
      [0, 3, 5, 4],
      [5, 3, 0, 6],
    ],
    lead: [1, 0.5, 0.33, 0.25, 0.2, 0.16, 0.14],
    pad: [1, 0.4, 0.2, 0.1],
    bass: [1, 0.6, 0.3, 0.15],
    drums: ['k...h...s...h...', 'k...h.k.s...h...', 'k.h.h.h.s.h.h.hh'],
    leadStep: 2,
    leadEnvelope: [0.01, 0.12],
    restChance: 0.2,
    rootRange: [57, 64],
  },
  folk: {
    sevenths: false,
    bpm: [84, 100],
    scale: MAJOR,
    progressions: [
      [0, 4, 5, 3],
      [0, 3, 4, 0],
      [0, 5, 3, 4],
    ],
    lead: [1, 0.7, 0.4, 0.3, 0.15, 0.1],
    pad: [1, 0.5, 0.35, 0.2, 0.1],
    bass: [1, 0.4, 0.1],
    drums: ['k.......s.......', 'k.....k.s.......'],
    leadStep: 4,
    leadEnvelope: [0.005, 0.35],
    restChance: 0.1,
    rootRange: [55, 62],
  },
  jazz: {
    sevenths: true,
    bpm: [88, 120],
    scale: DORIAN,
    progressions: [
      [1, 4, 0, 0],
      [0, 5, 1, 4],
      [2, 5, 1, 4],
    ],
    lead: [1, 0.3, 0.12, 0.05],
    pad: [1, 0.2, 0.05],
    bass: [1, 0.25],
    drums: ['h..hh..hh..hh..h', 'k..hs..hh..hs..h'],
    leadStep: 2,
    leadEnvelope: [0.02, 0.2],
    restChance: 0.3,
    rootRange: [53, 60],
  },
  ambient: {
    sevenths: true,
    bpm: [60, 72],
    scale: MAJOR,
    progressions: [
      [0, 3, 0, 4],
      [5, 3, 0, 4],
      [0, 2, 3, 0],
    ],
    lead: [1, 0.15, 0.05],
    pad: [1, 0.3, 0.15, 0.08, 0.04],
    bass: [1],
    drums: [],
    leadStep: 8,
    leadEnvelope: [0.3, 1.2],
    restChance: 0.35,
    rootRange: [52, 60],
  },
  pop: {
    sevenths: false,
    bpm: [100, 124],
    scale: MAJOR,
    progressions: [
      [0, 4, 5, 3],
      [5, 3, 0, 4],
    ],
    lead: [1, 0.5, 0.25, 0.12],
    pad: [1, 0.4, 0.2],
    bass: [1, 0.5, 0.2],
    drums: ['k...s...k.k.s...'],
    leadStep: 2,
    leadEnvelope: [0.01, 0.15],
    restChance: 0.2,
    rootRange: [57, 64],
  },
};

/** The style for a genre name (case-insensitive; spaces and dashes ignored). */
export function styleOf(genre: string): Style {
  const key = genre.toLowerCase().replace(/[\s-]+/g, '');
  return STYLES[key] ?? (STYLES.pop as Style);
}
