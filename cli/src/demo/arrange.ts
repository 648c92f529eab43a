/**
 * Arrangement: turn (genre, seconds, seed) into note and drum events. Pure data, no audio:
 * synth.ts renders the events, styles.ts holds the per-genre choices.
 */
import { makeRng, type Rng } from './rng.js';
import { styleOf, type Style } from './styles.js';

/** Which synth voice plays a note. */
export type Voice = 'lead' | 'pad' | 'bass';
/** Which drum sound a hit uses. */
export type Drum = 'kick' | 'snare' | 'hat';

/** One pitched note. */
export interface NoteEvent {
  voice: Voice;
  /** Start time in seconds. */
  start: number;
  /** Held length in seconds (the release follows). */
  length: number;
  /** MIDI note number (69 = A4 = 440 Hz). */
  midi: number;
  /** Loudness 0..1. */
  velocity: number;
}

/** One drum hit. */
export interface DrumEvent {
  drum: Drum;
  start: number;
  velocity: number;
}

/** Everything synth.ts needs to render a song. */
export interface Arrangement {
  seconds: number;
  bpm: number;
  style: Style;
  notes: NoteEvent[];
  drums: DrumEvent[];
}

/** Bars of pads and bass only before the melody and drums come in: a recognisable intro. */
const INTRO_BARS = 2;
/** Bars per melodic motif; songs alternate motifs A and B like verse and chorus. */
const MOTIF_BARS = 2;
const STEPS_PER_BAR = 16;

/** MIDI note of scale degree `degree` (may exceed 7 or be negative) above `root`. */
function degreeToMidi(style: Style, root: number, degree: number): number {
  const n = style.scale.length;
  const octave = Math.floor(degree / n);
  const index = ((degree % n) + n) % n;
  return root + 12 * octave + (style.scale[index] ?? 0);
}

/** A motif: per lead step, a scale-degree offset from the chord root, or null for a rest. */
function makeMotif(rng: Rng, style: Style): (number | null)[] {
  const steps = (MOTIF_BARS * STEPS_PER_BAR) / style.leadStep;
  const motif: (number | null)[] = [];
  let degree = rng.pick([0, 2, 4]);
  for (let i = 0; i < steps; i++) {
    if (i > 0 && rng.chance(style.restChance)) {
      motif.push(null);
      continue;
    }
    degree += rng.pick([-2, -1, -1, 1, 1, 2, 0]);
    degree = Math.max(-1, Math.min(7, degree));
    motif.push(degree);
  }
  motif[motif.length - 1] = rng.pick([0, 2, 4]);
  return motif;
}

/** Arrange a song; the same arguments always give the same arrangement. */
export function arrange(genre: string, seconds: number, seed: number): Arrangement {
  const rng = makeRng(seed);
  const style = styleOf(genre);
  const bpm = rng.int(style.bpm[0], style.bpm[1]);
  const beat = 60 / bpm;
  const bar = beat * 4;
  const step = bar / STEPS_PER_BAR;
  const root = rng.int(style.rootRange[0], style.rootRange[1]);
  const progression = rng.pick(style.progressions);
  const motifs = [makeMotif(rng, style), makeMotif(rng, style)];
  const drumPattern = style.drums.length > 0 ? rng.pick(style.drums) : '';
  const bars = Math.ceil(seconds / bar);
  const notes: NoteEvent[] = [];
  const drums: DrumEvent[] = [];

  for (let b = 0; b < bars; b++) {
    const t0 = b * bar;
    const chordDegree = progression[b % progression.length] ?? 0;
    const chord = [0, 2, 4, ...(style.sevenths ? [6] : [])].map((d) =>
      degreeToMidi(style, root, chordDegree + d),
    );
    for (const midi of chord) notes.push({ voice: 'pad', start: t0, length: bar, midi, velocity: 0.8 });
    const bassRoot = degreeToMidi(style, root - 24, chordDegree);
    for (let q = 0; q < 4; q++) {
      const midi = q === 2 && rng.chance(0.5) ? bassRoot + 7 : bassRoot;
      notes.push({
        voice: 'bass',
        start: t0 + q * beat,
        length: beat * 0.8,
        midi,
        velocity: q === 0 ? 1 : 0.75,
      });
    }
    if (b < INTRO_BARS) continue;

    const section = Math.floor((b - INTRO_BARS) / (MOTIF_BARS * 2)) % 2; // A A B B ...
    const motif = motifs[section] as (number | null)[];
    const perBar = STEPS_PER_BAR / style.leadStep;
    const offset = ((b - INTRO_BARS) % MOTIF_BARS) * perBar;
    for (let s = 0; s < perBar; s++) {
      const degree = motif[offset + s];
      if (degree === null || degree === undefined) continue;
      const midi = degreeToMidi(style, root + 12, chordDegree + degree);
      const velocity = s % 2 === 0 ? 0.9 : 0.7;
      notes.push({
        voice: 'lead',
        start: t0 + s * style.leadStep * step,
        length: style.leadStep * step * 0.9,
        midi,
        velocity,
      });
    }
    if (b === bars - 1) continue; // last bar: let the drums rest
    for (let s = 0; s < drumPattern.length; s++) {
      const c = drumPattern[s];
      const start = t0 + s * step;
      if (c === 'k') drums.push({ drum: 'kick', start, velocity: 1 });
      else if (c === 's') drums.push({ drum: 'snare', start, velocity: 0.8 });
      else if (c === 'h') drums.push({ drum: 'hat', start, velocity: s % 4 === 0 ? 0.6 : 0.4 });
    }
  }
  return {
    seconds,
    bpm,
    style,
    notes: notes.filter((n) => n.start < seconds),
    drums: drums.filter((d) => d.start < seconds),
  };
}
