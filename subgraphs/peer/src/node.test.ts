/**
 * `startPeerNode` in-process on real sockets: /healthz shape, /metrics, the HTTP body limit, the
 * persisted node id surviving a restart, and an idempotent stop.
 */
import { afterAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_BODY_BYTES } from './http.js';
import { NODE_ID_FILE } from './node-id.js';
import { startDnsNode } from '@gotify/dns';
import { startPeerNode } from './node.js';

const dir = mkdtempSync(join(tmpdir(), 'gotify-peer-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = {
  name: 'peer-t',
  dataDir: join(dir, 'peer-t'),
  clusterKey: 'test-key',
  replication: { blob: { r: 1, w: 1 }, record: { r: 1, w: 1 } },
};

test('serves /graphql, /healthz, /metrics; refuses oversized bodies; keeps its id across restarts', async () => {
  const peer = await startPeerNode(opts);
  const base = peer.url.replace(/\/graphql$/, '');
  try {
    const health = (await (await fetch(`${base}/healthz`)).json()) as Record<string, any>;
    expect(health).toMatchObject({ ok: true, role: 'peer', name: 'peer-t', phase: 'serving' });
    expect(health.dht).toMatchObject({ nodeId: expect.stringMatching(/^[0-9a-f]{64}$/), contacts: 0 });
    expect(readFileSync(join(opts.dataDir, NODE_ID_FILE), 'utf8').trim()).toBe(health.dht.nodeId);

    const data = randomBytes(1000).toString('base64');
    const stored = await fetch(peer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($d: Base64!) { storeChunk(data: $d) { acks } }',
        variables: { d: data },
      }),
    });
    expect(await stored.json()).toEqual({ data: { storeChunk: { acks: 1 } } });
    // The node's own time for the request (schema/src/graphql-http.ts), apart from the client's.
    const timing = /^graphql;dur=(\d+\.\d{2})$/.exec(stored.headers.get('server-timing') ?? '');
    expect(timing).not.toBeNull();
    expect(Number(timing![1])).toBeGreaterThan(0);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/gotify_peer_stored_total\{kind="chunk"\} 1/);

    const big = await fetch(peer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($d: Base64!) { storeChunk(data: $d) { acks } }',
        variables: { d: 'A'.repeat(MAX_BODY_BYTES) },
      }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

    expect((await fetch(`${base}/nope`)).status).toBe(404);
  } finally {
    await peer.stop();
    await peer.stop();
  }
  expect(peer.phase()).toBe('stopped');

  const again = await startPeerNode(opts);
  try {
    const status = (await (
      await fetch(again.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ peerStatus { nodeId keys } }' }),
      })
    ).json()) as any;
    expect(status.data.peerStatus.nodeId).toBe(readFileSync(join(opts.dataDir, NODE_ID_FILE), 'utf8').trim());
    expect(status.data.peerStatus.keys).toBe(1);
  } finally {
    await again.stop();
  }
});

test('announces its GraphQL address to the DNS role and withdraws on stop', async () => {
  const dns = await startDnsNode({ clusterKey: 'test-key', dnsPort: 0, httpPort: 0 });
  const nodes = async () =>
    (
      (await (await fetch(`http://${dns.httpAddress}/nodes`)).json()) as {
        nodes: { role: string; name: string; port: number }[];
      }
    ).nodes;
  try {
    const peer = await startPeerNode({
      name: 'peer-dns',
      clusterKey: 'test-key',
      dnsNodes: [dns.httpAddress],
    });
    const port = Number(new URL(peer.url).port);
    expect(await nodes()).toEqual(
      expect.arrayContaining([expect.objectContaining({ role: 'peer', name: 'peer-dns', port })]),
    );
    await peer.stop();
    expect((await nodes()).filter((n) => n.name === 'peer-dns')).toEqual([]);
  } finally {
    await dns.stop();
  }
});
