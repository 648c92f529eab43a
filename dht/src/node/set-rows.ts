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
 */
import type { SetValue, Stamp } from '../types.js';

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
  const writers: string[] = [];
  const index = new Map<string, number>();
  let lastW: string | undefined;
  let lastI = -1;
  const w = (s: Stamp): number => {
    if (s.w === lastW) return lastI; // a batch's stamps mostly share one writer
    let i = index.get(s.w);
    if (i === undefined) {
      index.set(s.w, (i = writers.length));
      writers.push(s.w);
    }
    lastW = s.w;
    lastI = i;
    return i;
  };
  const rows: (string | number | null)[] = [];
  for (const m in v.members) {
    const { add, del } = v.members[m]!;
    rows.push(m, add ? add.c : null, add ? w(add) : null, del ? del.c : null, del ? w(del) : null);
  }
  return { kind: 'set', writers, rows };
}

/**
 * One member as read from rows: its name, and each stamp's counter and writer (undefined when the
 * stamp is absent; the counter's type is not yet checked). Returns an error to stop.
 */
export type RowMember = (
  name: unknown,
  addC: unknown,
  addW: string | undefined,
  delC: unknown,
  delW: string | undefined,
) => string | undefined;

/**
 * Walks the rows of a wire set, handing each member to `member`. Returns an error string for a
 * malformed shape (rows not a multiple of SET_ROW_CELLS, a writer index out of range or not a
 * string, a stamp with only one of its two cells), or the first error `member` returns.
 */
export function readSetRows(raw: Record<string, unknown>, member: RowMember): string | undefined {
  const { writers, rows } = raw;
  if (!Array.isArray(writers) || !Array.isArray(rows) || rows.length % SET_ROW_CELLS !== 0)
    return 'set rows invalid';
  const writer = (c: unknown, wi: unknown): string | undefined | false => {
    if (c === null && wi === null) return undefined;
    if (typeof wi !== 'number' || !Number.isInteger(wi) || wi < 0 || wi >= writers.length) return false;
    const w: unknown = writers[wi];
    return typeof w === 'string' ? w : false;
  };
  for (let i = 0; i < rows.length; i += SET_ROW_CELLS) {
    const addW = writer(rows[i + 1], rows[i + 2]);
    const delW = writer(rows[i + 3], rows[i + 4]);
    if (addW === false || delW === false) return 'set stamp invalid';
    const err = member(rows[i], rows[i + 1], addW, rows[i + 3], delW);
    if (err) return err;
  }
  return undefined;
}
