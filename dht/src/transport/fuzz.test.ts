/**
 * Hostile input against a live TCP transport: random bytes, truncated frames, huge length prefixes,
 * well-framed garbage with a bad HMAC, and correctly authenticated garbage msgpack. The process must
 * survive, the drop counters must move, and a well-behaved peer must still get its answers.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Packr } from 'msgpackr';
import type { Transport, TransportMetrics } from '../types.js';
import { MAX_FRAME_BYTES } from './frame.js';
import { makeTcpTransport, parseAddress } from './tcp.js';

const KEY = 'fuzz-cluster-key';
const drops: Record<string, number> = {};
const metrics: TransportMetrics = { dropped: (r) => void (drops[r] = (drops[r] ?? 0) + 1) };
let target: Transport;
let client: Transport;
let handled = 0;

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(0xc0ffee);
const randomBytes = (n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));

function frame(body: Buffer, key: string | null, lengthOverride?: number): Buffer {
  const mac = key ? createHmac('sha256', key).update(body).digest() : randomBytes(32);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(lengthOverride ?? 32 + body.length);
  return Buffer.concat([head, mac, body]);
}

async function blast(chunks: Buffer[], opts: { end?: boolean } = {}): Promise<void> {
  const { host, port } = parseAddress(target.address);
  const socket: Socket = connect({ host, port });
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('error', () => resolve());
  });
  for (const c of chunks) if (!socket.destroyed) socket.write(c);
  await new Promise((r) => setTimeout(r, 20));
  if (opts.end !== false) socket.destroy();
}

beforeAll(async () => {
  target = await makeTcpTransport({ clusterKey: KEY, metrics });
  target.listen(async (p) => {
    handled += 1;
    if (p.type === 'PING') return { type: 'PONG', nonce: p.nonce };
    throw new Error('unknown type');
  });
  client = await makeTcpTransport({ clusterKey: KEY });
});

afterAll(async () => {
  await Promise.all([target.close(), client.close()]);
});

test('survives hostile input and keeps serving valid peers', async () => {
  // A healthy long-lived connection from a real peer, open throughout the attack.
  expect(await client.request(target.address, { type: 'PING', nonce: 1 }, 2000)).toEqual({
    type: 'PONG',
    nonce: 1,
  });

  const packr = new Packr({ useRecords: false });
  const rounds = 40;
  for (let i = 0; i < rounds; i++) {
    // 1. random bytes, random sizes
    await blast([randomBytes(1 + Math.floor(rand() * 4096))]);
    // 2. truncated frame: valid start, connection ends mid-body
    const good = frame(packr.pack({ t: 'req', id: i, p: { type: 'PING', nonce: i } }), KEY);
    await blast([good.subarray(0, Math.floor(rand() * good.length))]);
    // 3. huge length prefix
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(MAX_FRAME_BYTES + 1 + Math.floor(rand() * 1e9));
    await blast([huge, randomBytes(64)]);
    // 4. valid length, bad HMAC
    await blast([frame(randomBytes(16 + Math.floor(rand() * 512)), null)]);
    // 5. valid HMAC, garbage body / wrong shapes, then a valid PING on the same connection
    const garbage = [
      randomBytes(1 + Math.floor(rand() * 256)),
      packr.pack({ t: 'req', id: -1, p: {} }),
      packr.pack({ t: 'bogus', id: 1, p: {} }),
      packr.pack({ t: 'req', id: 1, p: 'not an object' }),
      packr.pack([1, 2, 3]),
      packr.pack({ t: 'err', id: 1, p: { message: 42 } }),
      Buffer.from([0xc1]), // never-used msgpack byte
      Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), // array32 claiming 4G elements, no data
    ];
    await blast([...garbage.map((g) => frame(g, KEY)), good]);
    // 6. byte-by-byte dribble of a valid frame followed by random bytes
    await blast([...[...good].map((b) => Buffer.from([b])), randomBytes(100)]);
  }

  // Still alive: the old connection and a fresh peer both get answers.
  expect(await client.request(target.address, { type: 'PING', nonce: 2 }, 2000)).toEqual({
    type: 'PONG',
    nonce: 2,
  });
  const fresh = await makeTcpTransport({ clusterKey: KEY });
  try {
    expect(await fresh.request(target.address, { type: 'PING', nonce: 3 }, 2000)).toEqual({
      type: 'PONG',
      nonce: 3,
    });
  } finally {
    await fresh.close();
  }
  expect(drops.oversized).toBeGreaterThanOrEqual(rounds);
  expect(drops.auth).toBeGreaterThanOrEqual(rounds);
  expect(drops.malformed).toBeGreaterThanOrEqual(rounds * 6);
  // Valid PINGs smuggled after the garbage were served (the malformed ones did not kill the connection).
  // (step 5 and step 6 each end with a valid PING on an authenticated connection).
  expect(handled).toBeGreaterThanOrEqual(2 * rounds + 2);
}, 30_000);
