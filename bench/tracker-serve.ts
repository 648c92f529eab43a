/**
 * Serves a copy of a tracker bench's data with the code checked out now: copies `--from` (the
 * `dataDir` a held `npm run bench -- tracker --hold` names) to a fresh directory, starts 3
 * trackers on it, waits until they settle, prints `{"holding": [urls]}` on stderr and serves until
 * SIGINT or SIGTERM, then stops them and deletes the copy. With `tracker-pair`, two versions of the
 * code answer the same queries on the same data. `--empty` instead starts 3 trackers on no data,
 * for `tracker-pair --ingest`.
 *
 * Its trackers use their own cluster key: the copied shards remember the original cluster's DHT
 * addresses, and a copy that could reach them would join that cluster.
 *
 * Does not: load songs (tracker.ts does) or measure anything (tracker-pair.ts does).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { startCluster, stopCluster, waitSettled, type TrackerProc } from './lib/tracker-cluster.js';

export async function run(argv: string[]): Promise<void> {
  const o = new Command()
    .option('--from <dir>', "a tracker bench's data directory (t0, t1, t2) to serve a copy of")
    .option('--empty', 'serve no data (a cluster to import into)')
    .parse(['node', 'tracker-serve', ...argv])
    .opts<{ from?: string; empty?: boolean }>();
  const from = o.from;
  if (!from === !o.empty) throw new Error('give either --from <dir> or --empty');
  if (from)
    for (const t of ['t0', 't1', 't2'])
      if (!existsSync(join(from, t))) throw new Error(`${from} has no ${t}: not a tracker bench's data`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-tracker-serve-'));
  let procs: TrackerProc[] = [];
  try {
    if (from) cpSync(from, dir, { recursive: true });
    procs = await startCluster(3, dir, `bench-serve-key-${process.pid}`);
    const settleS = await waitSettled(procs);
    console.error(
      JSON.stringify({ holding: procs.map((p) => p.url), dataDir: dir, settle_s: +settleS.toFixed(1) }),
    );
    // `on`, not `once`: a Ctrl-C reaches this process twice (through npm and tsx), see tracker.ts.
    await new Promise<void>((r) => ['SIGINT', 'SIGTERM'].forEach((sig) => process.on(sig, () => r())));
  } finally {
    await stopCluster(procs);
    rmSync(dir, { recursive: true, force: true });
  }
}
