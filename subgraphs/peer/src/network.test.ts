/**
 * Three Peer nodes as real processes (`node --import tsx bin.ts`) over TCP on loopback: a song
 * stored through one node's GraphQL HTTP endpoint is readable through every other; after one
 * peer is killed (SIGKILL, a crash) everything is still readable and replica counts drop by one.
 */
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHUNK_SIZE, FIRST_CHUNK_SIZE, hashHex, songIdOf, splitIntoChunks } from './chunking.js';

jest.setTimeout(120_000);

/** Process start-up includes tsx compiling Apollo and the DHT: generous on a loaded 2-core box. */
const START_TIMEOUT_MS = 60_000;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
const CLUSTER_KEY = randomBytes(16).toString('hex');

interface Proc {
  child: ChildProcess;
  url: string;
  dht: string;
  nodeId: string;
}

const dir = mkdtempSync(join(tmpdir(), 'gotify-peer-net-'));
const procs: Proc[] = [];

function startPeer(name: string, bootstrap: string[]): Promise<Proc> {
  const args = [
    '--import',
    'tsx',
    BIN,
    '--name',
    name,
    '--http-port',
    '0',
    '--dht-port',
    '0',
    '--data-dir',
    join(dir, name),
  ];
  if (bootstrap.length) args.push('--bootstrap', bootstrap.join(','));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', GOTIFY_CLUSTER_KEY: CLUSTER_KEY, MONGODB_URI: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${stderr}`)), START_TIMEOUT_MS);
    let buf = '';
    let started = false;
    child.stdout!.on('data', (d) => {
      if (started) return;
      buf += String(d);
      for (const line of buf.split('\n')) {
        if (!line.includes('peer node serving')) continue;
        const log = JSON.parse(line) as { url: string; dht: string; nodeId: string };
        clearTimeout(timer);
        started = true;
        const p = { child, url: log.url, dht: log.dht, nodeId: log.nodeId };
        procs.push(p);
        resolve(p);
        return;
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${stderr}`)));
  });
}

async function gql(p: Proc, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(p.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors) throw new Error(`${p.url}: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data;
}

async function health(p: Proc): Promise<{ ok: boolean; dht: { contacts: number } }> {
  return (await fetch(p.url.replace('/graphql', '/healthz'))).json() as Promise<{
    ok: boolean;
    dht: { contacts: number };
  }>;
}

async function readSong(p: Proc, songId: string, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const { chunk } = await gql(
      p,
      'query($s: ID!, $i: Int!) { chunk(songId: $s, index: $i) { hash data } }',
      { s: songId, i },
    );
    const data = Buffer.from(chunk.data, 'base64');
    expect(hashHex(data)).toBe(chunk.hash);
    parts.push(data);
  }
  return Buffer.concat(parts);
}

const REPLICAS =
  'query($s: ID!) { songAudio(songId: $s) { audio { chunkCount replicas { min perChunk } } } }';

beforeAll(async () => {
  const first = await startPeer('peer-1', []);
  await Promise.all([startPeer('peer-2', [first.dht]), startPeer('peer-3', [first.dht])]);
  // Wait until every node knows the two others, so W=2 stores can reach their replicas.
  for (const deadline = Date.now() + 30_000; ;) {
    const contacts = await Promise.all(procs.map(async (p) => (await health(p)).dht.contacts));
    if (contacts.every((c) => c >= 2)) break;
    if (Date.now() > deadline) throw new Error(`nodes did not meet: contacts ${contacts}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.kill('SIGTERM');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
});

test('a song stored through one peer is readable through every peer, and after one is killed', async () => {
  const bytes = randomBytes(FIRST_CHUNK_SIZE + 2 * CHUNK_SIZE + 4321);
  const chunks = splitIntoChunks(bytes);
  const [a, b, c] = procs as [Proc, Proc, Proc];

  const hashes: string[] = [];
  for (const chunk of chunks) {
    const { storeChunk } = await gql(a, 'mutation($d: Base64!) { storeChunk(data: $d) { hash acks } }', {
      d: Buffer.from(chunk).toString('base64'),
    });
    expect(storeChunk.acks).toBeGreaterThanOrEqual(2);
    hashes.push(storeChunk.hash);
  }
  const input = {
    mimeType: 'audio/mpeg',
    size: bytes.length,
    chunkSize: CHUNK_SIZE,
    firstChunkSize: FIRST_CHUNK_SIZE,
    chunkHashes: hashes,
  };
  const { publishManifest } = await gql(
    a,
    'mutation($i: ManifestInput!) { publishManifest(input: $i) { id } }',
    { i: input },
  );
  const songId = songIdOf(hashes);
  expect(publishManifest.id).toBe(songId);

  for (const p of [b, c]) expect((await readSong(p, songId, chunks.length)).equals(bytes)).toBe(true);
  const before = (await gql(b, REPLICAS, { s: songId })).songAudio.audio;
  expect(before).toEqual({ chunkCount: 4, replicas: { min: 3, perChunk: [3, 3, 3, 3] } });

  // Crash the node that took the upload (and is everyone's bootstrap).
  const exited = new Promise((r) => a.child.once('exit', r));
  a.child.kill('SIGKILL');
  await exited;

  for (const p of [b, c]) expect((await readSong(p, songId, chunks.length)).equals(bytes)).toBe(true);
  const after = (await gql(c, REPLICAS, { s: songId })).songAudio.audio;
  expect(after).toEqual({ chunkCount: 4, replicas: { min: 2, perChunk: [2, 2, 2, 2] } });
  // the survivors still take new songs (W=2 of the two live nodes)
  const extra = await gql(b, 'mutation($d: Base64!) { storeChunk(data: $d) { acks } }', {
    d: randomBytes(100).toString('base64'),
  });
  expect(extra.storeChunk.acks).toBe(2);
});
