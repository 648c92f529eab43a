/**
 * 50 nodes split in two halves that both keep writing; after the heal the periodic bootstrap
 * re-dial merges the halves, and no acknowledged write is lost.
 */
import { jest } from '@jest/globals';
import { compareDistance, keyOf, toHex } from '../id.js';
import { makeTestCluster, type TestCluster } from '../sim/cluster.js';
import type { KademliaNodeInternal } from './index.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const policy = { r: 6, w: 2 };
/** Maintenance rounds (of tRedial) allowed for the halves to merge. */
const MAX_ROUNDS = 40;

jest.setTimeout(60_000);

describe('partition and heal', () => {
  let c: TestCluster;
  afterAll(() => c?.stop());

  test('halves keep writing, then merge into one network without losing acknowledged writes', async () => {
    c = await makeTestCluster(50, {
      replication: { blob: policy, record: policy, set: policy },
      timers: {
        tRedial: 500,
        tWatchdog: 1_000,
        tRefresh: 20_000,
        tReplicate: 1_000,
        tRepublish: 5_000,
        tExpire: 60_000,
        rpcTimeout: 100,
      },
    });
    const A = c.nodes.slice(0, 25);
    const B = c.nodes.slice(25);
    c.net.partition([A.map((n) => n.address), B.map((n) => n.address)]);

    const setKey = keyOf('test', 'partitioned-set');
    const acked: string[] = [];
    const records = new Map<string, string>();
    const write = async (side: KademliaNodeInternal[], tag: string) => {
      const ops = Array.from({ length: 8 }, (_, i) => i);
      await Promise.all(
        ops.map(async (i) => {
          const n = side[(i * 3) % side.length]!;
          await n.addToSet(setKey, [`${tag}${i}`]);
          acked.push(`${tag}${i}`);
          const rk = `${tag}-record-${i}`;
          await n.putRecord(keyOf('test', rk), enc(`${tag}${i}`));
          records.set(rk, `${tag}${i}`);
        }),
      );
    };
    await Promise.all([write(A, 'a'), write(B, 'b')]);
    expect(acked).toHaveLength(16);

    c.net.heal();
    const everyone = [...A, ...B];
    const merged = async (): Promise<boolean> => {
      // Lookups from either side find the true closest nodes of the other side.
      for (const [from, to] of [
        [A[3]!, B[7]!],
        [B[5]!, A[11]!],
      ] as const) {
        const found = await from.findNode(to.id);
        if (toHex(found[0]?.id ?? new Uint8Array()) !== toHex(to.id)) return false;
      }
      // Replicas converge by re-replication alone: the 6 closest nodes each hold every acked add.
      const holders = [...everyone].sort((a, b) => compareDistance(setKey, a.id, b.id)).slice(0, policy.r);
      for (const h of holders) {
        const e = await h.getLocal(setKey);
        if (e?.value.kind !== 'set') return false;
        if (!acked.every((m) => e.value.kind === 'set' && e.value.members[m]?.add)) return false;
      }
      return true;
    };
    let rounds = 0;
    while (!(await merged())) {
      expect(++rounds).toBeLessThan(MAX_ROUNDS);
      await sleep(250);
    }

    for (const n of [A[0]!, A[20]!, B[0]!, B[24]!]) {
      expect(await n.getSet(setKey)).toEqual([...acked].sort());
      for (const [rk, v] of records) expect(dec((await n.getRecord(keyOf('test', rk)))?.bytes)).toBe(v);
    }
  });
});
