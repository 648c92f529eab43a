/**
 * addToSetMany stamps without reading first; an add issued after another node's remove must still
 * win, even when the remover's Lamport clock ran far ahead of the adder's.
 */
import { compareDistance, keyOf, randomId, toHex } from '../id.js';
import { makeTestCluster, type TestCluster } from '../sim/cluster.js';

let c: TestCluster;
beforeAll(async () => {
  c = await makeTestCluster(8, { k: 8, timers: { rpcTimeout: 200 }, replication: { set: { r: 3, w: 2 } } });
});
afterAll(() => c.stop());

/** Makes the node at `address` see (and store, as any replica would) a record stamped `counter`. */
async function bumpClock(address: string, counter: number, name: string): Promise<void> {
  const injector = c.net.makeTransport(name);
  await injector.request(
    address,
    {
      t: 'STORE',
      rpc: `clock-bump-${name}`,
      from: { id: randomId(), addr: name },
      items: [
        {
          key: toHex(keyOf('test-record', `elsewhere-${name}`)),
          value: { kind: 'record', stamp: { c: counter, w: 'ff' }, bytes: new Uint8Array([1]) },
        },
      ],
    },
    1_000,
  );
  await injector.close();
}

test('a batched add on B beats an earlier remove by A whose clock is far ahead', async () => {
  const key = keyOf('test-set', 'late-add');
  const byDistance = [...c.nodes].sort((x, y) => compareDistance(key, x.id, y.id));
  const b = byDistance[byDistance.length - 1]!; // not a replica: it never sees A's stamps
  const a = byDistance[byDistance.length - 2]!;
  await a.addToSet(key, ['song-1', 'song-2']);

  // A's clock jumps far ahead: it stores (as any replica would) a record stamped with a high counter.
  await bumpClock(a.address, 1_000_000, 'injector');
  await a.removeFromSet(key, ['song-1']);
  expect(await a.getSet(key)).toEqual(['song-2']);
  const removeStamp = (await a.getSetValue(key))!.members['song-1']!.del!.c;
  expect(removeStamp).toBeGreaterThan(1_000_000);

  // Later, B re-adds song-1 in a batch, with its own (much lower) clock.
  await b.addToSetMany([
    { key, members: ['song-1'] },
    { key: keyOf('test-set', 'other'), members: ['x'] },
  ]);

  for (const n of c.nodes)
    expect({ from: toHex(n.id).slice(0, 8), members: await n.getSet(key) }).toEqual({
      from: toHex(n.id).slice(0, 8),
      members: ['song-1', 'song-2'],
    });
  // Every replica holds the winning add, not only the readers' merged view.
  for (const n of byDistance.slice(0, 3)) {
    const e = await n.getLocal(key);
    expect(e?.value.kind === 'set' && (e.value.members['song-1']!.add?.c ?? 0) > removeStamp).toBe(true);
  }
});

test('putRecordMany on B beats a record version written by A whose clock is far ahead', async () => {
  const key = keyOf('test-record', 'late-import');
  const byDistance = [...c.nodes].sort((x, y) => compareDistance(key, x.id, y.id));
  const b = byDistance[byDistance.length - 1]!; // not a replica: it never sees A's stamps
  const a = byDistance[0]!;
  await bumpClock(a.address, 5_000_000, 'injector-2');
  await a.putRecord(key, new Uint8Array([1])); // stamped past 5,000,000
  const old = (await a.getRecord(key))!.stamp.c;
  expect(old).toBeGreaterThan(5_000_000);

  await b.putRecordMany([
    { key, bytes: new Uint8Array([2]) },
    { key: keyOf('test-record', 'fresh'), bytes: new Uint8Array([3]) },
  ]);
  for (const n of c.nodes) expect([...((await n.getRecord(key))?.bytes ?? [])]).toEqual([2]);
  for (const n of byDistance.slice(0, 3)) {
    const e = await n.getLocal(key);
    expect(e?.value.kind === 'record' && e.value.stamp.c > old).toBe(true);
  }
  expect([...((await a.getRecord(keyOf('test-record', 'fresh')))?.bytes ?? [])]).toEqual([3]);
});
