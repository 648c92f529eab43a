/**
 * Announcements over HTTP (signatures, freshness, replay), several DNS nodes learning the same
 * cluster, and the discovery client following nodes as they come and go.
 */
import { Resolver } from 'node:dns/promises';
import { pino } from 'pino';
import { makeAnnouncer, type Announcer } from './announcer.js';
import { sign } from './auth.js';
import { makeDiscovery, type DiscoveredNode } from './discovery.js';
import { startDnsNode, type DnsNode } from './node.js';
import { HAS_DIG, dig, postSigned, waitFor } from './testkit.js';

const KEY = 'another-test-key';
const silent = pino({ level: 'silent' });
let a: DnsNode;
let b: DnsNode;
const announcers: Announcer[] = [];

function announcer(
  name: string,
  host: string,
  port: number,
  dnsNodes = [a.httpAddress, b.httpAddress],
): Announcer {
  const x = makeAnnouncer({
    dnsNodes,
    role: 'api',
    name,
    host,
    port,
    clusterKey: KEY,
    intervalMs: 100,
    meta: { version: 1 },
  });
  announcers.push(x);
  return x;
}

beforeAll(async () => {
  [a, b] = await Promise.all(
    [0, 1].map(() =>
      startDnsNode({
        host: '127.0.0.1',
        dnsPort: 0,
        httpPort: 0,
        clusterKey: KEY,
        expiryMs: 800,
        logger: silent,
      }),
    ),
  );
});
afterEach(async () => {
  await Promise.all(announcers.splice(0).map((x) => x.stop()));
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
});

describe('POST /announce', () => {
  const body = (over: Record<string, unknown> = {}) => ({
    role: 'peer',
    name: 'peer-1',
    host: '127.0.0.7',
    port: 4101,
    ts: Date.now(),
    ...over,
  });

  it('rejects bad or missing signatures with 401 and learns nothing', async () => {
    expect(await postSigned(a.httpAddress, '/announce', body(), 'wrong-key')).toBe(401);
    expect(await postSigned(a.httpAddress, '/announce', body(), KEY, '00'.repeat(32))).toBe(401);
    expect(await postSigned(a.httpAddress, '/announce', body(), KEY, 'not-hex')).toBe(401);
    const res = await fetch(`http://${a.httpAddress}/announce`, {
      method: 'POST',
      body: JSON.stringify(body()),
    });
    expect(res.status).toBe(401);
    expect(a.registry.live('peer')).toEqual([]);
    const metrics = await (await fetch(`http://${a.httpAddress}/metrics`)).text();
    expect(metrics).toMatch(/gotify_dns_announcements_total\{kind="announce",result="bad_signature"\} 4/);
  });

  it('rejects stale timestamps (401), replays (409) and bad bodies (400)', async () => {
    expect(await postSigned(a.httpAddress, '/announce', body({ ts: Date.now() - 60_000 }), KEY)).toBe(401);
    expect(await postSigned(a.httpAddress, '/announce', body({ ts: Date.now() + 60_000 }), KEY)).toBe(401);
    const fresh = body({ name: 'peer-replay' });
    expect(await postSigned(a.httpAddress, '/announce', fresh, KEY)).toBe(200);
    expect(await postSigned(a.httpAddress, '/announce', fresh, KEY)).toBe(409);
    const withdraw = { role: 'peer', name: 'peer-replay', ts: Date.now() + 1 };
    expect(await postSigned(a.httpAddress, '/withdraw', withdraw, KEY)).toBe(200);
    expect(await postSigned(a.httpAddress, '/announce', fresh, KEY)).toBe(409); // cannot resurrect with an old message
    expect(a.registry.live('peer')).toEqual([]);
    expect(await postSigned(a.httpAddress, '/announce', body({ role: 'db' }), KEY)).toBe(400);
    expect(await postSigned(a.httpAddress, '/announce', body({ host: 'example.com' }), KEY)).toBe(400);
    expect(await postSigned(a.httpAddress, '/announce', body({ port: 70000 }), KEY)).toBe(400);
    const raw = 'not json';
    const res = await fetch(`http://${a.httpAddress}/announce`, {
      method: 'POST',
      body: raw,
      headers: { 'x-gotify-signature': sign(KEY, raw) },
    });
    expect(res.status).toBe(400);
    expect((await fetch(`http://${a.httpAddress}/nope`)).status).toBe(404);
  });

  it('GET /nodes and /healthz show the live registry', async () => {
    await announcer('api-1', '127.0.0.2', 4000).start();
    const nodes = (await (await fetch(`http://${a.httpAddress}/nodes`)).json()) as {
      zone: string;
      nodes: { name: string; meta: unknown }[];
    };
    expect(nodes.zone).toBe('gotify.local');
    expect(nodes.nodes.map((n) => [n.name, n.meta])).toEqual([['api-1', { version: 1 }]]);
    const health = (await (await fetch(`http://${b.httpAddress}/healthz`)).json()) as {
      status: string;
      phase: string;
      liveNodes: number;
    };
    expect(health).toEqual({ status: 'ok', phase: 'serving', liveNodes: 1 });
  });
});

