/**
 * @gotify/schema: the GraphQL contracts of the system, as SDL strings.
 *
 * - `peerSdl`, `trackerSdl`: the two federated subgraphs (fixed files in this package).
 * - `supergraphSdl`: the committed composition of both (regenerate with `npm run compose`).
 * - `apiStreamSdl`: the API node's own graphql-ws schema (song chunk streaming); served by the
 *   API node directly and deliberately not part of the supergraph.
 *
 * What this module does not do: resolvers (subgraphs/peer, subgraphs/tracker, gateway/),
 * mapping the logical subgraph urls to live replicas (gateway/), or serving anything.
 */
import { readFileSync } from 'node:fs';
import { SUPERGRAPH_FILE } from './sdl.js';

export {
  PEER_SUBGRAPH,
  PEER_URL,
  SUPERGRAPH_FILE,
  TRACKER_SUBGRAPH,
  TRACKER_URL,
  apiStreamSdl,
  peerSdl,
  trackerSdl,
} from './sdl.js';
// Composition (@apollo/composition, ~1.5 s to load) is not re-exported here so that every node's
// start-up stays fast: import it from '@gotify/schema/composition' where it is needed.

/** The committed supergraph SDL (schema/supergraph.graphql, written by `npm run compose`). */
export const supergraphSdl: string = readFileSync(SUPERGRAPH_FILE, 'utf8');

export { depthLimitRule, MAX_QUERY_DEPTH } from './depth-limit.js';
