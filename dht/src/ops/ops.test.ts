import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { makeDhtMetrics, makeLogger, makeMetrics, onShutdown, serveOps, type HealthReport } from './index.js';

describe('serveOps', () => {
  let server: Server;
  let base = '';
  let health: () => Promise<HealthReport> = async () => ({ ok: true });
  const metrics = makeMetrics('gotify_test_');
  const dht = makeDhtMetrics(metrics.registry);

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (serveOps(req, res, { registry: metrics.registry, health: () => health() })) return;
      res.writeHead(404).end('role 404');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('GET /healthz is 200 with the JSON report when healthy', async () => {
    health = async () => ({ ok: true, contacts: 12 });
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ ok: true, contacts: 12 });
  });

  test('GET /healthz is 503 when unhealthy or when the check throws', async () => {
    health = async () => ({ ok: false, reason: 'no contacts' });
    let res = await fetch(`${base}/healthz?verbose=1`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, reason: 'no contacts' });
    health = async () => {
      throw new Error('store closed');
    };
    res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, error: 'store closed' });
  });

  test('GET /metrics renders default and DHT metrics in Prometheus text format', async () => {
    dht.rpcSent('PING');
    dht.rpcSent('PING');
    dht.rpcFailed('STORE', 'TIMEOUT');
    dht.lookup(3, 9);
    dht.dropped('auth');
    dht.bytesIn(100);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('gotify_test_process_cpu_user_seconds_total');
    expect(text).toContain('gotify_dht_rpc_sent_total{type="PING"} 2');
    expect(text).toContain('gotify_dht_rpc_failed_total{type="STORE",code="TIMEOUT"} 1');
    expect(text).toContain('gotify_dht_lookup_hops_count 1');
    expect(text).toContain('gotify_dht_transport_dropped_total{reason="auth"} 1');
    expect(text).toContain('gotify_dht_transport_bytes_in_total 100');
  });

  test('other paths are left to the role server; other methods get 405', async () => {
    const res = await fetch(`${base}/graphql`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('role 404');
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  test('makeDhtMetrics on the same registry twice reuses the metrics', () => {
    expect(() => makeDhtMetrics(metrics.registry)).not.toThrow();
  });
});

describe('makeLogger', () => {
  test('writes JSON lines with name and level at the chosen level', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = makeLogger('tracker-1', { level: 'info', destination, base: { role: 'tracker' } });
    log.debug('hidden');
    log.info({ keys: 3 }, 'stored');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      name: 'tracker-1',
      role: 'tracker',
      msg: 'stored',
      keys: 3,
      level: 30,
    });
  });

  test('is silent under NODE_ENV=test unless LOG_LEVEL is set', () => {
    const saved = process.env.LOG_LEVEL;
    delete process.env.LOG_LEVEL;
    try {
      expect(makeLogger('x').level).toBe(process.env.NODE_ENV === 'test' ? 'silent' : 'info');
      process.env.LOG_LEVEL = 'debug';
      expect(makeLogger('x').level).toBe('debug');
    } finally {
      if (saved === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = saved;
    }
  });
});

describe('onShutdown', () => {
  const quiet = { info() {}, warn() {}, error() {} };

  test('runs fn once on the first signal (a second is ignored), then exits 0', async () => {
    let calls = 0;
    const exits: number[] = [];
    const off = onShutdown(async () => void (calls += 1), quiet, {
      exit: (c) => exits.push(c),
      signals: ['SIGUSR2'],
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      process.emit('SIGUSR2', 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 20));
      expect(calls).toBe(1);
      expect(exits).toEqual([0]);
    } finally {
      off();
    }
  });

  test('exits 1 when fn throws, and when fn hangs past the hard timeout', async () => {
    const exits: number[] = [];
    const off1 = onShutdown(() => Promise.reject(new Error('boom')), quiet, {
      exit: (c) => exits.push(c),
      signals: ['SIGUSR2'],
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 20));
    off1();
    const off2 = onShutdown(() => new Promise<void>(() => {}), quiet, {
      exit: (c) => exits.push(c),
      signals: ['SIGUSR2'],
      hardExitMs: 50,
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 120));
    off2();
    expect(exits).toEqual([1, 1]);
  });
});

describe('a node whose stdout reader is gone', () => {
  test('exits on SIGTERM instead of hanging in an exit-time log flush (EPIPE)', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const fixture = fileURLToPath(new URL('./fixtures/broken-stdout-node.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      child.stdout!.destroy(); // the launcher's end of the pipe closes: writes get EPIPE
      await new Promise((r) => setTimeout(r, 200));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 8_000))),
      ]);
      expect(code).toBe(0);
    } finally {
      clearTimeout(timer); // a pending 8 s timer would keep Jest from exiting
      child.kill('SIGKILL');
    }
  }, 20_000);
});
