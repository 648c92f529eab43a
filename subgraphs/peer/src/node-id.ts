/** The node's persistent identity lives with the engine (dht/src/node-id.ts); re-exported here. */
export { loadOrCreateNodeId, NODE_ID_FILE } from '@gotify/dht';
