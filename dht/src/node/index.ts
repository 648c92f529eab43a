/** The Kademlia node core. See node.ts for the assembly and the neighbouring files for each part. */
export { makeKademliaNode } from './node.js';
export type { KademliaNodeInternal } from './node.js';
export { QuorumError, RpcError } from './errors.js';
export type { MaintenanceTask } from './maintenance.js';
