/**
 * Runs the nodes of a topology as child processes (one process per node), with their output in
 * per-node log files, and stops them cleanly (SIGTERM, then SIGKILL after a grace period).
 * Does not decide the topology (./topology.ts) nor load songs (../demo/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeSpec } from './topology.js';
import { waitHealthy } from './health.js';

/** How long a node may take to drain after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 10_000;

export type NodeState =
  | { phase: 'starting'; pid: number }
  | { phase: 'serving'; pid: number }
  | { phase: 'exited'; code: number | null; signal: NodeJS.Signals | null };

export interface RunningNode {
  spec: NodeSpec;
  child: ChildProcess;
  state: NodeState;
  logFile: string;
}

export interface SupervisorOptions {
  /** Repository root: node entries are resolved from it. */
  root: string;
  /** Folder of the per-node log files. */
  logDir: string;
  /** Extra environment for every node. @default {} */
  env?: Record<string, string>;
  /** Called when a node exits unexpectedly. */
  onExit?(node: RunningNode): void;
}

export interface Supervisor {
  nodes: Map<string, RunningNode>;
  /** Spawns one node and resolves when its /healthz answers (or rejects after the timeout). */
  start(spec: NodeSpec, healthTimeoutMs?: number): Promise<RunningNode>;
  /** SIGTERM (or SIGKILL with `hard`) one node and waits for its exit. */
  stop(name: string, opts?: { hard?: boolean }): Promise<void>;
  stopAll(): Promise<void>;
}

export function makeSupervisor(opts: SupervisorOptions): Supervisor {
  const nodes = new Map<string, RunningNode>();
  let stopping = false;
  fs.mkdirSync(opts.logDir, { recursive: true });

  const exited = (node: RunningNode) =>
    new Promise<void>((resolve) => {
      if (node.state.phase === 'exited') return resolve();
      node.child.once('exit', () => resolve());
    });

  async function start(spec: NodeSpec, healthTimeoutMs = 60_000): Promise<RunningNode> {
    const logFile = path.join(opts.logDir, `${spec.name}.log`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(opts.root, spec.entry), ...spec.args],
      {
        cwd: opts.root,
        env: { ...process.env, ...opts.env, GOTIFY_NODE_NAME: spec.name },
        stdio: ['ignore', out, out],
      },
    );
    fs.closeSync(out);
    const node: RunningNode = { spec, child, state: { phase: 'starting', pid: child.pid ?? -1 }, logFile };
    nodes.set(spec.name, node);
    child.once('exit', (code, signal) => {
      node.state = { phase: 'exited', code, signal };
      if (!stopping && opts.onExit) opts.onExit(node);
    });
    const died = exited(node).then(() => {
      throw new Error(`${spec.name} exited during start (see ${logFile})`);
    });
    await Promise.race([waitHealthy(spec.healthUrl, healthTimeoutMs), died]);
    died.catch(() => {});
    node.state = { phase: 'serving', pid: child.pid ?? -1 };
    return node;
  }

  async function stop(name: string, o: { hard?: boolean } = {}): Promise<void> {
    const node = nodes.get(name);
    if (!node || node.state.phase === 'exited') return;
    node.child.kill(o.hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => node.child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited(node);
    clearTimeout(timer);
  }

  async function stopAll(): Promise<void> {
    stopping = true;
    // Front ends first, storage last, so nothing is asked of a node that is already gone.
    const order = ['web', 'api', 'tracker', 'peer', 'dns'];
    for (const role of order) {
      await Promise.all(
        [...nodes.values()].filter((n) => n.spec.role === role).map((n) => stop(n.spec.name)),
      );
    }
  }

  return { nodes, start, stop, stopAll };
}
