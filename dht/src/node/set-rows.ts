/**
 * The compact wire form of a set value in STORE requests: `{ kind: 'set', writers, rows }`, where
 * `rows` is flat, five cells per member — name, add counter, add writer, remove counter, remove
 * writer (null when the stamp is absent) — and a writer is an index into `writers`. A posting
 * batch is thousands of one-member sets stamped by one writer: as maps of maps, msgpack wrote and
 * read two objects and three keys per member, and decoded the writer's id once per stamp (~8% of a
 * tracker's import CPU with the map form).
 *
 * Does not: validate member names or stamps beyond their shape (values.ts parseValue does, for
 * both forms), or change the other kinds' form. FIND_VALUE replies still carry the map form.
 * Every node reads both forms, but nodes older than this form refuse it (their STOREs of sets
 * would fail): upgrade a cluster's nodes together.
 */
import type { SetValue } from '../types.js';

/** Cells per member in `rows`. */
export const SET_ROW_CELLS = 5;

/** A set value in its STORE wire form. */
export interface SetRowsWire {
  kind: 'set';
  writers: string[];
  rows: (string | number | null)[];
}

/** The STORE wire form of a set value (see the module comment). */
export function toSetRows(v: SetValue): SetRowsWire {
  const out: SetRowsWire = { kind: 'set', writers: [], rows: [] };
  // No closures in this per-item path (tsx's keepNames wraps each closure created in a call).
  const writers = new Map<string, number>();
  for (const m in v.members) {
    const { add, del } = v.members[m]!;
    out.rows.push(
      m,
      add ? add.c : null,
      add ? writerIndex(out, writers, add.w) : null,
      del ? del.c : null,
      del ? writerIndex(out, writers, del.w) : null,
    );
  }
  return out;
}

function writerIndex(out: SetRowsWire, index: Map<string, number>, w: string): number {
  const last = out.writers.length - 1;
  if (last >= 0 && out.writers[last] === w) return last; // a batch's stamps mostly share one writer
  let i = index.get(w);
  if (i === undefined) {
    index.set(w, (i = out.writers.length));
    out.writers.push(w);
  }
  return i;
}

/**
 * One member as read from rows: its name, and each stamp's counter and writer (undefined when the
 * stamp is absent; the counter's type is not yet checked). Returns an error to stop.
 */
export interface RowReader {
  member(name: unknown, addC: unknown, addW: unknown, delC: unknown, delW: unknown): string | undefined;
}

/**
 * Walks the rows of a wire set, handing each member to `reader`. Returns an error string for a
 * malformed shape (rows not a multiple of SET_ROW_CELLS, a writer index out of range or not a
 * string, a stamp with only one of its two cells), or the first error the reader returns.
 */
export function readSetRows(raw: Record<string, unknown>, reader: RowReader): string | undefined {
  const { writers, rows } = raw;
  if (!Array.isArray(writers) || !Array.isArray(rows) || rows.length % SET_ROW_CELLS !== 0)
    return 'set rows invalid';
  for (let i = 0; i < rows.length; i += SET_ROW_CELLS) {
    const addW = writerOf(writers, rows[i + 1], rows[i + 2]);
    const delW = writerOf(writers, rows[i + 3], rows[i + 4]);
    if (addW === false || delW === false) return 'set stamp invalid';
    const err = reader.member(rows[i], rows[i + 1], addW, rows[i + 3], delW);
    if (err) return err;
  }
  return undefined;
}

/** The writer of a stamp's cells: undefined when both are null (no stamp), false when malformed. */
function writerOf(writers: unknown[], c: unknown, wi: unknown): string | undefined | false {
  if (c === null && wi === null) return undefined;
  if (typeof wi !== 'number' || !Number.isInteger(wi) || wi < 0 || wi >= writers.length) return false;
  const w: unknown = writers[wi];
  return typeof w === 'string' ? w : false;
}
