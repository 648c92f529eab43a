/**
 * Render an Arrangement to mono PCM: additive (wavetable) voices with envelopes, drums from noise bursts
 * and swept sines, a feedback echo on the lead, then normalisation and soft clipping.
 * Deterministic (seeded noise, no wall clock). Encoding to MP3 lives in encode.ts.
 */
import type { Arrangement, DrumEvent, NoteEvent, Voice } from './arrange.js';
import { makeRng } from './rng.js';
import type { Partials } from './styles.js';

/** Output sample rate: CD rate, which MPEG-1 Layer III supports natively. */
export const SAMPLE_RATE = 44100;

/** Peak level after normalisation: headroom so the encoder never clips. */
const PEAK = 0.89;
/** Fade at the end of every song, seconds. */
const FADE_OUT_SECONDS = 1.5;

const TABLE_BITS = 12;
const TABLE_SIZE = 1 << TABLE_BITS;
const SINE = new Float32Array(TABLE_SIZE + 1);
for (let i = 0; i <= TABLE_SIZE; i++) SINE[i] = Math.sin((2 * Math.PI * i) / TABLE_SIZE);

/** Per-voice loudness, release time (s) and decay rate (1/s) while held. */
const VOICES: Readonly<Record<Voice, { gain: number; release: number; decay: number }>> = {
  lead: { gain: 0.2, release: 0.15, decay: 1.2 },
  pad: { gain: 0.07, release: 0.4, decay: 0.2 },
  bass: { gain: 0.3, release: 0.06, decay: 2.5 },
};

function midiToHz(midi: number): number {
  return 440 * 2 ** ((midi - 69) / 12);
}

/** Single-cycle wavetables per timbre (sum of its partials, peak 1), built once. */
const wavetables = new Map<Partials, Float32Array>();

/**
 * The wavetable of a timbre. Partials are summed once here, so a note costs one lookup per
 * sample whatever its timbre; demo notes stay below ~1.5 kHz, so 7 partials never alias.
 */
function wavetableOf(partials: Partials): Float32Array {
  let table = wavetables.get(partials);
  if (table) return table;
  table = new Float32Array(TABLE_SIZE + 1);
  let peak = 1e-9;
  for (let i = 0; i <= TABLE_SIZE; i++) {
    let v = 0;
    for (let k = 0; k < partials.length; k++)
      v += (partials[k] as number) * (SINE[((k + 1) * i) % TABLE_SIZE] as number);
    table[i] = v;
    peak = Math.max(peak, Math.abs(v));
  }
  for (let i = 0; i <= TABLE_SIZE; i++) table[i] = (table[i] as number) / peak;
  wavetables.set(partials, table);
  return table;
}

/** Add one note into `out`: wavetable oscillator, linear attack, exponential decay and release. */
function renderNote(
  out: Float32Array,
  note: NoteEvent,
  table: Float32Array,
  attack: number,
  release: number,
  decay: number,
  gain: number,
): void {
  const hz = midiToHz(note.midi);
  const first = Math.round(note.start * SAMPLE_RATE);
  const held = note.length * SAMPLE_RATE;
  const total = Math.min(out.length - first, Math.ceil(held + release * SAMPLE_RATE));
  const attackSamples = Math.max(1, attack * SAMPLE_RATE);
  const decayPerSample = Math.exp(-decay / SAMPLE_RATE);
  const releasePerSample = Math.exp(-5 / (release * SAMPLE_RATE));
  const amp = gain * note.velocity;
  const inc = (hz * TABLE_SIZE) / SAMPLE_RATE;
  let phase = 0;
  let level = amp;
  for (let i = 0; i < total; i++) {
    const ramp = i < attackSamples ? i / attackSamples : 1;
    level *= i < held ? decayPerSample : releasePerSample;
    const idx = phase | 0;
    const s0 = table[idx] as number;
    const sample = s0 + ((table[idx + 1] as number) - s0) * (phase - idx);
    out[first + i] = (out[first + i] as number) + sample * ramp * level;
    phase += inc;
    if (phase >= TABLE_SIZE) phase -= TABLE_SIZE;
  }
}

