/**
 * `npm start`: builds what needs building, starts the whole local cluster (2 DNS, 2 API, 3 Peer,
 * 3 Tracker, 2 Web nodes, each its own process, data under ./data), prints every node and URL,
 * loads the demo library on first start, and stops everything cleanly on Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLocalTopology } from '../cluster/topology.js';
import { makeSupervisor } from '../cluster/supervisor.js';
import { loadDemoLibrary } from '../cluster/demo-loader.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = path.resolve(process.env.GOTIFY_DATA_DIR ?? path.join(root, 'data'));
fs.mkdirSync(dataDir, { recursive: true });

/** The cluster key is generated once and kept with the data, so a restart keeps the same network. */
function clusterKey(): string {
  if (process.env.GOTIFY_CLUSTER_KEY) return process.env.GOTIFY_CLUSTER_KEY;
  const file = path.join(dataDir, 'cluster-key');
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/** Paths under the repository are shown relative to it, others in full. */
function displayPath(p: string): string {
  const rel = path.relative(root, p);
  return rel.startsWith('..') ? p : rel;
}

function ensureWebBuild(): boolean {
  if (fs.existsSync(path.join(root, 'nextjs-web/.next/BUILD_ID'))) return true;
  console.log('Building the Web node (Next.js production build, once)…');
  const r = spawnSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.error('The Web build failed: starting without Web nodes.');
  return r.status === 0;
}

async function main(): Promise<void> {
  const withWeb = process.env.GOTIFY_NO_WEB ? false : ensureWebBuild();
  const key = clusterKey();
  const nodes = makeLocalTopology({ root, dataDir, clusterKey: key, withoutWeb: !withWeb });
  const sup = makeSupervisor({
    root,
    logDir: path.join(dataDir, 'logs'),
    env: { GOTIFY_CLUSTER_KEY: key, NODE_ENV: 'production' },
    onExit: (n) => console.error(`! ${n.spec.name} exited (${JSON.stringify(n.state)}); log: ${n.logFile}`),
  });
  let shuttingDown = false;
  const shutdown = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log('\nStopping every node…');
    await sup.stopAll();
    console.log('All nodes stopped. Data kept in', dataDir);
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const byRole = (role: string) => nodes.filter((n) => n.role === role);
  try {
    for (const role of ['dns', 'peer', 'tracker', 'api', 'web']) {
      process.stdout.write(`Starting ${role} nodes… `);
      await Promise.all(byRole(role).map((n) => sup.start(n, role === 'web' ? 120_000 : 60_000)));
      console.log('ok');
    }
  } catch (err) {
    console.error(`\n${(err as Error).message}`);
    await shutdown();
    return;
  }

  console.log('\nGotify is running:\n');
  console.table(
    nodes.map((n) => ({
      node: n.name,
      role: n.role,
      url: n.url,
      logs: displayPath(path.join(dataDir, 'logs', `${n.name}.log`)),
    })),
  );
  const api = byRole('api')[0]!;
  await loadDemoLibrary({ apiBase: api.healthUrl, dataDir }).catch((err) =>
    console.error('Demo library not loaded:', (err as Error).message),
  );
  const web = byRole('web')[0];
  console.log(
    `\nOpen ${web ? web.url : api.url} in a browser. Apollo Sandbox: ${api.url}. ` +
      `DNS: dig @127.0.0.1 -p 5353 api.gotify.local SRV. Ctrl-C stops everything.`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
