/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL responses are untyped JSON here */
/**
 * The Peer subgraph contract, run against any shard store: operations go through
 * `ApolloServer.executeOperation` on the real schema bound to a real single-node Kademlia node
 * (memory transport, r=1/W=1). Imported by `contract.test.ts` once per store backend.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import {
  fromHex,
  makeKademliaNode,
  makeMemoryNetwork,
  type KademliaNode,
  type ShardStore,
} from '@gotify/dht';
import { parse, print, visit, type DefinitionNode } from 'graphql';
import {
  CHUNK_SIZE,
  FIRST_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  hashHex,
  songIdOf,
  splitIntoChunks,
} from './chunking.js';
import { depthLimitRule, MAX_QUERY_DEPTH } from '@gotify/schema';
import { makePeerMetrics, type PeerMetrics } from './metrics.js';
import { makePeerSchema } from './schema.js';

type Result = {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** Definitions federation adds to every subgraph's `_service.sdl`, not part of our file. */
const FEDERATION_ADDED = /^(_Any|_Entity|_Service|federation__.*|link.*|key|shareable|SchemaDefinition)$/;

/**
 * Normalised SDL: one line per definition (sorted by name), printed with every string as a plain
 * string (block vs quoted descriptions do not matter), whitespace collapsed; federation additions dropped (`Query._entities`, `Query._service` included).
 */
function normaliseSdl(sdl: string): string[] {
  const name = (d: DefinitionNode) => ('name' in d && d.name ? d.name.value : d.kind);
  const doc = visit(parse(sdl), {
    StringValue: (n) => ({ ...n, block: false }),
    FieldDefinition: (n) => (n.name.value === '_entities' || n.name.value === '_service' ? null : undefined),
  });
  return doc.definitions
    .filter((d) => !FEDERATION_ADDED.test(name(d)))
    .map((d) => `${name(d)}|${print(d).replace(/\s+/g, ' ')}`)
    .sort();
}

