/**
 * A real DNS node queried by real clients: `dig` (UDP and TCP) and Node's Resolver.
 * Nodes come and go through real signed announcements (makeAnnouncer over HTTP).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { makeAnnouncer, type Announcer } from './announcer.js';
import { startDnsNode, type DnsNode } from './node.js';
import { HAS_DIG, dig, waitFor } from './testkit.js';

const KEY = 'test-cluster-key';
/** Short expiry so "missed heartbeats" tests stay fast. */
const EXPIRY_MS = 1500;
const BEAT_MS = 100;

let node: DnsNode;
const announcers: Announcer[] = [];

function announce(name: string, host: string, port: number, role: 'api' | 'web' = 'api'): Promise<Announcer> {
  const a = makeAnnouncer({
    dnsNodes: [node.httpAddress],
    role,
    name,
    host,
    port,
    clusterKey: KEY,
    intervalMs: BEAT_MS,
  });
  announcers.push(a);
  return a.start().then(() => a);
}

function resolver(): Resolver {
  const r = new Resolver({ timeout: 1000, tries: 1 });
  r.setServers([node.dnsAddress]);
  return r;
}

beforeAll(async () => {
  node = await startDnsNode({
    host: '127.0.0.1',
    dnsPort: 0,
    httpPort: 0,
    clusterKey: KEY,
    expiryMs: EXPIRY_MS,
    logger: pino({ level: 'silent' }),
  });
});
afterEach(async () => {
  await Promise.all(announcers.splice(0).map((a) => a.stop()));
});
afterAll(async () => {
  await node.stop();
});

