/**
 * @gotify/peer — the Peer subgraph: song audio as content-addressed chunks in the peer DHT, a
 * manifest per song, and a Federation 2 GraphQL front (one process per peer node).
 *
 * The chunking helpers are shared with the API node, which cuts uploads with them.
 *
 * Does not: stream songs to browsers (the API node's graphql-ws server does), hold metadata (the
 * Tracker subgraph does), or implement Kademlia (@gotify/dht does).
 */
export {
  CHUNK_SIZE,
  FIRST_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  MAX_SONG_SIZE,
  chunkLayout,
  chunkSlot,
  splitIntoChunks,
  songIdOf,
  hashHex,
  isHexHash,
  type ChunkSlot,
} from './chunking.js';
export {
  buildManifest,
  decodeManifest,
  encodeManifest,
  ManifestError,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestInput,
} from './manifest.js';
export {
  makeAudioService,
  manifestKey,
  MANIFEST_NAMESPACE,
  MAX_BLOB_SIZE,
  PUBLISH_VERIFY_CONCURRENCY,
  type AudioService,
  type AudioServiceDeps,
  type ChunkRead,
  type StoredChunk,
} from './audio.js';
export {
  HAS_METHOD,
  MAX_HAS_KEYS,
  REPLICA_PROBE_WIDTH,
  installHasHandler,
  probeReplicas,
} from './replicas.js';
export { Base64Scalar, decodeBase64, encodeBase64 } from './base64.js';
export { MAX_QUERY_DEPTH, depthLimitRule } from '@gotify/schema';
export { MAX_BODY_BYTES, GRAPHQL_PATH, handleGraphQL } from './http.js';
export { PEER_BLOB_POLICY, PEER_MANIFEST_POLICY, PEER_REPLICATION } from './policy.js';
export { makePeerMetrics, type PeerMetrics } from './metrics.js';
export { makePeerSchema, makePeerResolvers, type PeerSchemaDeps } from './schema.js';
export { PEER_SDL } from './sdl.js';
export { startPeerNode, type PeerNode, type PeerNodeOptions, type PeerPhase } from './node.js';
export { loadOrCreateNodeId, NODE_ID_FILE } from './node-id.js';