export function definePeerContract(label: string, openStore: () => Promise<ShardStore>): void {
  describe(`Peer subgraph contract (${label})`, () => {
    let node: KademliaNode;
    let store: ShardStore;
    let server: ApolloServer;
    let metrics: PeerMetrics;

    const run = async (query: string, variables?: Record<string, unknown>): Promise<Result> => {
      const res = await server.executeOperation({ query, variables });
      if (res.body.kind !== 'single') throw new Error('incremental delivery not expected');
      return res.body.singleResult as Result;
    };
    const codeOf = (r: Result) => r.errors?.[0]?.extensions?.code;

    /** Stores `bytes` as chunks and publishes them; returns the song id and chunks. */
    async function storeSong(bytes: Uint8Array) {
      const chunks = splitIntoChunks(bytes);
      const hashes: string[] = [];
      for (const c of chunks) {
        const r = await run('mutation($d: Base64!) { storeChunk(data: $d) { hash size acks } }', {
          d: b64(c),
        });
        expect(r.errors).toBeUndefined();
        hashes.push(r.data!.storeChunk.hash);
      }
      const input = {
        mimeType: 'audio/mpeg',
        codec: 'MPEG 1 Layer 3',
        bitrate: 128_000,
        size: bytes.length,
        chunkSize: CHUNK_SIZE,
        firstChunkSize: FIRST_CHUNK_SIZE,
        chunkHashes: hashes,
      };
      return { chunks, hashes, input };
    }
    const PUBLISH =
      'mutation($i: ManifestInput!) { publishManifest(input: $i) { id audio { size chunkCount chunkHashes } } }';

    beforeAll(async () => {
      store = await openStore();
      const net = makeMemoryNetwork();
      node = makeKademliaNode({
        transport: net.makeTransport('peer-a'),
        store,
        replication: { blob: { r: 1, w: 1 }, record: { r: 1, w: 1 } },
      });
      await node.start();
      metrics = makePeerMetrics();
      server = new ApolloServer({
        schema: makePeerSchema({ node, metrics }),
        validationRules: [depthLimitRule()],
      });
      await server.start();
    });
    afterAll(async () => {
      await server?.stop();
      await node?.stop();
    });

    test('store chunks, publish, read every chunk back with its hash', async () => {
      const bytes = new Uint8Array(randomBytes(FIRST_CHUNK_SIZE + CHUNK_SIZE + 1000));
      const { chunks, hashes, input } = await storeSong(bytes);
      expect(chunks).toHaveLength(3);
      const pub = await run(PUBLISH, { i: input });
      expect(pub.errors).toBeUndefined();
      const songId = songIdOf(hashes);
      expect(pub.data!.publishManifest).toEqual({
        id: songId,
        audio: { size: bytes.length, chunkCount: 3, chunkHashes: hashes },
      });

      const read: Buffer[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await run(
          'query($s: ID!, $i: Int!) { chunk(songId: $s, index: $i) { songId index total offset size hash mimeType data } }',
          {
            s: songId,
            i,
          },
        );
        expect(r.errors).toBeUndefined();
        const c = r.data!.chunk;
        const data = Buffer.from(c.data, 'base64');
        expect(hashHex(data)).toBe(hashes[i]);
        expect(c).toMatchObject({
          songId,
          index: i,
          total: 3,
          size: chunks[i]!.length,
          hash: hashes[i],
          mimeType: 'audio/mpeg',
        });
        read.push(data);
      }
      expect(Buffer.concat(read).equals(Buffer.from(bytes))).toBe(true);

      const audio = await run(
        'query($s: ID!) { songAudio(songId: $s) { id audio { mimeType codec bitrate firstChunkSize replicas { min perChunk } } } }',
        {
          s: songId,
        },
      );
      expect(audio.data!.songAudio).toEqual({
        id: songId,
        audio: {
          mimeType: 'audio/mpeg',
          codec: 'MPEG 1 Layer 3',
          bitrate: 128_000,
          firstChunkSize: FIRST_CHUNK_SIZE,
          replicas: { min: 1, perChunk: [1, 1, 1] },
        },
      });
    });

    test('storing and publishing twice is harmless (idempotent)', async () => {
      const bytes = new Uint8Array(randomBytes(5000));
      const first = await storeSong(bytes);
      const second = await storeSong(bytes);
      expect(second.hashes).toEqual(first.hashes);
      const a = await run(PUBLISH, { i: first.input });
      const b = await run(PUBLISH, { i: first.input });
      expect(b.errors).toBeUndefined();
      expect(b.data).toEqual(a.data);
    });

    test('_entities resolves a Song by id; an unknown song has null audio', async () => {
      const { hashes, input } = await storeSong(new Uint8Array(randomBytes(100)));
      await run(PUBLISH, { i: input });
      const songId = songIdOf(hashes);
      const unknown = 'ab'.repeat(32);
      const r = await run(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Song { id audio { size chunkCount chunkSize } } } }',
        {
          r: [
            { __typename: 'Song', id: songId },
            { __typename: 'Song', id: unknown },
          ],
        },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!._entities).toEqual([
        { id: songId, audio: { size: 100, chunkCount: 1, chunkSize: CHUNK_SIZE } },
        { id: unknown, audio: null },
      ]);
    });

    test('_service { sdl } is the committed schema file', async () => {
      const r = await run('{ _service { sdl } }');
      const file = readFileSync(new URL('../../../schema/peer.graphql', import.meta.url), 'utf8');
      expect(normaliseSdl(r.data!._service.sdl)).toEqual(normaliseSdl(file));
    });

    test('blobs: store, read back, NOT_FOUND when unknown, BAD_USER_INPUT for a malformed hash', async () => {
      const art = new Uint8Array(randomBytes(3000));
      const s = await run('mutation($d: Base64!) { storeBlob(data: $d) { hash size acks } }', {
        d: b64(art),
      });
      expect(s.data!.storeBlob).toEqual({ hash: hashHex(art), size: 3000, acks: 1 });
      const r = await run('query($h: String!) { blob(hash: $h) { hash data } }', { h: hashHex(art) });
      expect(r.data!.blob).toEqual({ hash: hashHex(art), data: b64(art) });
      expect(codeOf(await run('{ blob(hash: "' + 'cd'.repeat(32) + '") { hash } }'))).toBe('NOT_FOUND');
      expect(codeOf(await run('{ blob(hash: "xyz") { hash } }'))).toBe('BAD_USER_INPUT');
    });

    test('error codes: NOT_FOUND for unknown songs, BAD_USER_INPUT for bad index, size, base64, hashes', async () => {
      const unknown = 'ef'.repeat(32);
      expect(codeOf(await run(`{ songAudio(songId: "${unknown}") { id } }`))).toBe('NOT_FOUND');
      expect(codeOf(await run(`{ chunk(songId: "${unknown}", index: 0) { hash } }`))).toBe('NOT_FOUND');
      expect(codeOf(await run(`{ songAudio(songId: "nothex") { id } }`))).toBe('BAD_USER_INPUT');

      const { hashes, input } = await storeSong(new Uint8Array(randomBytes(10)));
      await run(PUBLISH, { i: input });
      const songId = songIdOf(hashes);
      for (const i of [-1, 1, 99]) {
        const r = await run('query($s: ID!, $i: Int!) { chunk(songId: $s, index: $i) { hash } }', {
          s: songId,
          i,
        });
        expect(codeOf(r)).toBe('BAD_USER_INPUT');
        expect(r.errors![0]!.message).toMatch(/out of range/);
      }

      const big = await run('mutation($d: Base64!) { storeChunk(data: $d) { hash } }', {
        d: b64(new Uint8Array(MAX_CHUNK_SIZE + 1)),
      });
      expect(codeOf(big)).toBe('BAD_USER_INPUT');
      expect(big.errors![0]!.message).toMatch(new RegExp(`largest accepted is ${MAX_CHUNK_SIZE} bytes`));

      for (const d of ['not base64!', 'QUJD=', 'QUJ']) {
        expect(codeOf(await run('mutation($d: Base64!) { storeChunk(data: $d) { hash } }', { d }))).toBe(
          'BAD_USER_INPUT',
        );
      }
      // A bad literal fails validation (Apollo's code for every ill-typed literal), with our message.
      const literal = await run('mutation { storeChunk(data: "%%%") { hash } }');
      expect(codeOf(literal)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(literal.errors![0]!.message).toMatch(/not valid standard base64/);

      const badHash = await run(PUBLISH, { i: { ...input, chunkHashes: ['zz'] } });
      expect(codeOf(badHash)).toBe('BAD_USER_INPUT');
      const wrongCount = await run(PUBLISH, { i: { ...input, chunkHashes: [...hashes, hashes[0]] } });
      expect(codeOf(wrongCount)).toBe('BAD_USER_INPUT');
      const wrongSize = await run(PUBLISH, { i: { ...input, size: 11 } });
      expect(codeOf(wrongSize)).toBe('BAD_USER_INPUT');
      expect(wrongSize.errors![0]!.message).toMatch(/chunk 0 .* has 10 bytes/);
    });

    test('publishManifest refuses while a chunk is missing, so a half-stored song is never visible', async () => {
      const bytes = new Uint8Array(randomBytes(FIRST_CHUNK_SIZE + 10));
      const chunks = splitIntoChunks(bytes);
      await run('mutation($d: Base64!) { storeChunk(data: $d) { hash } }', { d: b64(chunks[0]!) });
      const hashes = chunks.map(hashHex);
      const input = {
        mimeType: 'audio/ogg',
        size: bytes.length,
        chunkSize: CHUNK_SIZE,
        firstChunkSize: FIRST_CHUNK_SIZE,
        chunkHashes: hashes,
      };
      const r = await run(PUBLISH, { i: input });
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.errors![0]!.message).toMatch(new RegExp(`chunk 1 \\(${hashes[1]}\\) is not stored`));
      const songId = songIdOf(hashes);
      expect(codeOf(await run(`{ songAudio(songId: "${songId}") { id } }`))).toBe('NOT_FOUND');
      // once the missing chunk arrives, publishing succeeds
      await run('mutation($d: Base64!) { storeChunk(data: $d) { hash } }', { d: b64(chunks[1]!) });
      expect((await run(PUBLISH, { i: input })).data!.publishManifest.id).toBe(songId);
    });

    test('a corrupt local replica is skipped and reported, never served', async () => {
      const { hashes, input } = await storeSong(new Uint8Array(randomBytes(50)));
      await run(PUBLISH, { i: input });
      const key = fromHex(hashes[0]!);
      const entry = (await store.get(key))!;
      await store.put({ ...entry, value: { kind: 'blob', bytes: new Uint8Array(randomBytes(50)) } });
      const r = await run(`{ chunk(songId: "${songIdOf(hashes)}", index: 0) { data } }`);
      expect(r.data).toBeNull();
      expect(codeOf(r)).toBe('UNAVAILABLE');
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/gotify_peer_corrupt_replicas_total\{source="local"\} [1-9]/);
    });

    test('query depth is limited (the real deepest query passes)', async () => {
      const deepest =
        '{ _entities(representations: []) { ... on Song { audio { replicas { perChunk } } } } }';
      expect((await run(deepest)).errors).toBeUndefined();
      const limited = new ApolloServer({
        schema: makePeerSchema({ node }),
        validationRules: [depthLimitRule(3)],
      });
      await limited.start();
      const frag = 'fragment A on Audio { replicas { min } }';
      const res = await limited.executeOperation({
        query: `{ songAudio(songId: "${'ab'.repeat(32)}") { audio { ...A } } } ${frag}`,
      });
      await limited.stop();
      const single = res.body.kind === 'single' ? (res.body.singleResult as Result) : undefined;
      expect(single?.errors?.[0]?.message).toBe('Query depth 4 exceeds the limit of 3');
      expect(MAX_QUERY_DEPTH).toBeGreaterThanOrEqual(4);
    });

    test('peerStatus reports the DHT node', async () => {
      const r = await run('{ peerStatus { nodeId address phase contacts keys bytes } }');
      expect(r.errors).toBeUndefined();
      expect(r.data!.peerStatus).toMatchObject({
        nodeId: expect.stringMatching(/^[0-9a-f]{64}$/),
        address: 'peer-a',
        phase: 'serving',
      });
      expect(r.data!.peerStatus.keys).toBeGreaterThan(0);
    });
  });
}
