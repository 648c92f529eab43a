/**
 * @gotify/dht — the Kademlia engine shared by the Peer and Tracker networks.
 * Public surface only; internals stay in their folders.
 */
export * from './types.js';
export type * from './api.js';
export { keyOf, sha256, toHex, fromHex, randomId, xorDistance, compareDistance } from './id.js';
export { makeKademliaNode, QuorumError } from './node/index.js';
export { makeMemoryNetwork } from './transport/memory.js';
export type { MemoryNetwork, MemoryNetworkOptions } from './transport/memory.js';
export { makeTcpTransport } from './transport/tcp.js';
export type { TcpTransportOptions } from './transport/tcp.js';
export { makeMemoryStore } from './store/memory.js';
export { makeSqliteStore } from './store/sqlite.js';
export { makeMongoStore } from './store/mongo.js';
export { makeStoreFromEnv } from './store/from-env.js';
export * from './ops/index.js';
export { loadOrCreateNodeId, NODE_ID_FILE } from './node-id.js';
export { startTestMongo, type TestMongo } from './store/test-mongo.js';
export { mapLimit } from './concurrency.js';
export { makeWeightedLru } from './weighted-lru.js';
