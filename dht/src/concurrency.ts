/**
 * `mapLimit`: run an async function over items with at most `limit` in flight, results in input
 * order. Rejects with the first error (the others still settle; their results are dropped).
 * Shared by the engine's users (peer publish checks and replica probes, tracker reads and writes).
 * `nextTurn`: one turn of the event loop, so the callbacks waiting behind a long piece of work run.
 */
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