describe('several DNS nodes', () => {
  it('each learns every node announced to all of them, and forgets it on withdraw', async () => {
    const x = announcer('api-1', '127.0.0.2', 4000);
    await x.start();
    for (const dns of [a, b]) {
      const r = new Resolver({ timeout: 1000, tries: 1 });
      r.setServers([dns.dnsAddress]);
      expect((await r.resolveSrv('_api._tcp.gotify.local')).map((s) => s.port)).toEqual([4000]);
      if (HAS_DIG)
        expect((await dig(dns.dnsAddress, 'api.gotify.local', 'A')).answer.map((l) => l[4])).toEqual([
          '127.0.0.2',
        ]);
    }
    await x.stop();
    expect([a.registry.live('api').length, b.registry.live('api').length]).toEqual([0, 0]);
  });

  it('discovery follows nodes coming and going, and survives the loss of one DNS node', async () => {
    const c = await startDnsNode({
      host: '127.0.0.1',
      dnsPort: 0,
      httpPort: 0,
      clusterKey: KEY,
      expiryMs: 800,
      logger: silent,
    });
    const dnsNodes = [c.httpAddress, b.httpAddress];
    const disco = makeDiscovery({ servers: [c.dnsAddress, b.dnsAddress], timeoutMs: 300 });
    try {
      await announcer('api-1', '127.0.0.2', 4000, dnsNodes).start();
      const first = await disco.resolveRole('api');
      expect(first).toEqual([{ host: '127.0.0.2', port: 4000, name: 'api-1.node.gotify.local' }]);
      expect(await disco.resolveRole('web')).toEqual([]);

      let seen: DiscoveredNode[] = [];
      const unwatch = disco.watch('api', 100, (nodes) => (seen = nodes));
      const two = announcer('api-2', '127.0.0.3', 4001, dnsNodes);
      await two.start();
      await waitFor(async () => seen.length === 2, 3000, 'watch to see api-2');
      await two.stop({ withdraw: false });
      await waitFor(async () => seen.length === 1, 3000, 'watch to see api-2 expire');
      expect(seen[0]!.port).toBe(4000);

      await c.stop(); // first DNS server gone: the resolver moves on to the next one
      await announcer('api-3', '127.0.0.4', 4002, dnsNodes).start();
      await waitFor(async () => seen.length === 2, 5000, 'watch to see api-3 through the second DNS node');
      expect(seen.map((n) => n.port).sort()).toEqual([4000, 4002]);
      unwatch();
    } finally {
      disco.close();
      await c.stop();
    }
  });

  it('large answers set TC over UDP and clients fall back to TCP', async () => {
    // Long expiry and one signed announce each: 40 beating announcers would load the test process.
    const d = await startDnsNode({
      host: '127.0.0.1',
      dnsPort: 0,
      httpPort: 0,
      clusterKey: KEY,
      expiryMs: 60_000,
      logger: silent,
    });
    try {
      for (let i = 0; i < 40; i++) {
        const body = {
          role: 'api',
          name: `api-with-a-rather-long-node-name-${i}`,
          host: `127.0.1.${i + 1}`,
          port: 5000 + i,
          ts: Date.now(),
        };
        expect(await postSigned(d.httpAddress, '/announce', body, KEY)).toBe(200);
      }
      if (HAS_DIG) {
        const udp = await dig(d.dnsAddress, 'api.gotify.local', 'SRV', ['+noedns', '+ignore']);
        expect(udp.flags).toContain('tc');
        expect(udp.answer).toEqual([]);
        expect((await dig(d.dnsAddress, 'api.gotify.local', 'SRV', ['+tcp'])).answer.length).toBe(40);
      }
      const r = new Resolver({ timeout: 2000, tries: 1 });
      r.setServers([d.dnsAddress]);
      expect((await r.resolveSrv('_api._tcp.gotify.local')).length).toBe(40);
    } finally {
      await d.stop();
    }
  }, 15_000);
});