describe("Node's Resolver", () => {
  it('resolves SRV and A for live nodes and drops a withdrawn node at once', async () => {
    const r = resolver();
    const a1 = await announce('api-1', '127.0.0.2', 4000);
    await announce('api-2', '127.0.0.3', 4001);
    const srv = await r.resolveSrv('_api._tcp.gotify.local');
    expect(srv.map((s) => `${s.name}:${s.port}`).sort()).toEqual([
      'api-1.node.gotify.local:4000',
      'api-2.node.gotify.local:4001',
    ]);
    expect((await r.resolveSrv('api.gotify.local')).length).toBe(2);
    expect((await r.resolve4('api.gotify.local')).sort()).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(await r.resolve4('api-1.node.gotify.local')).toEqual(['127.0.0.2']);
    const [rec] = await r.resolve4('api.gotify.local', { ttl: true });
    expect(rec!.ttl).toBe(2);

    await a1.stop();
    expect((await r.resolveSrv('_api._tcp.gotify.local')).map((s) => s.port)).toEqual([4001]);
    await expect(r.resolve4('api-1.node.gotify.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers NXDOMAIN for unknown names and NODATA for known names with no live nodes', async () => {
    const r = resolver();
    await expect(r.resolve4('nope.gotify.local')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r.resolveSrv('_web._tcp.gotify.local')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(r.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });
});

const withDig = HAS_DIG ? describe : describe.skip;
withDig(HAS_DIG ? 'dig' : 'dig (SKIPPED: `dig` not installed; apt-get install -y dnsutils)', () => {
  it('answers SRV with targets and additional A records, over UDP and TCP', async () => {
    await announce('api-1', '127.0.0.2', 4000);
    for (const extra of [[], ['+tcp']]) {
      const res = await dig(node.dnsAddress, 'api.gotify.local', 'SRV', extra);
      expect(res.status).toBe('NOERROR');
      expect(res.flags).toContain('aa');
      expect(res.answer).toEqual([
        ['api.gotify.local.', '2', 'IN', 'SRV', '0', '10', '4000', 'api-1.node.gotify.local.'],
      ]);
      expect(res.additional).toContainEqual(['api-1.node.gotify.local.', '2', 'IN', 'A', '127.0.0.2']);
      const alias = await dig(node.dnsAddress, '_api._tcp.gotify.local', 'SRV', extra);
      expect(alias.answer.map((l) => l[7])).toEqual(['api-1.node.gotify.local.']);
    }
  });

  it('rotates the order of SRV and A answers on every query', async () => {
    await announce('api-1', '127.0.0.2', 4000);
    await announce('api-2', '127.0.0.3', 4001);
    await announce('api-3', '127.0.0.4', 4002);
    const firstsSrv = new Set<string>();
    const firstsA = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const srv = await dig(node.dnsAddress, 'api.gotify.local', 'SRV');
      expect(srv.answer.length).toBe(3);
      firstsSrv.add(srv.answer[0]![6]!);
      const a = await dig(node.dnsAddress, 'api.gotify.local', 'A');
      expect(a.answer.map((l) => l[4]).sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      firstsA.add(a.answer[0]![4]!);
    }
    expect(firstsSrv.size).toBe(3);
    expect(firstsA.size).toBe(3);
  });

  it('drops a node that stops its heartbeats within the expiry, and withdraw removes at once', async () => {
    const crashing = await announce('api-9', '127.0.0.9', 4009);
    const leaving = await announce('web-1', '127.0.0.5', 3000, 'web');
    const srvPorts = async () =>
      (await dig(node.dnsAddress, 'api.gotify.local', 'SRV')).answer.map((l) => l[6]);
    expect(await srvPorts()).toEqual(['4009']);
    await crashing.stop({ withdraw: false }); // goes silent like a crash
    expect(await srvPorts()).toEqual(['4009']); // still within its expiry
    await waitFor(async () => (await srvPorts()).length === 0, EXPIRY_MS + 1500, 'api-9 to expire');
    const gone = await dig(node.dnsAddress, 'api.gotify.local', 'SRV');
    expect(gone.status).toBe('NOERROR');
    expect(gone.answer).toEqual([]);

    expect((await dig(node.dnsAddress, 'web.gotify.local', 'A')).answer.map((l) => l[4])).toEqual([
      '127.0.0.5',
    ]);
    await leaving.stop();
    expect((await dig(node.dnsAddress, 'web.gotify.local', 'A', ['+tcp'])).answer).toEqual([]);

    const back = await announce('api-9', '127.0.0.9', 4009); // a restarted node comes back
    expect(await srvPorts()).toEqual(['4009']);
    await back.stop();
  });

  it('answers NXDOMAIN in the zone, REFUSED outside, NOERROR/empty for other types, SOA at the apex', async () => {
    await announce('api-1', '127.0.0.2', 4000);
    expect((await dig(node.dnsAddress, 'nothing.gotify.local', 'A')).status).toBe('NXDOMAIN');
    expect((await dig(node.dnsAddress, 'ghost.node.gotify.local', 'A', ['+tcp'])).status).toBe('NXDOMAIN');
    expect((await dig(node.dnsAddress, 'example.com', 'A')).status).toBe('REFUSED');
    expect((await dig(node.dnsAddress, 'gotify.localhost', 'A')).status).toBe('REFUSED');
    const txt = await dig(node.dnsAddress, 'api.gotify.local', 'TXT');
    expect([txt.status, txt.answer.length]).toEqual(['NOERROR', 0]);
    const none = await dig(node.dnsAddress, 'tracker.gotify.local', 'SRV');
    expect([none.status, none.answer.length]).toEqual(['NOERROR', 0]);
    const upper = await dig(node.dnsAddress, 'API.Gotify.Local', 'A');
    expect(upper.answer.map((l) => l[4])).toEqual(['127.0.0.2']);
    const soa = await dig(node.dnsAddress, 'gotify.local', 'SOA');
    expect(soa.answer[0]![3]).toBe('SOA');
  });

  it('survives malformed UDP and TCP input and keeps answering', async () => {
    await announce('api-1', '127.0.0.2', 4000);
    const [host, port] = [node.dnsAddress.split(':')[0]!, Number(node.dnsAddress.split(':')[1])];
    const valid = dnsPacket.encode({
      type: 'query',
      id: 7,
      questions: [{ type: 'SRV', name: 'api.gotify.local' }],
    });
    const header = (qd: number) => Buffer.from([0, 1, 0, 0, qd >> 8, qd & 0xff, 0, 0, 0, 0, 0, 0]);
    // Each of these surely fails to decode (the random tail sits behind a header promising 65535 questions).
    const garbage = [
      Buffer.alloc(0),
      randomBytes(5),
      header(3),
      Buffer.concat([header(1), Buffer.from([63]), randomBytes(10)]),
      Buffer.concat([header(1), Buffer.from([0xc0, 0xff, 0, 1, 0, 1])]), // forward compression pointer
      Buffer.concat([header(1), Buffer.from([0x80, 1, 0, 0, 1, 0, 1])]), // reserved label type
      Buffer.concat([header(0xffff), randomBytes(500)]),
      valid.subarray(0, valid.length - 3),
    ];

    const udp = dgram.createSocket('udp4');
    for (const g of garbage) await new Promise<void>((r) => udp.send(g, port, host, () => r()));
    // A response packet must not be answered (no reflection loops).
    await new Promise<void>((r) =>
      udp.send(
        dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'api.gotify.local' }] }),
        port,
        host,
        () => r(),
      ),
    );
    const reply = new Promise<Buffer>((r) => udp.once('message', (m) => r(m)));
    udp.send(valid, port, host);
    const decoded = dnsPacket.decode(await reply);
    expect(decoded.id).toBe(7);
    expect(decoded.answers?.length).toBe(1);
    udp.close();

    const frame = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    for (const g of garbage.slice(1)) {
      const closed = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, host, () => s.write(frame(g)));
        s.on('close', () => resolve(true));
        s.on('error', () => undefined);
        s.on('data', () => undefined);
        setTimeout(() => (s.destroy(), resolve(false)), 1000);
      });
      expect(closed).toBe(true);
    }
    // Half a frame then hang up; and a length prefix promising more than is sent.
    for (const partial of [Buffer.from([0x00]), Buffer.concat([Buffer.from([0x01, 0x00]), valid])]) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, host, () => s.end(partial));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    }
    expect((await dig(node.dnsAddress, 'api.gotify.local', 'SRV', ['+tcp'])).answer.length).toBe(1);
    expect((await dig(node.dnsAddress, 'api.gotify.local', 'SRV')).answer.length).toBe(1);
  });

  it('serves two TCP queries on one connection (length-prefix framing)', async () => {
    await announce('api-1', '127.0.0.2', 4000);
    const [host, port] = [node.dnsAddress.split(':')[0]!, Number(node.dnsAddress.split(':')[1])];
    const q = (id: number) =>
      dnsPacket.streamEncode({ type: 'query', id, questions: [{ type: 'A', name: 'api.gotify.local' }] });
    const ids = await new Promise<number[]>((resolve, reject) => {
      const s = net.connect(port, host, () => s.write(Buffer.concat([q(1), q(2)])));
      let buf = Buffer.alloc(0);
      const got: number[] = [];
      s.on('error', reject);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          got.push(dnsPacket.decode(buf.subarray(2, 2 + len)).id ?? -1);
          buf = buf.subarray(2 + len);
        }
        if (got.length === 2) {
          s.end();
          resolve(got);
        }
      });
    });
    expect(ids).toEqual([1, 2]);
  });
});
