/**
 * Three tracker processes' worth of nodes over real TCP and HTTP (in this jest process): write
 * through one, read and search through the others, survive a tracker's death, and converge after
 * concurrent edits of the same song on two trackers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { makeLogger, toHex } from '@gotify/dht';
import { startTrackerNode, type TrackerNodeHandle } from './node.js';
import { PAGE_METHOD } from './scatter.js';

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');

async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

const SONGS = Array.from({ length: 30 }, (_, i) => ({
  id: idOf(`multi-${i}`),
  title: i === 0 ? 'Bohemian Rhapsody' : `Track Number ${i}`,
  artist: i % 2 ? 'Queen' : 'Muse',
  album: `Album ${i % 5}`,
  genre: i % 3 ? 'Rock' : 'Pop',
}));

describe('three trackers over TCP', () => {
  let dir: string;
  const nodes: TrackerNodeHandle[] = [];
  const logger = makeLogger('test', { level: 'silent' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tracker-multi-'));
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await startTrackerNode({
          name: `t${i}`,
          dataDir: join(dir, `t${i}`),
          clusterKey: 'test-key',
          bootstrap: nodes.map((n) => n.dhtAddress),
          logger,
          timers: { rpcTimeout: 1000 },
        }),
      );
    }
    // Let the first nodes learn the later ones (they join through the earlier ones).
    for (let i = 0; i < 50 && nodes.some((n) => n.node.contacts().length < 2); i++)
      await new Promise((r) => setTimeout(r, 100));
  }, 30_000);
  afterAll(async () => {
    for (const n of nodes) await n.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('write through one, read, filter, list and search through every other', async () => {
    expect(nodes.every((n) => n.node.contacts().length === 2)).toBe(true);
    expect(
      (
        await gql(
          nodes[0]!.url,
          'mutation($b: [SongMetadataInput!]!) { importSongs(inputs: $b) { imported } }',
          { b: SONGS.slice(1) },
        )
      ).importSongs.imported,
    ).toBe(29);
    await gql(nodes[0]!.url, 'mutation($i: SongMetadataInput!) { putSong(input: $i) { id } }', {
      i: SONGS[0],
    });
    for (const n of nodes.slice(1)) {
      expect(
        (await gql(n.url, 'query($id: ID!) { song(id: $id) { title } }', { id: SONGS[0]!.id })).song.title,
      ).toBe('Bohemian Rhapsody');
      expect(
        (await gql(n.url, '{ songs(filter: { artist: "queen", genre: "rock" }, first: 200) { totalCount } }'))
          .songs.totalCount,
      ).toBe(SONGS.filter((s) => s.artist === 'Queen' && s.genre === 'Rock').length);
      const all = await gql(
        n.url,
        '{ songs(first: 200, sort: TITLE) { totalCount edges { node { id } } } facets { artists { value count } } }',
      );
      expect(all.songs.totalCount).toBe(30);
      expect(new Set(all.songs.edges.map((e: any) => e.node.id)).size).toBe(30);
      expect(all.facets.artists).toEqual([
        { value: 'Muse', count: 15 },
        { value: 'Queen', count: 15 },
      ]);
      expect(
        (await gql(n.url, '{ songs(search: "bohem rapsody") { edges { node { title } } } }')).songs.edges[0]
          .node.title,
      ).toBe('Bohemian Rhapsody');
    }
    const health = await fetch(nodes[1]!.url.replace('/graphql', '/healthz'));
    expect(await health.json()).toMatchObject({ ok: true, role: 'tracker', phase: 'serving', songsHeld: 30 });
    expect(await (await fetch(nodes[1]!.url.replace('/graphql', '/metrics'))).text()).toContain(
      'gotify_tracker_songs_held',
    );
  }, 60_000);

  test("a listing's page RPC carries the owned count without facets; an asker that predates countOnly gets both", async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    const target = a.node.contacts().find((c) => toHex(c.id) === toHex(b.node.id))!;
    const members = nodes.map((n) => toHex(n.node.id)).sort();
    const ask = (extra: Record<string, unknown>) =>
      a.node.callApp(target, PAGE_METHOD, { sort: 'TITLE', order: 'ASC', first: 2, members, ...extra });
    const listing = (await ask({ countOnly: true })) as Record<string, any>;
    expect(listing.items).toHaveLength(2);
    expect(listing.count).toBeGreaterThan(0);
    expect(listing.facets).toBeUndefined();
    const old = (await ask({})) as Record<string, any>;
    expect(old.count).toBe(listing.count);
    expect(old.facets.genres.length).toBeGreaterThan(0);
  });

  test('after a tracker dies everything is still readable and searchable', async () => {
    await nodes[0]!.stop();
    for (const n of nodes.slice(1)) {
      expect(
        (await gql(n.url, 'query($id: ID!) { song(id: $id) { title } }', { id: SONGS[5]!.id })).song.title,
      ).toBe('Track Number 5');
      const page = await gql(n.url, '{ songs(first: 200) { totalCount edges { node { id } } } }');
      expect(page.songs.totalCount).toBe(30);
      expect(page.songs.edges).toHaveLength(30);
      expect(
        (await gql(n.url, '{ songs(search: "trak numbr 7") { edges { node { title } } } }')).songs.edges[0]
          .node.title,
      ).toBe('Track Number 7');
      expect(
        (await gql(n.url, '{ songs(filter: { album: "album 3" }) { totalCount } }')).songs.totalCount,
      ).toBe(6);
    }
  }, 60_000);

  test('concurrent edits of one song on two trackers converge to the same winner', async () => {
    const id = SONGS[3]!.id;
    const [a, b] = [nodes[1]!, nodes[2]!];
    await Promise.all([
      gql(
        a.url,
        'mutation($id: ID!) { updateSong(id: $id, patch: { title: "Edited On B", genre: "Jazz" }) { version } }',
        { id },
      ),
      gql(
        b.url,
        'mutation($id: ID!) { updateSong(id: $id, patch: { title: "Edited On C", artist: "Blur" }) { version } }',
        { id },
      ),
    ]);
    const seen = await Promise.all(
      [a, b].map((n) =>
        gql(n.url, 'query($id: ID!) { song(id: $id) { title artist genre version } }', { id }),
      ),
    );
    expect(seen[0]).toEqual(seen[1]);
    const winner = seen[0]!.song;
    expect(['Edited On B', 'Edited On C']).toContain(winner.title);
    for (const n of [a, b]) {
      const byTitle = await gql(
        n.url,
        'query($t: String) { songs(filter: { title: $t }) { edges { node { id title } } } }',
        { t: winner.title },
      );
      expect(byTitle.songs.edges).toEqual([{ node: { id, title: winner.title } }]);
      const loser = winner.title === 'Edited On B' ? 'Edited On C' : 'Edited On B';
      expect(
        (await gql(n.url, 'query($t: String) { songs(filter: { title: $t }) { totalCount } }', { t: loser }))
          .songs.totalCount,
      ).toBe(0);
      expect(
        (
          await gql(
            n.url,
            'query($g: String) { songs(filter: { genre: $g, artist: $a }) { totalCount } }'.replace(
              '$a',
              JSON.stringify(winner.artist),
            ),
            { g: winner.genre },
          )
        ).songs.totalCount,
      ).toBe(1);
    }
  }, 60_000);
});
