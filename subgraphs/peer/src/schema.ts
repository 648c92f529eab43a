/**
 * The Peer subgraph's executable schema: the fixed SDL (schema/peer.graphql) plus resolvers bound to
 * one Kademlia node through {@link makeAudioService}. Federation 2 via @apollo/subgraph, so `_service`
 * and `_entities` (Song by id) come for free.
 *
 * Does not: serve HTTP (see `http.ts`) or own the node's lifecycle (see `node.ts`).
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { KademliaNode } from '@gotify/dht';
import type { GraphQLSchema } from 'graphql';
import { makeAudioService, type AudioService, type AudioServiceDeps } from './audio.js';
import { Base64Scalar } from './base64.js';
import { isHexHash } from './chunking.js';
import { badInput, notFound } from './errors.js';
import type { Manifest, ManifestInput } from './manifest.js';
import { peerTypeDefs } from './sdl.js';

export type PeerSchemaDeps = AudioServiceDeps;

/** A Song as resolvers pass it on: `manifest` is loaded lazily when absent. */
interface SongParent {
  id: string;
  manifest?: Manifest | null;
}

function audioOf(m: Manifest) {
  return {
    manifest: m,
    size: m.size,
    mimeType: m.mimeType,
    codec: m.codec,
    bitrate: m.bitrate,
    chunkSize: m.chunkSize,
    firstChunkSize: m.firstChunkSize,
    chunkCount: m.chunkHashes.length,
    chunkHashes: m.chunkHashes,
  };
}

type AudioParent = ReturnType<typeof audioOf>;

function checkHash(name: string, hash: string): string {
  const lower = hash.toLowerCase();
  if (!isHexHash(lower)) throw badInput(`${name} must be a hex SHA-256 (64 hex chars)`);
  return lower;
}

/** Resolvers bound to an {@link AudioService}; exported for tests that need the service too. */
export function makePeerResolvers(audio: AudioService, node: KademliaNode) {
  return {
    Base64: Base64Scalar,
    Query: {
      async songAudio(_: unknown, { songId }: { songId: string }): Promise<SongParent> {
        const id = checkHash('songId', songId);
        const manifest = await audio.getManifest(id);
        if (!manifest) throw notFound(`No song ${id}`);
        return { id, manifest };
      },
      chunk: (_: unknown, { songId, index }: { songId: string; index: number }) =>
        audio.readChunk(checkHash('songId', songId), index),
      async blob(_: unknown, { hash }: { hash: string }) {
        const h = checkHash('hash', hash);
        const data = await audio.readBlob(h);
        if (!data) throw notFound(`No blob ${h}`);
        return { hash: h, data };
      },
      async peerStatus() {
        const s = await node.status();
        return {
          nodeId: s.id,
          address: s.address,
          phase: s.phase,
          contacts: s.contacts,
          keys: s.keys,
          bytes: s.bytes,
        };
      },
    },
    Mutation: {
      storeChunk: (_: unknown, { data }: { data: Uint8Array }) => audio.storeChunk(data),
      storeBlob: (_: unknown, { data }: { data: Uint8Array }) => audio.storeBlob(data),
      async publishManifest(_: unknown, { input }: { input: ManifestInput }): Promise<SongParent> {
        const manifest = await audio.publishManifest(input);
        return { id: manifest.songId, manifest };
      },
    },
    Song: {
      __resolveReference(ref: { id: string }): SongParent {
        return { id: ref.id };
      },
      async audio(song: SongParent) {
        const m =
          song.manifest !== undefined ? song.manifest : await audio.getManifest(song.id.toLowerCase());
        return m ? audioOf(m) : null;
      },
    },
    Audio: {
      replicas: (a: AudioParent) => audio.replicas(a.manifest),
    },
  };
}

/** Builds the Peer subgraph schema bound to `deps.node`. */
export function makePeerSchema(deps: PeerSchemaDeps): GraphQLSchema {
  const audio = makeAudioService(deps);
  return buildSubgraphSchema({ typeDefs: peerTypeDefs, resolvers: makePeerResolvers(audio, deps.node) });
}
