import { TransportError } from '../types.js';
import { makeMemoryNetwork } from './memory.js';

const echo = async (p: Record<string, unknown>) => ({ ...p, echoed: true });

describe('memory network', () => {
  test('delivers, partitions (time out), heals, kills (unreachable)', async () => {
    const net = makeMemoryNetwork({ latencyMs: [1, 3], seed: 7 });
    const a = net.makeTransport('a');
    const b = net.makeTransport('b');
    b.listen(echo);
    expect(await a.request('b', { x: 1 }, 200)).toEqual({ x: 1, echoed: true });

    net.partition([['a'], ['b']]);
    await expect(a.request('b', {}, 50)).rejects.toMatchObject({ code: 'TIMEOUT' });
    net.heal();
    expect((await a.request('b', {}, 200)).echoed).toBe(true);

    net.kill('b');
    const err = await a.request('b', {}, 200).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('UNREACHABLE');
    await expect(a.request('nobody', {}, 200)).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(net.stats().timeouts).toBe(1);
    await a.close();
    await expect(a.request('b', {}, 200)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  test('drops are seeded and surface as timeouts', async () => {
    const net = makeMemoryNetwork({ dropRate: 1 });
    const a = net.makeTransport();
    const b = net.makeTransport();
    b.listen(echo);
    await expect(a.request(b.address, {}, 20)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(net.stats().dropped).toBe(1);
  });

  test('zero latency scales to thousands of transports', async () => {
    const net = makeMemoryNetwork();
    const ts = Array.from({ length: 2000 }, () => net.makeTransport());
    ts.forEach((t) => t.listen(echo));
    const res = await Promise.all(ts.map((t, i) => t.request(ts[(i + 1) % ts.length]!.address, { i }, 1000)));
    expect(res.every((r, i) => r.i === i)).toBe(true);
  });
});
