/**
 * A cluster of real nodes on one in-memory network, for tests and the simulator.
 *
 * Does not: assert anything (tests do) or drive maintenance (callers run node.maintain()).
 */
import type { KademliaNodeOptions } from '../api.js';
import { makeKademliaNode, type KademliaNodeInternal } from '../node/index.js';
import { makeMemoryStore } from '../store/memory.js';
import { makeMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from '../transport/memory.js';

export interface TestCluster {
  net: MemoryNetwork;
  nodes: KademliaNodeInternal[];
  /** Adds and starts one more node, bootstrapping through `bootstrap` (default: the first node). */
  add(bootstrap?: string[]): Promise<KademliaNodeInternal>;
  stop(): Promise<void>;
}

export async function makeTestCluster(
  n: number,
  nodeOpts: Partial<Omit<KademliaNodeOptions, 'transport' | 'store'>> = {},
  netOpts: MemoryNetworkOptions = {},
): Promise<TestCluster> {
  const net = makeMemoryNetwork(netOpts);
  const nodes: KademliaNodeInternal[] = [];
  let seq = 0;
  async function add(bootstrap?: string[]) {
    const node = makeKademliaNode({
      ...nodeOpts,
      transport: net.makeTransport(`node-${seq++}`),
      store: makeMemoryStore(),
      bootstrap: bootstrap ?? (nodes.length ? [nodes[0]!.address] : []),
    });
    await node.start();
    nodes.push(node);
    return node;
  }
  for (let i = 0; i < n; i++) await add();
  return {
    net,
    nodes,
    add,
    async stop() {
      await Promise.all(nodes.map((x) => x.stop().catch(() => {})));
    },
  };
}
