/**
 * The Tracker subgraph's GraphQL layer: the SDL of @gotify/schema (schema/tracker.graphql, used
 * verbatim) with its resolvers, as a Federation 2 subgraph schema, and an Apollo Server around it
 * with the depth limit. Does not: serve HTTP (http.ts) or own the node's lifecycle (node.ts).
 */
import { makeSongNumbers } from './song-numbers.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { gql } from 'graphql-tag';
import type { GraphQLSchema } from 'graphql';
import { QuorumError, type KademliaNode } from '@gotify/dht';
import { makeCatalogue, type Catalogue, type Order, type SortKey } from './catalogue.js';
import { makeScatter } from './scatter.js';
import { makeWrites, type Writes } from './writes.js';
import { makeReads, type Reads } from './reads.js';
import { validateId, type SongMetadata, type SongPatch, type VersionedSong } from './record.js';
import { notFound } from './errors.js';
import { depthLimitRule } from '@gotify/schema';
import { MAX_QUERY_DEPTH } from './limits.js';
import type { PartialFilter } from './keys.js';

/** Path of the tracker SDL in @gotify/schema. */
export const TRACKER_SDL_PATH = fileURLToPath(new URL('../../../schema/tracker.graphql', import.meta.url));
/** The tracker SDL text (read once). */
export const trackerSdl = (): string => readFileSync(TRACKER_SDL_PATH, 'utf8');

/** A tracker's service: its node, local catalogue, read and write paths. */
export interface TrackerService {
  node: KademliaNode;
  catalogue: Catalogue;
  reads: Reads;
  writes: Writes;
  /**
   * For the node's onViewWarmed: numbers a warmed list of song ids (a posting or index set) ahead of
   * the first search that reads it, and checks it is held here ahead of the first filter; other
   * lists (vocabulary words) are left alone.
   */
  viewWarmed(members: readonly string[]): void;
  /** Unsubscribes from the node's local changes. */
  close(): void;
}

/**
 * Wires a catalogue to the node (onLocalChange), installs the scatter-gather app RPCs.
 * Call before node.start(); feed existing shard entries with `catalogue.apply` to rebuild.
 */
export function makeTrackerService(node: KademliaNode): TrackerService {
  const numbers = makeSongNumbers();
  const catalogue = makeCatalogue(numbers);
  const unsubscribe = node.onLocalChange((c) => catalogue.apply(c));
  const scatter = makeScatter(node, catalogue);
  scatter.install();
  return {
    node,
    catalogue,
    reads: makeReads(node, catalogue, scatter, numbers),
    writes: makeWrites(node, catalogue),
    viewWarmed(members) {
      if (members.length > 0 && catalogue.get(members[0]!)) {
        numbers.ofList(members);
        catalogue.holdsAll(members); // a single-field filter's first question (filter-walk.ts)
      }
    },
    close: unsubscribe,
  };
}

export interface TrackerSchemaDeps {
  /** The tracker DHT node this subgraph fronts. */
  node: KademliaNode;
  /** An existing service for `node`. @default a new one from makeTrackerService(node) */
  service?: TrackerService;
}

const toGql = (v: VersionedSong): Record<string, unknown> => ({ ...v.song, version: v.stamp.c });

/** The Federation 2 subgraph schema (SDL of schema/tracker.graphql + resolvers). */
export function makeTrackerSchema(deps: TrackerSchemaDeps): GraphQLSchema {
  const svc = deps.service ?? makeTrackerService(deps.node);
  const { node, reads, writes, catalogue } = svc;
  const resolvers = {
    Query: {
      song: async (_: unknown, a: { id: string }) => {
        const v = await writes.read(validateId(a.id));
        if (!v) throw notFound(`song ${a.id} not found`);
        return toGql(v);
      },
      songs: async (
        _: unknown,
        a: {
          filter?: PartialFilter;
          search?: string;
          sort?: SortKey;
          order?: Order;
          first?: number;
          after?: string;
        },
      ) => {
        const page = await reads.songs(a);
        return { ...page, edges: page.edges.map((e) => ({ ...e, node: toGql(e.node) })) };
      },
      facets: (_: unknown, a: { filter?: PartialFilter }) => reads.facets(a.filter),
      trackerStatus: async () => {
        const s = await node.status();
        return {
          nodeId: s.id,
          address: s.address,
          phase: s.phase,
          contacts: s.contacts,
          keys: s.keys,
          bytes: s.bytes,
          songsHeld: catalogue.size(),
        };
      },
    },
    Mutation: {
      putSong: async (_: unknown, a: { input: SongMetadata }) => toGql(await writes.putSong(a.input)),
      importSongs: async (_: unknown, a: { inputs: SongMetadata[] }) => ({
        imported: await writes.importSongs(a.inputs),
      }),
      updateSong: async (_: unknown, a: { id: string; patch: SongPatch }) =>
        toGql(await writes.updateSong(a.id, a.patch)),
      deleteSong: (_: unknown, a: { id: string }) => writes.deleteSong(a.id),
    },
    Song: {
      __resolveReference: async (ref: { id: string }) => {
        let id: string;
        try {
          id = validateId(ref.id);
        } catch {
          return null;
        }
        const v = await writes.read(id);
        return v ? toGql(v) : null;
      },
    },
  };
  return buildSubgraphSchema([{ typeDefs: gql(trackerSdl()), resolvers: resolvers as never }]);
}

/** An Apollo Server for the subgraph, with the depth limit; call `start()` (or use executeOperation). */
export function makeTrackerServer(deps: TrackerSchemaDeps): ApolloServer {
  return new ApolloServer({
    schema: makeTrackerSchema(deps),
    validationRules: [depthLimitRule(MAX_QUERY_DEPTH)],
    // No field has a cache hint (the SDL has no @cacheControl), so the default cache-control
    // plugin only ran its per-field hook on every field of every answer: 3% of a tracker's
    // allocations while serving queries (heap profile, 100,000 songs).
    plugins: [ApolloServerPluginCacheControlDisabled()],
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, err) => {
      // A write that missed its quorum is the network's state, not a bug: say so with a stable code.
      const original = unwrapResolverError(err);
      if (original instanceof QuorumError)
        return { ...formatted, extensions: { ...formatted.extensions, code: 'UNAVAILABLE' } };
      return formatted;
    },
  });
}
