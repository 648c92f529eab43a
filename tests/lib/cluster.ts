/**
 * Starts a real local cluster (one process per node, exactly what `npm start` runs) for the
 * cross-package tests, on ports offset from the defaults so it never clashes with `npm start`
 * or with another test file, and with its data in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLocalTopology, type NodeSpec, type Role } from '../../cli/src/cluster/topology.js';
import { makeSupervisor, type Supervisor } from '../../cli/src/cluster/supervisor.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TestCluster {
  nodes: NodeSpec[];
  sup: Supervisor;
  dataDir: string;
  clusterKey: string;
  byRole(role: Role): NodeSpec[];
  /** HTTP bases of the API nodes. */
  apis(): string[];
  startAll(): Promise<void>;
  stopAll(): Promise<void>;
  /** Stops everything and removes the data folder. */
  destroy(): Promise<void>;
}

export interface TestClusterOptions {
  /**
   * Port offset; give each test file its own multiple of 10 (10, 20, …, 90): every role's port range
   * is narrower than 10, so clusters with different offsets never share a port, nor with `npm start`.
   */
  portOffset: number;
  counts?: Partial<Record<Role, number>>;
  withoutWeb?: boolean;
  /** Reuse a data folder (restart tests). */
  dataDir?: string;
  env?: Record<string, string>;
}

export function makeTestCluster(opts: TestClusterOptions): TestCluster {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gotify-cluster-'));
  const clusterKey = 'test-cluster-key-' + opts.portOffset;
  const nodes = makeLocalTopology({
    root: ROOT,
    dataDir,
    clusterKey,
    portOffset: opts.portOffset,
    counts: opts.counts,
    withoutWeb: opts.withoutWeb ?? true,
  });
  const sup = makeSupervisor({
    root: ROOT,
    logDir: path.join(dataDir, 'logs'),
    env: { GOTIFY_CLUSTER_KEY: clusterKey, LOG_LEVEL: 'info', ...opts.env },
  });
  const byRole = (role: Role) => nodes.filter((n) => n.role === role);
  return {
    nodes,
    sup,
    dataDir,
    clusterKey,
    byRole,
    apis: () => byRole('api').map((n) => n.healthUrl),
    async startAll() {
      for (const role of ['dns', 'peer', 'tracker', 'api', 'web'] as Role[]) {
        await Promise.all(byRole(role).map((n) => sup.start(n, 120_000)));
      }
    },
    stopAll: () => sup.stopAll(),
    async destroy() {
      await sup.stopAll();
      if (!opts.dataDir && !process.env.GOTIFY_KEEP_TEST_DATA)
        fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Prints the tail of every node's log: call from a failing test to see why. */
export function dumpLogs(cluster: TestCluster, lines = 30): string {
  return cluster.nodes
    .map((n) => {
      const file = path.join(cluster.dataDir, 'logs', `${n.name}.log`);
      const text = fs.existsSync(file)
        ? fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
        : '(no log)';
      return `--- ${n.name}\n${text}`;
    })
    .join('\n');
}
