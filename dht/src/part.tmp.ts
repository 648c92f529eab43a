(globalThis as any).cnt = {};
import { keyOf } from './id.js';
import { makeTestCluster } from './sim/cluster.js';
const policy = { r: 6, w: 2 };
let t = Date.now();
const lap = (s: string) => { console.log(s, Date.now() - t); t = Date.now(); };
const c = await makeTestCluster(50, {
  replication: { blob: policy, record: policy, set: policy },
  timers: { tRedial: 1_000, tWatchdog: 1_000, tRefresh: 4_000, tReplicate: 1_000, tRepublish: 4_000, tExpire: 60_000, rpcTimeout: 100 },
  metrics: { rpcSent: (t: string) => { (globalThis as any).cnt[t] = ((globalThis as any).cnt[t] ?? 0) + 1; } },
});
lap('build');
console.log(c.net.stats());
const A = c.nodes.slice(0, 25), B = c.nodes.slice(25);
c.net.partition([A.map((n) => n.address), B.map((n) => n.address)]);
const setKey = keyOf('test', 'partitioned-set');
await A[0]!.addToSet(setKey, ['x']);
lap('addToSet');
await A[0]!.putRecord(keyOf('t','r'), new Uint8Array([1]));
lap('putRecord');
await new Promise((r) => setTimeout(r, 2000));
lap('sleep 2000'); console.log((globalThis as any).cnt);
console.log(c.net.stats());
await A[0]!.addToSet(setKey, ['y']);
lap('addToSet');
await c.stop();
