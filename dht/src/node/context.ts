/**
 * The internal context shared by the node's parts (handlers, reads, writes, maintenance), so
 * each file stays small and none needs the public object.
 */
import type { Contact, Id, Payload, ShardStore, Transport } from '../types.js';
import type { LookupResult } from './lookup.js';
import type { ResolvedOptions } from './options.js';
import type { RoutingTable } from './routing.js';
import type { RpcClient } from './rpc.js';
import type { Shard } from './shard.js';

export type Phase = 'starting' | 'serving' | 'stopping' | 'stopped';

export type AppHandler = (payload: Payload, from: Contact) => Promise<Payload>;

export interface NodeContext {
  self: Contact;
  selfHex: string;
  o: ResolvedOptions;
  transport: Transport;
  store: ShardStore;
  routing: RoutingTable;
  rpc: RpcClient;
  shard: Shard;
  appHandlers: Map<string, AppHandler>;
  phase: () => Phase;
  /** A contact was heard from (routing update + hand-over of keys to newcomers). */
  onSeen: (c: Contact) => void;
  /** Iterative FIND_NODE lookup (records bucket activity for refresh). */
  lookupNodes: (target: Id) => Promise<LookupResult>;
}
