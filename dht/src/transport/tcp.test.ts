import { afterEach, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:net';
import { TransportError, type Payload, type Transport, type TransportMetrics } from '../types.js';
import { makeTcpTransport } from './tcp.js';

const KEY = 'test-cluster-key';
const open: Transport[] = [];

async function make(opts: Partial<Parameters<typeof makeTcpTransport>[0]> = {}): Promise<Transport> {
  const t = await makeTcpTransport({ clusterKey: KEY, ...opts });
  open.push(t);
  return t;
}

function counting(): TransportMetrics & { drops: Record<string, number> } {
  const drops: Record<string, number> = {};
  return { drops, dropped: (r) => void (drops[r] = (drops[r] ?? 0) + 1) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    return (err as TransportError).code;
  }
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('TCP transport', () => {
  test('resolves port 0 to a real address', async () => {
    const t = await make();
    expect(t.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(t.address.endsWith(':0')).toBe(false);
  });

  test('request/response round-trips payloads with bytes, and `from` is the remote socket', async () => {
    const a = await make();
    const b = await make();
    let seenFrom = '';
    b.listen(async (p, from) => {
      seenFrom = from;
      return { echo: p.data, n: (p.n as number) + 1, nested: { list: [1, 'two', null] } };
    });
    const data = new Uint8Array([0, 1, 2, 255]);
    const res = await a.request(b.address, { data, n: 41 }, 2000);
    expect(res.n).toBe(42);
    expect(res.echo).toBeInstanceOf(Uint8Array);
    expect([...(res.echo as Uint8Array)]).toEqual([0, 1, 2, 255]);
    expect(res.nested).toEqual({ list: [1, 'two', null] });
    expect(seenFrom).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seenFrom).not.toBe(a.address); // ephemeral port of A's outbound socket
  });

  test('many concurrent requests share one connection and are correlated', async () => {
    const a = await make();
    const b = await make();
    const froms = new Set<string>();
    b.listen(async (p, from) => {
      froms.add(from);
      // answer out of order
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      return { i: p.i };
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => a.request(b.address, { i }, 5000)),
    );
    expect(results.map((r) => r.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(froms.size).toBe(1);
  });

  test('both directions work and a 300 KiB payload fits', async () => {
    const a = await make();
    const b = await make();
    a.listen(async () => ({ who: 'a' }));
    b.listen(async (p) => ({ who: 'b', len: (p.blob as Uint8Array).length }));
    const blob = new Uint8Array(300 * 1024).fill(7);
    expect(await a.request(b.address, { blob }, 2000)).toEqual({ who: 'b', len: blob.length });
    expect(await b.request(a.address, {}, 2000)).toEqual({ who: 'a' });
  });

  test('a handler that throws becomes REFUSED with its message', async () => {
    const a = await make();
    const b = await make();
    b.listen(async () => {
      throw new Error('value too big');
    });
    await expect(a.request(b.address, {}, 2000)).rejects.toMatchObject({
      code: 'REFUSED',
      message: 'value too big',
    });
  });

  test('a slow handler makes the request time out, and the connection keeps working', async () => {
    const a = await make();
    const b = await make();
    b.listen(async (p) => {
      if (p.slow) await new Promise((r) => setTimeout(r, 500));
      return { ok: true };
    });
    expect(await codeOf(a.request(b.address, { slow: true }, 100))).toBe('TIMEOUT');
    expect(await a.request(b.address, {}, 2000)).toEqual({ ok: true });
  });

  test('an address nobody listens on is UNREACHABLE', async () => {
    const a = await make();
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    expect(await codeOf(a.request(`127.0.0.1:${port}`, {}, 2000))).toBe('UNREACHABLE');
  });

  test('closing the transport rejects pending requests with CLOSED, and later requests too', async () => {
    const a = await make();
    const b = await make();
    b.listen(() => new Promise<Payload>(() => {})); // never answers
    const pending = a.request(b.address, {}, 5000);
    await new Promise((r) => setTimeout(r, 50));
    await a.close();
    expect(await codeOf(pending)).toBe('CLOSED');
    expect(await codeOf(a.request(b.address, {}, 1000))).toBe('CLOSED');
  });

  test('the remote closing rejects pending with CLOSED, and a restarted peer is re-dialled', async () => {
    const a = await make();
    let b = await make();
    const port = Number(b.address.split(':')[1]);
    b.listen(() => new Promise<Payload>(() => {}));
    const pending = a.request(b.address, {}, 5000);
    await new Promise((r) => setTimeout(r, 50));
    await b.close();
    expect(await codeOf(pending)).toBe('CLOSED');
    b = await make({ port });
    b.listen(async () => ({ back: true }));
    expect(await a.request(b.address, {}, 2000)).toEqual({ back: true });
  });

  test('a node with another cluster key is refused and its frames counted as auth drops', async () => {
    const mb = counting();
    const a = await make({ clusterKey: 'other-key' });
    const b = await make({ metrics: mb });
    let called = 0;
    b.listen(async () => {
      called += 1;
      return {};
    });
    const code = await codeOf(a.request(b.address, { hello: 1 }, 1000));
    expect(['CLOSED', 'TIMEOUT']).toContain(code);
    expect(called).toBe(0);
    expect(mb.drops.auth).toBeGreaterThanOrEqual(1);
  });

  test('payloads above the frame cap are rejected locally with TOO_LARGE', async () => {
    const a = await make({ maxFrameBytes: 64 * 1024 });
    const b = await make();
    b.listen(async () => ({}));
    expect(await codeOf(a.request(b.address, { blob: new Uint8Array(100 * 1024) }, 1000))).toBe('TOO_LARGE');
    expect(await a.request(b.address, {}, 1000)).toEqual({});
  });

  test('a peer over its rate limit gets REFUSED and the drop is counted', async () => {
    const mb = counting();
    const a = await make();
    const b = await make({ metrics: mb, rateLimit: { burst: 5, perSecond: 1 } });
    b.listen(async () => ({ ok: true }));
    const codes = await Promise.all(Array.from({ length: 10 }, () => codeOf(a.request(b.address, {}, 2000))));
    expect(codes.filter((c) => c === 'resolved')).toHaveLength(5);
    expect(codes.filter((c) => c === 'REFUSED')).toHaveLength(5);
    expect(mb.drops.rate_limited).toBe(5);
  });
});
