/**
 * Opaque pagination cursors: base64url of a small JSON tuple naming the ordering they belong to,
 * the sort value (or relevance score) and the id. A cursor from another ordering is refused.
 */
import { badInput } from './errors.js';
import { MAX_CURSOR_LENGTH } from './limits.js';
import type { Order, SortKey } from './catalogue.js';

export type Ordering = { kind: 'sort'; sort: SortKey; order: Order } | { kind: 'relevance' };

export type Cursor =
  { kind: 'sort'; v: string; id: string } | { kind: 'relevance'; score: number; id: string };

const tag = (o: Ordering): string => (o.kind === 'sort' ? `${o.sort}.${o.order}` : 'REL');

export function encodeCursor(ordering: Ordering, c: Cursor): string {
  const tuple = c.kind === 'sort' ? [tag(ordering), c.v, c.id] : [tag(ordering), c.score, c.id];
  return Buffer.from(JSON.stringify(tuple), 'utf8').toString('base64url');
}

/** Decodes and checks a cursor against the ordering of the request; BAD_USER_INPUT otherwise. */
export function decodeCursor(ordering: Ordering, s: string): Cursor {
  const bad = (): never => {
    throw badInput('invalid cursor (it must come from the same query ordering)');
  };
  if (s.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+={0,2}$/.test(s)) return bad();
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return bad();
  }
  if (!Array.isArray(t) || t.length !== 3 || t[0] !== tag(ordering) || typeof t[2] !== 'string') return bad();
  const arr = t as [string, unknown, string];
  if (ordering.kind === 'sort')
    return typeof arr[1] === 'string' ? { kind: 'sort', v: arr[1], id: arr[2] } : bad();
  return typeof arr[1] === 'number' && Number.isFinite(arr[1])
    ? { kind: 'relevance', score: arr[1], id: arr[2] }
    : bad();
}
