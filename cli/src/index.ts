/**
 * @gotify/cli: the local cluster (topology, supervisor, demo loader), the upload client and the
 * demo library generator, for the launcher (`npm start`), the one-node CLI and the tests.
 */
export * from './cluster/topology.js';
export * from './cluster/supervisor.js';
export * from './cluster/health.js';
export * from './cluster/upload-client.js';
export * from './cluster/demo-loader.js';
export * from './demo/index.js';
