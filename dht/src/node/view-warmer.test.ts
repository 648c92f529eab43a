/**
 * The view warmer builds the biggest written sets' views once writes pause, biggest first, within
 * its member budget, skips cached and small sets, and gives up when a write lands mid-run.
 */
import { toHex } from '../id.js';
import { makeViewWarmer } from './view-warmer.js';

const hexOf = (i: number) => i.toString(16).padStart(64, '0');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `ok()` holds (a loaded machine may run timers late), at most 5 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let t = 0; !ok() && t < 500; t++) await pause(10);
}

test('biggest first, within the budget, skipping small and cached sets, after the writes pause', async () => {
  const sizes = new Map([
    [hexOf(1), 110 * 100], // 100 members
    [hexOf(2), 110 * 900],
    [hexOf(3), 110 * 5], // under minBytes
    [hexOf(4), 110 * 400],
    [hexOf(5), 110 * 300], // cached already
  ]);
  const built: string[] = [];
  const warmer = makeViewWarmer({
    cached: (hex) => hex === hexOf(5),
    build: async (key) => void built.push(toHex(key)),
    idleMs: 20,
    minBytes: 110 * 50,
    maxMembers: 1_350,
  });
  warmer.written([...sizes].slice(0, 3));
  await pause(10);
  warmer.written([...sizes].slice(3)); // still writing: the countdown starts again
  await pause(12);
  expect(built).toEqual([]);
  await until(() => built.length >= 2);
  await pause(30); // nothing more comes
  // 900 + 400 fit the budget of 1,350; 300 (cached) is counted but not built; 100 no longer fits.
  expect(built).toEqual([hexOf(2), hexOf(4)]);
  await warmer.stop();
});

test('a write during a run stops it; the next pause warms again; stop() ends it for good', async () => {
  const sizes = new Map(
    Array.from({ length: 6 }, (_, i) => [hexOf(i + 1), 110 * (1000 - i)] as [string, number]),
  );
  const built: string[] = [];
  let onBuild = () => {};
  const warmer = makeViewWarmer({
    cached: (hex) => built.includes(hex),
    build: async (key) => {
      built.push(toHex(key));
      onBuild();
    },
    idleMs: 10,
    minBytes: 0,
  });
  onBuild = () => {
    if (built.length === 2) warmer.written([]); // a write lands after the second set
  };
  warmer.written(sizes);
  await until(() => built.length === sizes.size); // the pause after the write finished the rest
  expect([...built].sort()).toEqual([...sizes.keys()].sort());
  await warmer.stop();
  built.length = 0;
  warmer.written(sizes);
  await pause(30);
  expect(built).toEqual([]);
});

test('at most maxSets sets a pause, and at most maxPending remembered between pauses', async () => {
  const built: string[] = [];
  const warmer = makeViewWarmer({
    cached: () => false,
    build: async (key) => void built.push(toHex(key)),
    idleMs: 10,
    maxSets: 3,
    maxPending: 5,
  });
  // Seven sets written, the smallest first: only the first five are remembered.
  warmer.written(Array.from({ length: 7 }, (_, i) => [hexOf(i + 1), 110 * (i + 1)] as [string, number]));
  warmer.written([[hexOf(1), 110 * 50]]); // a remembered set grows: updated
  await until(() => built.length >= 3);
  await pause(30);
  // Biggest first among the five remembered (1 grew to 50 members), three of them.
  expect(built).toEqual([hexOf(1), hexOf(5), hexOf(4)]);
  await warmer.stop();
});
