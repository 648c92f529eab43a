/**
 * Contract tests of the Tracker subgraph through Apollo Server's executeOperation, on a real
 * single-node DHT (memory transport) over SQLite — and MongoDB when MONGODB_URI is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parse, print as gqlPrint, visit, type ASTNode } from 'graphql';

/** Prints with every description as a block string, so "x" and """x""" compare equal. */
const print = (n: ASTNode): string => gqlPrint(visit(n, { StringValue: (v) => ({ ...v, block: true }) }));
import type { ApolloServer } from '@apollo/server';
import {
  makeKademliaNode,
  makeMemoryNetwork,
  makeMongoStore,
  makeSqliteStore,
  type KademliaNode,
  type ShardStore,
} from '@gotify/dht';
import { makeTrackerServer, trackerSdl } from './schema.js';

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');

type Result = { data?: Record<string, any>; errors?: { message: string; extensions?: { code?: string } }[] };

const SONGS = [
  {
    id: idOf('1'),
    title: 'Bohemian Rhapsody',
    artist: 'Queen',
    album: 'A Night at the Opera',
    genre: 'Rock',
    year: 1975,
  },
  {
    id: idOf('2'),
    title: "You're My Best Friend",
    artist: 'Queen',
    album: 'A Night at the Opera',
    genre: 'Rock',
  },
  { id: idOf('3'), title: 'Under Pressure', artist: 'Queen', album: 'Hot Space', genre: 'Rock' },
  {
    id: idOf('4'),
    title: 'Bohemian Like You',
    artist: 'The Dandy Warhols',
    album: 'Thirteen Tales from Urban Bohemia',
    genre: 'Indie',
  },
  { id: idOf('5'), title: 'Café del Mar', artist: 'Energy 52', album: 'Café del Mar', genre: 'Trance' },
];

const stores: [string, (() => Promise<ShardStore>) | undefined][] = [
  ['SQLite', undefined],
  [
    process.env.MONGODB_URI ? 'MongoDB' : 'MongoDB (skipped: MONGODB_URI not set)',
    process.env.MONGODB_URI
      ? () =>
          makeMongoStore({
            uri: process.env.MONGODB_URI!,
            dbName: 'gotify_test',
            collectionPrefix: `tracker_${Date.now()}.`,
          })
      : undefined,
  ],
];