/** Add one drum hit into `out`; `noise` is a seeded source shared by the song. */
function renderDrum(out: Float32Array, hit: DrumEvent, noise: () => number): void {
  const first = Math.round(hit.start * SAMPLE_RATE);
  const length = { kick: 0.35, snare: 0.2, hat: 0.06 }[hit.drum];
  const total = Math.min(out.length - first, Math.round(length * SAMPLE_RATE));
  let phase = 0;
  let previous = 0;
  for (let i = 0; i < total; i++) {
    const t = i / SAMPLE_RATE;
    let s: number;
    switch (hit.drum) {
      case 'kick': {
        const hz = 45 + 90 * Math.exp(-t * 30);
        phase += (2 * Math.PI * hz) / SAMPLE_RATE;
        s = 0.9 * Math.sin(phase) * Math.exp(-t * 9);
        break;
      }
      case 'snare': {
        phase += (2 * Math.PI * 185) / SAMPLE_RATE;
        s = (0.45 * (noise() * 2 - 1) + 0.25 * Math.sin(phase)) * Math.exp(-t * 22);
        break;
      }
      case 'hat': {
        const white = noise() * 2 - 1;
        s = 0.3 * (white - previous) * Math.exp(-t * 70); // first difference: a crude high-pass
        previous = white;
        break;
      }
      default: {
        const never: never = hit.drum;
        throw new Error(`unknown drum ${String(never)}`);
      }
    }
    out[first + i] = (out[first + i] as number) + s * hit.velocity * 0.5;
  }
}

/** Feedback echo in place: a dotted-eighth delay that makes a plain lead sound produced. */
function echo(bus: Float32Array, delaySeconds: number, feedback: number): void {
  const d = Math.round(delaySeconds * SAMPLE_RATE);
  for (let i = d; i < bus.length; i++) bus[i] = (bus[i] as number) + (bus[i - d] as number) * feedback;
}

/** Cheap tanh-like saturation (Pade approximant, exact at +-3): tames peaks without hard clipping. */
function softClip(x: number): number {
  if (x >= 3) return 1;
  if (x <= -3) return -1;
  return (x * (27 + x * x)) / (27 + 9 * x * x);
}

/** Render an arrangement to mono float PCM at SAMPLE_RATE, peak-normalised to PEAK. */
export function render(song: Arrangement, seed: number): Float32Array {
  const length = Math.round(song.seconds * SAMPLE_RATE);
  const mix = new Float32Array(length);
  const lead = new Float32Array(length);
  const { style } = song;
  for (const note of song.notes) {
    const v = VOICES[note.voice];
    const partials = note.voice === 'lead' ? style.lead : note.voice === 'pad' ? style.pad : style.bass;
    const attack = note.voice === 'lead' ? style.leadEnvelope[0] : note.voice === 'pad' ? 0.25 : 0.005;
    const release = note.voice === 'lead' ? style.leadEnvelope[1] : v.release;
    renderNote(
      note.voice === 'lead' ? lead : mix,
      note,
      wavetableOf(partials),
      attack,
      release,
      v.decay,
      v.gain,
    );
  }
  echo(lead, (60 / song.bpm) * 0.75, 0.3);
  const noise = makeRng(seed ^ 0x5eed).next;
  for (const hit of song.drums) renderDrum(mix, hit, noise);

  let peak = 1e-9;
  for (let i = 0; i < length; i++) {
    const s = softClip((mix[i] as number) + (lead[i] as number));
    mix[i] = s;
    peak = Math.max(peak, Math.abs(s));
  }
  const fadeStart = Math.max(0, length - Math.round(FADE_OUT_SECONDS * SAMPLE_RATE));
  const scale = PEAK / peak;
  for (let i = 0; i < length; i++) {
    const fade = i < fadeStart ? 1 : (length - i) / (length - fadeStart);
    const fadeIn = Math.min(1, i / 441); // 10 ms: no click at the start
    mix[i] = (mix[i] as number) * scale * fade * fadeIn;
  }
  return mix;
}
