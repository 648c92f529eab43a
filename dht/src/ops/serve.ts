/**
 * `/healthz` and `/metrics` for any role's own HTTP server: `serveOps` answers those two paths and
 * returns false for everything else, so a server mounts it first and handles the rest itself.
 *
 * Does not: create the HTTP server, authenticate, or decide what "healthy" means (the role's
 * `health` callback does).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** A health check that hangs counts as unhealthy after this long (probes time out around 1–5 s). */
export const HEALTH_TIMEOUT_MS = 2_000;

export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface OpsOptions {
  /** Registry rendered at GET /metrics. */
  registry: Registry;
  /** Health of the role; `ok: false` (or a throw, or no answer in time) → 503. */
  health: () => Promise<HealthReport>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function healthz(res: ServerResponse, health: OpsOptions['health']): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let report: HealthReport;
  try {
    report = await Promise.race([
      health(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`health check took over ${HEALTH_TIMEOUT_MS} ms`)),
          HEALTH_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    report = { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
  send(res, report.ok ? 200 : 503, 'application/json', JSON.stringify(report));
}

async function metrics(res: ServerResponse, registry: Registry): Promise<void> {
  try {
    send(res, 200, registry.contentType, await registry.metrics());
  } catch (err) {
    send(res, 500, 'text/plain', `metrics failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Answers GET /healthz and GET /metrics (HEAD too; other methods get 405). Returns true when it took
 * the request (the response is completed asynchronously), false when the path is not its own.
 */
export function serveOps(req: IncomingMessage, res: ServerResponse, opts: OpsOptions): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/metrics') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return true;
  }
  void (path === '/healthz' ? healthz(res, opts.health) : metrics(res, opts.registry));
  return true;
}