describe.each(stores)('tracker subgraph contract on %s', (storeName, mongo) => {
  const run = storeName === 'SQLite' || mongo !== undefined;
  const maybe = run ? test : test.skip;
  let dir: string;
  let node: KademliaNode;
  let server: ApolloServer;

  const exec = async (query: string, variables: Record<string, unknown> = {}): Promise<Result> => {
    const res = await server.executeOperation({ query, variables });
    if (res.body.kind !== 'single') throw new Error('incremental result');
    return res.body.singleResult as Result;
  };
  const ok = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> => {
    const r = await exec(query, variables);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data!;
  };
  const codeOf = async (
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<string | undefined> => (await exec(query, variables)).errors?.[0]?.extensions?.code;

  const VAR_TYPES: Record<string, string> = { f: 'SongFilter', s: 'String', after: 'String' };
  const titles = async (args: string, variables: Record<string, unknown> = {}): Promise<string[]> => {
    const decl = Object.keys(variables)
      .map((k) => `$${k}: ${VAR_TYPES[k]}`)
      .join(', ');
    const q = `query${decl ? `(${decl})` : ''} { songs${args ? `(${args})` : ''} { edges { node { title } } } }`;
    return (await ok(q, variables)).songs.edges.map((e: any) => e.node.title);
  };

  beforeAll(async () => {
    if (!run) return;
    dir = mkdtempSync(join(tmpdir(), 'tracker-contract-'));
    const store = mongo ? await mongo() : makeSqliteStore({ file: join(dir, 'shard.sqlite') });
    // One node: replication 1/1 (the multi-node test runs the real r=3, W=2).
    node = makeKademliaNode({
      transport: makeMemoryNetwork().makeTransport('t1'),
      store,
      replication: { record: { r: 1, w: 1 }, set: { r: 1, w: 1 } },
    });
    server = makeTrackerServer({ node });
    await node.start();
    await server.start();
    for (const s of SONGS)
      await ok('mutation($i: SongMetadataInput!) { putSong(input: $i) { id version } }', { i: s });
  });
  afterAll(async () => {
    if (!run) return;
    await server.stop();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  maybe('putSong then song returns the record with a version', async () => {
    const d = await ok(
      'query($id: ID!) { song(id: $id) { id title artist album genre year uploadedAt version } }',
      { id: SONGS[0]!.id },
    );
    expect(d.song).toMatchObject({ id: SONGS[0]!.id, title: 'Bohemian Rhapsody', year: 1975 });
    expect(d.song.version).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(d.song.uploadedAt))).toBe(false);
  });

  maybe('songs with every subset of an exact filter (case and accents ignored)', async () => {
    const s = SONGS[0]!;
    const fields = ['title', 'artist', 'album', 'genre'] as const;
    for (let mask = 1; mask < 16; mask++) {
      const f: Record<string, string> = {};
      fields.forEach((k, i) => mask & (1 << i) && (f[k] = s[k].toUpperCase()));
      const got = await titles('filter: $f', { f });
      expect(got).toContain('Bohemian Rhapsody');
      const expected = SONGS.filter((x) =>
        fields.every((k) => !(k in f) || x[k].toLowerCase() === f[k]!.toLowerCase()),
      ).length;
      expect(got).toHaveLength(expected);
    }
    expect(await titles('filter: $f', { f: { title: 'cafe del mar' } })).toEqual(['Café del Mar']);
    expect(await titles('filter: $f', { f: { artist: 'Nobody' } })).toEqual([]);
  });

  maybe('search forgives partial words and one typo per word, ranks, verifies', async () => {
    const d = await ok('{ songs(search: "bohem rapsody") { edges { score node { title } } totalCount } }');
    expect(d.songs.edges[0].node.title).toBe('Bohemian Rhapsody');
    expect(d.songs.edges.map((e: any) => e.node.title)).not.toContain('Under Pressure');
    expect(d.songs.edges[0].score).toBeGreaterThan(d.songs.edges[1].score);
    expect((await titles('search: $s', { s: 'qeen presure' }))[0]).toBe('Under Pressure');
    expect(await titles('search: $s', { s: 'zzzz' })).toEqual([]);
    expect(await titles('search: $s, filter: $f', { s: 'bohemian', f: { genre: 'indie' } })).toEqual([
      'Bohemian Like You',
    ]);
  });

  maybe('search results page by cursor in the order of the whole list', async () => {
    const q = `query($s: String, $after: String, $n: Int) { songs(search: $s, first: $n, after: $after) {
      edges { cursor score node { id } } pageInfo { endCursor hasNextPage } } }`;
    for (const s of ['queen bohem', 'you', 'rock night']) {
      const all: Record<string, any> = await ok(q, { s, n: 50 });
      const want = all.songs.edges.map((e: any) => e.node.id);
      expect(want.length).toBeGreaterThan(1);
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const d: Record<string, any> = await ok(q, { s, n: 1, after });
        seen.push(...d.songs.edges.map((e: any) => e.node.id));
        if (!d.songs.pageInfo.hasNextPage) break;
        after = d.songs.pageInfo.endCursor;
      }
      expect(seen).toEqual(want);
    }
  });

  maybe('sort and cursor pagination walk every song once, both orders', async () => {
    for (const order of ['ASC', 'DESC']) {
      for (const sort of ['TITLE', 'ARTIST', 'ALBUM', 'UPLOADED_AT']) {
        const seen: string[] = [];
        let after: string | null = null;
        for (let i = 0; i < 10; i++) {
          const d: Record<string, any> = await ok(
            `query($after: String) { songs(sort: ${sort}, order: ${order}, first: 2, after: $after) { edges { cursor node { id title } } pageInfo { endCursor hasNextPage } totalCount } }`,
            { after },
          );
          expect(d.songs.totalCount).toBe(SONGS.length);
          seen.push(...d.songs.edges.map((e: any) => e.node.id));
          if (!d.songs.pageInfo.hasNextPage) break;
          after = d.songs.pageInfo.endCursor;
        }
        expect(new Set(seen).size).toBe(SONGS.length);
        expect(seen).toHaveLength(SONGS.length);
      }
    }
    const asc = await titles('sort: TITLE, order: ASC');
    expect(asc).toEqual([...asc].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    const page1 = await ok(
      '{ songs(filter: { artist: "queen" }, sort: TITLE, first: 2) { edges { node { title } } pageInfo { endCursor hasNextPage } totalCount } }',
    );
    expect(page1.songs.totalCount).toBe(3);
    const page2 = await ok(
      'query($a: String) { songs(filter: { artist: "queen" }, sort: TITLE, first: 2, after: $a) { edges { node { title } } pageInfo { hasNextPage } } }',
      { a: page1.songs.pageInfo.endCursor },
    );
    expect(page2.songs.edges.map((e: any) => e.node.title)).toEqual(["You're My Best Friend"]);
    expect(page2.songs.pageInfo.hasNextPage).toBe(false);
  });

  maybe('words that name Object.prototype properties are stored and searchable like any other', async () => {
    // "Prototype" (OutKast) and "Constructor": vocabulary sets hold words as members, and these
    // two were refused as set members, so the whole import failed.
    const odd = [
      { title: 'Prototype', artist: 'OutKast', album: 'Speakerboxxx/The Love Below', genre: 'Hip Hop' },
      { title: 'Constructor', artist: 'Tostring Hasownproperty', album: 'Valueof', genre: 'Proto' },
    ].map((s) => ({ ...s, id: createHash('sha256').update(s.title).digest('hex') }));
    await ok('mutation($i: SongMetadataInput!) { putSong(input: $i) { id } }', { i: odd[0] });
    await ok('mutation($s: [SongMetadataInput!]!) { importSongs(inputs: $s) { imported } }', { s: [odd[1]] });
    expect(await titles('search: $s', { s: 'prototype' })).toEqual(['Prototype']);
    expect(await titles('search: $s', { s: 'protoype' })).toEqual(['Prototype']); // a typo
    expect(await titles('search: $s', { s: 'constructr tostring' })).toEqual(['Constructor']);
    expect(await titles('filter: $f', { f: { title: 'constructor' } })).toEqual(['Constructor']);
    for (const s of odd) await ok('mutation($id: ID!) { deleteSong(id: $id) }', { id: s.id });
    expect(await titles('search: $s', { s: 'prototype' })).toEqual([]);
  });

  maybe('facets count artists, albums, genres (with and without filter)', async () => {
    const d = await ok(
      '{ facets { artists { value count } genres { value count } albums { value count } } }',
    );
    expect(d.facets.artists[0]).toEqual({ value: 'Queen', count: 3 });
    expect(d.facets.genres).toEqual(
      expect.arrayContaining([
        { value: 'Rock', count: 3 },
        { value: 'Indie', count: 1 },
      ]),
    );
    const f = await ok('{ facets(filter: { genre: "rock" }) { albums { value count } } }');
    expect(f.facets.albums).toEqual([
      { value: 'A Night at the Opera', count: 2 },
      { value: 'Hot Space', count: 1 },
    ]);
  });

  maybe('updateSong moves index membership and search terms', async () => {
    const id = SONGS[2]!.id;
    const before = (await ok('query($id: ID!) { song(id: $id) { version } }', { id })).song.version;
    const d = await ok(
      'mutation($id: ID!) { updateSong(id: $id, patch: { artist: "Queen & David Bowie", genre: "Pop" }) { artist genre version } }',
      { id },
    );
    expect(d.updateSong).toMatchObject({ artist: 'Queen & David Bowie', genre: 'Pop' });
    expect(d.updateSong.version).toBeGreaterThan(before);
    expect(await titles('filter: $f', { f: { artist: 'queen' } })).not.toContain('Under Pressure');
    expect(await titles('filter: $f', { f: { artist: 'queen & david bowie', genre: 'pop' } })).toEqual([
      'Under Pressure',
    ]);
    expect(await titles('search: $s', { s: 'bowei' })).toEqual(['Under Pressure']);
    const raw = await node.getSet((await import('./keys.js')).indexPostingKey('artist=queen', id));
    expect(raw).not.toContain(id);
  });

  maybe('deleteSong removes the record and every index and search posting', async () => {
    const s = SONGS[3]!;
    expect((await ok('mutation($id: ID!) { deleteSong(id: $id) }', { id: s.id })).deleteSong).toBe(true);
    expect(await codeOf('query($id: ID!) { song(id: $id) { id } }', { id: s.id })).toBe('NOT_FOUND');
    expect(await titles('filter: $f', { f: { genre: 'indie' } })).toEqual([]);
    expect(await titles('search: $s', { s: 'warhols' })).toEqual([]);
    const { indexNames, indexPostingKey, searchNames, searchKey } = await import('./keys.js');
    for (const n of indexNames(s)) expect(await node.getSet(indexPostingKey(n, s.id))).not.toContain(s.id);
    for (const n of searchNames(s)) expect(await node.getSet(searchKey(n))).not.toContain(s.id);
    expect(await codeOf('mutation($id: ID!) { deleteSong(id: $id) }', { id: s.id })).toBe('NOT_FOUND');
  });

  maybe('_entities resolves Song by id (null for unknown)', async () => {
    const d = await ok(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Song { id title } } }',
      {
        r: [
          { __typename: 'Song', id: SONGS[0]!.id },
          { __typename: 'Song', id: idOf('nope') },
        ],
      },
    );
    expect(d._entities).toEqual([{ id: SONGS[0]!.id, title: 'Bohemian Rhapsody' }, null]);
  });

  maybe('_service { sdl } is the schema file', async () => {
    const d = await ok('{ _service { sdl } }');
    // The printed subgraph schema adds federation's own definitions; every definition of the file is in it, unchanged.
    const servedDoc = visit(parse(d._service.sdl), {
      FieldDefinition: (f) => (f.name.value.startsWith('_') ? null : undefined),
    });
    const served = new Map(
      servedDoc.definitions.map((x) => ['name' in x && x.name ? x.name.value : print(x), print(x)]),
    );
    const file = parse(trackerSdl()).definitions;
    expect(file.length).toBeGreaterThan(10);
    for (const def of file) {
      if (def.kind === 'SchemaExtension') expect([...served.values()]).toContain(print(def));
      else expect(served.get((def as { name: { value: string } }).name.value)).toBe(print(def));
    }
  });

  maybe('importSongs ingests a batch and caps its size', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => ({
      id: idOf(`imp${i}`),
      title: `Imported ${i}`,
      artist: 'Batch Band',
      album: 'Bulk',
      genre: 'Noise',
    }));
    expect(
      (await ok('mutation($b: [SongMetadataInput!]!) { importSongs(inputs: $b) { imported } }', { b: batch }))
        .importSongs.imported,
    ).toBe(50);
    expect(await titles('filter: $f, first: 200', { f: { artist: 'batch band' } })).toHaveLength(50);
    expect((await titles('search: $s', { s: 'imported 17' }))[0]).toBe('Imported 17');
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ ...batch[0]!, id: idOf(`x${i}`) }));
    expect(
      await codeOf('mutation($b: [SongMetadataInput!]!) { importSongs(inputs: $b) { imported } }', {
        b: tooMany,
      }),
    ).toBe('BAD_USER_INPUT');
  });

  maybe('a big filter pages by cursor in the sort order, both orders, with an exact count', async () => {
    const batch = Array.from({ length: 120 }, (_, i) => ({
      id: idOf(`walk${i}`),
      title: `Walk ${i % 40}`, // repeated (title, artist) pairs: ties broken by id
      artist: `Walker ${i % 3}`,
      album: 'Long Walk',
      genre: 'Walkcore',
    }));
    await ok('mutation($b: [SongMetadataInput!]!) { importSongs(inputs: $b) { imported } }', { b: batch });
    const pos = (s: (typeof batch)[number]) => `${s.title.toLowerCase()}\u0000${s.artist.toLowerCase()}`;
    const asc = [...batch]
      .sort((a, b) => (pos(a) < pos(b) ? -1 : pos(a) > pos(b) ? 1 : a.id < b.id ? -1 : 1))
      .map((s) => s.id);
    for (const order of ['ASC', 'DESC']) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 30; i++) {
        const d: Record<string, any> = await ok(
          `query($f: SongFilter, $after: String) { songs(filter: $f, sort: TITLE, order: ${order}, first: 7, after: $after) { edges { node { id } } pageInfo { endCursor hasNextPage } totalCount } }`,
          { f: { genre: 'walkcore' }, after },
        );
        expect(d.songs.totalCount).toBe(120);
        seen.push(...d.songs.edges.map((e: any) => e.node.id));
        if (!d.songs.pageInfo.hasNextPage) break;
        after = d.songs.pageInfo.endCursor;
      }
      expect(seen).toEqual(order === 'ASC' ? asc : [...asc].reverse());
    }
  });

  maybe('stable error codes for bad input', async () => {
    expect(await codeOf('{ song(id: "xyz") { id } }')).toBe('BAD_USER_INPUT');
    expect(await codeOf(`{ song(id: "${idOf('unknown')}") { id } }`)).toBe('NOT_FOUND');
    expect(
      await codeOf(`mutation { updateSong(id: "${idOf('unknown')}", patch: { title: "x" }) { id } }`),
    ).toBe('NOT_FOUND');
    expect(await codeOf('{ songs(first: 201) { totalCount } }')).toBe('BAD_USER_INPUT');
    expect(await codeOf('{ songs(first: -1) { totalCount } }')).toBe('BAD_USER_INPUT');
    expect(await codeOf('{ songs(after: "bm90LWEtY3Vyc29y") { totalCount } }')).toBe('BAD_USER_INPUT');
    const c = (await ok('{ songs(sort: TITLE, first: 1) { pageInfo { endCursor } } }')).songs.pageInfo
      .endCursor;
    expect(await codeOf(`{ songs(sort: ARTIST, first: 1, after: "${c}") { totalCount } }`)).toBe(
      'BAD_USER_INPUT',
    );
    const long = 'x'.repeat(501);
    expect(
      await codeOf(
        `mutation { putSong(input: { id: "${idOf('l')}", title: "${long}", artist: "a", album: "b", genre: "c" }) { id } }`,
      ),
    ).toBe('BAD_USER_INPUT');
    expect(await codeOf(`{ songs(filter: { title: "${long}" }) { totalCount } }`)).toBe('BAD_USER_INPUT');
    const deep = '{ songs { edges { node { id } } pageInfo { endCursor } } }'.replace(
      'node { id }',
      'node { id }',
    );
    expect((await exec(deep)).errors).toBeUndefined();
  });

  maybe('query depth limit refuses deep operations', async () => {
    const frag = 'fragment F on Query { songs { edges { node { id } } } }';
    expect((await exec(`{ ...F } ${frag}`)).errors).toBeUndefined();
    const { depthLimitRule: depthLimit } = await import('@gotify/schema');
    const { validate, buildSchema } = await import('graphql');
    const schema = buildSchema('type Q { a: Q, b: Int } schema { query: Q }');
    const errs = validate(schema, parse('{ a { a { a { a { a { a { a { a { b } } } } } } } } }'), [
      depthLimit(8),
    ]);
    expect(errs[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });
});
