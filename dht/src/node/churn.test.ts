/** Churn: nodes die; values with r >= kills + 1 survive through re-replication by the holders. */
import { jest } from '@jest/globals';
import { compareDistance, keyOf } from '../id.js';
import { makeTestCluster } from '../sim/cluster.js';

jest.setTimeout(30_000);
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

test('values survive killed holders after re-replication', async () => {
  const KILLS = 3;
  const policy = { r: KILLS + 1, w: 2 };
  const c = await makeTestCluster(30, {
    k: 10,
    replication: { blob: policy, record: policy, set: policy },
    timers: { rpcTimeout: 100 },
  });
  try {
    const keys = Array.from({ length: 10 }, (_, i) => keyOf('churn', `v${i}`));
    await Promise.all(keys.map((k, i) => c.nodes[i]!.putRecord(k, enc(`v${i}`))));
    const setKey = keyOf('churn', 'set');
    await c.nodes[0]!.addToSet(setKey, ['x', 'y']);
    // Kill the current holders of the first key (worst case), twice over with re-replication between.
    const dead = new Set<string>();
    for (let wave = 0; wave < 2; wave++) {
      const alive = c.nodes.filter((n) => !dead.has(n.address));
      const victims = alive.sort((a, b) => compareDistance(keys[0]!, a.id, b.id)).slice(0, KILLS);
      for (const v of victims) {
        c.net.kill(v.address);
        dead.add(v.address);
      }
      await Promise.all(c.nodes.filter((n) => !dead.has(n.address)).map((n) => n.maintain('replicate')));
    }
    const reader = c.nodes.find((n) => !dead.has(n.address))!;
    for (const [i, k] of keys.entries()) expect(dec((await reader.getRecord(k))?.bytes)).toBe(`v${i}`);
    expect(await reader.getSet(setKey)).toEqual(['x', 'y']);
  } finally {
    await c.stop();
  }
});
