/**
 * The SDL files of this package as strings, and the subgraph names and logical urls.
 * Reads files only; composition lives in composition.ts, the committed supergraph in index.ts.
 */
import { readFileSync } from 'node:fs';

/** Read a file that lives in the package root (one level above src/). */
function readPackageFile(name: string): string {
  return readFileSync(new URL(`../${name}`, import.meta.url), 'utf8');
}

/** Subgraph name of the peer network (audio chunks, manifests, blobs). */
export const PEER_SUBGRAPH = 'peer';
/** Subgraph name of the tracker network (song metadata, search). */
export const TRACKER_SUBGRAPH = 'tracker';
/** Logical url of the peer subgraph: the API node maps it to live replicas itself. */
export const PEER_URL = 'http://peer.gotify.internal/graphql';
/** Logical url of the tracker subgraph: the API node maps it to live replicas itself. */
export const TRACKER_URL = 'http://tracker.gotify.internal/graphql';

/** Location of the committed supergraph (schema/supergraph.graphql). */
export const SUPERGRAPH_FILE: URL = new URL('../supergraph.graphql', import.meta.url);

/** SDL of the peer subgraph (schema/peer.graphql). */
export const peerSdl: string = readPackageFile('peer.graphql');
/** SDL of the tracker subgraph (schema/tracker.graphql). */
export const trackerSdl: string = readPackageFile('tracker.graphql');
/** SDL of the API node's graphql-ws streaming schema (schema/stream.graphql). */
export const apiStreamSdl: string = readPackageFile('stream.graphql');
