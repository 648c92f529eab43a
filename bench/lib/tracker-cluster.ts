/**
 * A local tracker cluster for benchmarks: N tracker processes (`subgraphs/tracker/src/bin.ts` under
 * `node --import tsx`), each with its own SQLite shard under `dir`, joined over real TCP loopback,
 * plus a small GraphQL-over-HTTP client. Ports are picked by the OS (port 0) and read from each
 * process's 'tracker serving' log line.
 *
 * Does not: generate songs or measure anything (bench/tracker.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'subgraphs/tracker/src/bin.ts');
/** A tracker process that has not logged 'tracker serving' within this is a failed start (it loads its catalogue first: ~20 s at 100k songs). */
const START_TIMEOUT_MS = Number(process.env.BENCH_START_TIMEOUT ?? 180_000);
/** DHT RPC deadline in the cluster: big batched STOREs on a loaded 2-core box exceed the 2 s default. */
const RPC_TIMEOUT_MS = Number(process.env.BENCH_RPC_TIMEOUT ?? 30_000);
/** BENCH_NODE_FLAGS: extra node flags for every tracker (`--max-semi-space-size=64`, say), to compare runtime settings. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/**
 * BENCH_TEE=1: every tracker's log lines (and `--trace-gc` output) on stderr, prefixed with its
 * name, to match slow queries (BENCH_TRACE's `wall`) with what the trackers did then.
 */
const TEE = !!process.env.BENCH_TEE;

export interface TrackerProc {
  url: string;
  dht: string;
  child: ChildProcess;
}

function startOne(
  name: string,
  dataDir: string,
  clusterKey: string,
  bootstrap: string[],
): Promise<TrackerProc> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'production' };
  delete env.MONGODB_URI;
  /** BENCH_CPU_PROF=<dir>: each tracker writes a V8 CPU profile there on exit. */
  const prof = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const args = [
    ...prof,
    ...NODE_FLAGS,
    '--import',
    'tsx',
    BIN,
    '--name',
    name,
    '--data-dir',
    dataDir,
    '--cluster-key',
    clusterKey,
    '--rpc-timeout',
    String(RPC_TIMEOUT_MS),
  ];
  if (bootstrap.length > 0) args.push('--bootstrap', bootstrap.join(','));
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // not in the caller's list yet: stopCluster would leave it running
      reject(new Error(`${name} did not start`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    let serving = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (TEE) process.stderr.write(`${name} ${line}\n`);
      if (serving) return;
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string; dht?: string; level?: number };
        if (j.msg === 'tracker serving' && j.url && j.dht) {
          serving = true;
          clearTimeout(timer);
          resolve({ url: j.url, dht: j.dht, child });
        }
      } catch {
        /* not a log line */
      }
    });
  });
}

/** Starts `n` tracker processes one after the other, each bootstrapping through the previous ones. */
export async function startCluster(n: number, dir: string, clusterKey: string): Promise<TrackerProc[]> {
  const procs: TrackerProc[] = [];
  try {
    for (let i = 0; i < n; i++)
      procs.push(
        await startOne(
          `bench-tracker-${i}`,
          join(dir, `t${i}`),
          clusterKey,
          procs.map((p) => p.dht),
        ),
      );
  } catch (err) {
    await stopCluster(procs);
    throw err;
  }
  return procs;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  // /proc/<pid>/stat: fields after the ')' of the command name; utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // clock ticks: USER_HZ is 100 on Linux
}

/** A cluster whose processes together use less than this share of one core is settled. */
const IDLE_CPU_SHARE = 0.05;
/** How long the cluster must stay under IDLE_CPU_SHARE to count as settled. */
const IDLE_WINDOW_MS = 1000;

/**
 * Waits until the background work a big ingest leaves behind (the third replica's last batches,
 * read-view warming, SQLite checkpoints, GC) is done: every process together under IDLE_CPU_SHARE
 * of a core for IDLE_WINDOW_MS. Resolves with the seconds waited, or after `maxMs` regardless.
 */
export function waitSettled(procs: TrackerProc[], maxMs = 120_000): Promise<number> {
  return waitIdle(
    async () => procs.reduce((n, p) => n + (p.child.pid ? cpuSeconds(p.child.pid) : 0), 0),
    maxMs,
  );
}

/** The CPU seconds a tracker reports in its /metrics (`gotify_process_cpu_seconds_total`). */
async function reportedCpuSeconds(graphqlUrl: string): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const m = /^gotify_process_cpu_seconds_total ([0-9.e+-]+)$/m.exec(text);
  if (!m) throw new Error(`${graphqlUrl}: no gotify_process_cpu_seconds_total in /metrics`);
  return Number(m[1]);
}

/** waitSettled for trackers another process started (tracker-serve's): their CPU from /metrics. */
export function waitSettledAt(urls: string[], maxMs = 120_000): Promise<number> {
  return waitIdle(
    async () => (await Promise.all(urls.map(reportedCpuSeconds))).reduce((a, b) => a + b, 0),
    maxMs,
  );
}

async function waitIdle(totalCpu: () => Promise<number>, maxMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const before = await totalCpu();
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    const share = ((await totalCpu()) - before) / (IDLE_WINDOW_MS / 1000);
    if (share < IDLE_CPU_SHARE || performance.now() - t0 > maxMs) return (performance.now() - t0) / 1000;
  }
}

/** SIGTERM every process (clean shutdown) and waits for them to exit. */
export async function stopCluster(procs: TrackerProc[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null) return resolve();
          const kill = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
          p.child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          p.child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * The benchmark's HTTP client: node:http on a keep-alive agent, one socket reused by sequential
 * queries. It measures the subgraph, not the client: a `{ __typename }` round trip to a 100k-song
 * tracker took 0.77 ms p50 this way and 1.66 ms with fetch (undici) from the same process.
 */
const agent = new http.Agent({ keepAlive: true });

/** One POST; a reused keep-alive socket the server closed meanwhile is retried once on a new one (Node's http docs). */
function post(
  url: URL,
  body: string,
  retry = true,
): Promise<{ status: number; text: string; serverMs?: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const timing = /(?:^|,)\s*graphql;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(parts).toString('utf8'),
            ...(timing ? { serverMs: Number(timing[1]) } : {}),
          });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (retry && req.reusedSocket && err.code === 'ECONNRESET')
        post(url, body, false).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

/**
 * POST a GraphQL operation; throws on HTTP or GraphQL errors. `serverMs` is the node's own time
 * for it (its Server-Timing header), when it sent one.
 */
export async function gqlTimed(
  url: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ data: Record<string, any>; serverMs?: number }> {
  const res = await post(new URL(url), JSON.stringify({ query, variables }));
  const body = JSON.parse(res.text) as { data?: Record<string, any>; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`${res.status} ${JSON.stringify(body.errors)}`);
  return res.serverMs === undefined ? { data: body.data } : { data: body.data, serverMs: res.serverMs };
}

/** POST a GraphQL operation; throws on HTTP or GraphQL errors. */
export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<Record<string, any>> {
  return (await gqlTimed(url, query, variables)).data;
}
