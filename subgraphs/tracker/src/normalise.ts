/**
 * Text normalisation shared by the exact index and the search index: lowercase, NFKD with
 * diacritics stripped, whitespace collapsed. Pure functions; keys are built in keys.ts.
 */

const COMBINING_MARKS = /\p{M}+/gu;
const SPACES = /\s+/gu;
const APOSTROPHES = /['’`´]/gu;
const NON_WORD = /[^\p{L}\p{N}]+/gu;

/** 'Beyoncé  Knowles ' → 'beyonce knowles'. Used for exact filters, sort keys and facets. */
export function normalise(value: string): string {
  return value.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase().replace(SPACES, ' ').trim();
}

/**
 * Search words of a text: normalised, apostrophes dropped ("don't" → "dont"), split on anything
 * that is not a letter or digit ("AC/DC" → ["ac", "dc"]). Order kept, duplicates kept.
 */
export function words(value: string): string[] {
  return normalise(value)
    .replace(APOSTROPHES, '')
    .split(NON_WORD)
    .filter((w) => w.length > 0);
}
