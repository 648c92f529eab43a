/**
 * Chaos (`npm run chaos`, not in `npm test`): a cluster of real processes (1 DNS, 2 API, 4 Peer,
 * 4 Tracker) runs while a chaos loop kills and restarts random storage and API nodes (never more
 * than r − 1 = 2 storage nodes of a network at once, never the last API node), and a workload
 * keeps uploading, searching and streaming. At the end: every acknowledged upload is found and
 * streams back byte-identical. CHAOS_SECONDS sets the length (default 120).
 */
import { jest } from '@jest/globals';
import { makeTestMp3, closeDemoWorker } from '../cli/src/demo/index.js';
import { uploadSong } from '../cli/src/cluster/upload-client.js';
import type { NodeSpec } from '../cli/src/cluster/topology.js';
import { makeTestCluster, dumpLogs, type TestCluster } from './lib/cluster.js';
import { gql, sha256, streamSong } from './lib/graphql.js';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 120);
jest.setTimeout((SECONDS + 300) * 1000);

/** Storage nodes of one network allowed down at once: replication r = 3, so 2 may fail. */
const MAX_DOWN_PER_NETWORK = 2;

const rand = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wsOf = (base: string) => base.replace(/^http/, 'ws') + '/stream';

describe(`chaos: ${SECONDS} s of node failures under load`, () => {
  let cluster: TestCluster;
  const acked = new Map<string, string>(); // song id → sha256 of the uploaded file
  const failures: string[] = [];

  beforeAll(async () => {
    cluster = makeTestCluster({ portOffset: 40, counts: { dns: 1, api: 2, peer: 4, tracker: 4 } });
    await cluster.startAll();
  }, 240_000);

  afterAll(async () => {
    await closeDemoWorker();
    await cluster?.destroy();
  }, 60_000);

  test('no acknowledged upload is lost and streams stay byte-identical', async () => {
    const down = new Set<string>();
    const deadline = Date.now() + SECONDS * 1000;
    const live = (role: string) => cluster.byRole(role as NodeSpec['role']).filter((n) => !down.has(n.name));

    const chaos = (async () => {
      while (Date.now() < deadline) {
        await sleep(2_000 + Math.random() * 3_000);
        const role = rand(['peer', 'tracker', 'api']);
        const downInRole = cluster.byRole(role as NodeSpec['role']).filter((n) => down.has(n.name));
        const limit = role === 'api' ? 1 : MAX_DOWN_PER_NETWORK;
        if (downInRole.length >= limit || Math.random() < 0.4) {
          const back = downInRole[0];
          if (back) {
            await cluster.sup.start(back);
            down.delete(back.name);
          }
          continue;
        }
        const victim = rand(live(role));
        down.add(victim.name);
        await cluster.sup.stop(victim.name, { hard: Math.random() < 0.5 });
      }
      for (const name of [...down]) {
        await cluster.sup.start(cluster.nodes.find((n) => n.name === name)!);
        down.delete(name);
      }
    })();

    const workload = (async () => {
      let i = 0;
      while (Date.now() < deadline) {
        const api = rand(live('api')).healthUrl;
        try {
          const { bytes } = await makeTestMp3({
            seconds: 8,
            seed: 50_000 + i,
            title: `Chaos ${i}`,
            artist: 'Chaos Monkeys',
          });
          const song = await uploadSong(api, bytes, { filename: `chaos-${i}.mp3`, timeoutMs: 60_000 });
          acked.set(song.id, sha256(bytes)); // acknowledged: from now on it must never be lost
        } catch (err) {
          failures.push(`upload ${i}: ${(err as Error).message}`); // allowed: not acknowledged
        }
        i++;
        const ids = [...acked.keys()];
        if (ids.length > 0) {
          const id = rand(ids);
          try {
            const { bytes } = await streamSong(wsOf(rand(live('api')).healthUrl), id);
            if (sha256(bytes) !== acked.get(id)) failures.push(`stream ${id}: bytes differ`);
          } catch (err) {
            failures.push(`stream ${id} during chaos: ${(err as Error).message}`);
          }
        }
      }
    })();

    await Promise.all([chaos, workload]);
    // Everything is back: give re-replication a moment, then check every acknowledged song.
    await sleep(5_000);
    const [api] = cluster.apis();
    const lost: string[] = [];
    for (const [id, hash] of acked) {
      const r = await gql<{ song: { id: string } }>(api!, `query($id: ID!) { song(id: $id) { id } }`, { id });
      const { bytes } = await streamSong(wsOf(api!), id).catch(() => ({ bytes: Buffer.alloc(0) }));
      if (!r.data?.song || sha256(bytes) !== hash) lost.push(id);
    }
    console.log(
      JSON.stringify({
        chaos_seconds: SECONDS,
        acknowledged: acked.size,
        lost: lost.length,
        transient_failures: failures.length,
        examples: failures.slice(0, 5),
      }),
    );
    if (lost.length) console.error(dumpLogs(cluster, 15));
    expect(acked.size).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  });
});
