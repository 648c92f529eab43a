/**
 * @gotify/schema: the GraphQL contracts of the system, as SDL strings.
 *
 * - `peerSdl`, `trackerSdl`: the two federated subgraphs (fixed files next to this package).
 * - `supergraphSdl`: the committed composition of both (regenerate with `npm run compose`).
 * - `apiStreamSdl`: the API node's own graphql-ws schema (song chunk streaming); it is served
 *   by the API node directly and is deliberately not part of the supergraph.
 *
 * What this module does not do: resolvers (subgraphs/peer, subgraphs/tracker, gateway/),
 * mapping the logical subgraph urls to live replicas (gateway/), or serving anything.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { composeServices, type CompositionResult } from '@apollo/composition';

/** Read a file that lives in the package root (one level above src/). */
function readPackageFile(name: string): string {
  return readFileSync(new URL(`../${name}`, import.meta.url), 'utf8');
}

/** Subgraph name of the peer network (audio chunks, manifests, blobs). */
export const PEER_SUBGRAPH = 'peer';
/** Subgraph name of the tracker network (song metadata, search). */
export const TRACKER_SUBGRAPH = 'tracker';
/** Logical url of the peer subgraph: the API node resolves it to live replicas itself. */
export const PEER_URL = 'http://peer.gotify.internal/graphql';
/** Logical url of the tracker subgraph: the API node resolves it to live replicas itself. */
export const TRACKER_URL = 'http://tracker.gotify.internal/graphql';

/** Path of the committed supergraph, for the compose script. */
export const SUPERGRAPH_FILE = new URL('../supergraph.graphql', import.meta.url);

/** SDL of the peer subgraph (schema/peer.graphql). */
export const peerSdl: string = readPackageFile('peer.graphql');
/** SDL of the tracker subgraph (schema/tracker.graphql). */
export const trackerSdl: string = readPackageFile('tracker.graphql');
/** SDL of the API node's graphql-ws streaming schema (schema/stream.graphql). */
export const apiStreamSdl: string = readPackageFile('stream.graphql');

let cachedSupergraph: string | undefined;
/**
 * The committed supergraph (schema/supergraph.graphql), read lazily so that a missing file
 * only fails code that needs it (the compose script must run before it exists).
 */
export function readSupergraphSdl(): string {
  cachedSupergraph ??= readFileSync(SUPERGRAPH_FILE, 'utf8');
  return cachedSupergraph;
}

/** The committed supergraph SDL (schema/supergraph.graphql). */
export const supergraphSdl: string = readSupergraphSdl();

/** Compose both subgraphs; the raw result, with errors or hints. */
export function composeSubgraphs(): CompositionResult {
  return composeServices([
    { name: PEER_SUBGRAPH, url: PEER_URL, typeDefs: parse(peerSdl) },
    { name: TRACKER_SUBGRAPH, url: TRACKER_URL, typeDefs: parse(trackerSdl) },
  ]);
}

/** Compose both subgraphs into supergraph SDL; throws with every composition error. */
export function composeSupergraph(): string {
  const result = composeSubgraphs();
  if (result.errors) {
    const detail = result.errors.map((e) => `- ${e.message}`).join('\n');
    throw new Error(`supergraph composition failed:\n${detail}`);
  }
  return result.supergraphSdl;
}
