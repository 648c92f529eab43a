/**
 * The HTTP side of a DNS node: POST /announce and POST /withdraw (HMAC-signed heartbeats from
 * every node of the cluster), GET /nodes (the live registry, for the cluster view),
 * GET /healthz and GET /metrics. Does not answer DNS (transport.ts, answer.ts).
 */
import http from 'node:http';
import type { Logger } from 'pino';
import { MAX_ANNOUNCE_BYTES, SIGNATURE_HEADER } from './constants.js';
import { verify } from './auth.js';
import type { DnsMetrics } from './ops.js';
import { parseAnnouncement, parseWithdrawal, type Announcement, type Registry } from './registry.js';

export interface HttpDeps {
  zone: string;
  clusterKey: string;
  registry: Registry;
  metrics: DnsMetrics;
  logger: Logger;
  /** Current lifecycle phase, reported by /healthz. */
  phase(): string;
}

function send(res: http.ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ANNOUNCE_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function makeHttpHandler(d: HttpDeps): http.RequestListener {
  async function signed(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    kind: 'announce' | 'withdraw',
  ): Promise<void> {
    const count = (result: string) => d.metrics.announces.inc({ kind, result });
    const body = await readBody(req);
    if (body === null) return (count('too_large'), send(res, 413, { error: 'body too large' }));
    const sig = req.headers[SIGNATURE_HEADER];
    if (!verify(d.clusterKey, body, Array.isArray(sig) ? sig[0] : sig)) {
      count('bad_signature');
      d.logger.warn({ kind, from: req.socket.remoteAddress }, 'rejected message with a bad signature');
      return send(res, 401, { error: 'bad signature' });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return (count('bad_request'), send(res, 400, { error: 'body is not JSON' }));
    }
    const parsed = kind === 'announce' ? parseAnnouncement(json) : parseWithdrawal(json);
    if (typeof parsed === 'string') return (count('bad_request'), send(res, 400, { error: parsed }));
    const v = kind === 'announce' ? d.registry.announce(parsed as Announcement) : d.registry.withdraw(parsed);
    if (!v.ok) {
      count(v.reason);
      return send(res, v.reason === 'stale' ? 401 : 409, { error: v.reason, detail: v.detail });
    }
    count('ok');
    if ('added' in v && v.added) d.logger.info({ role: parsed.role, node: parsed.name }, 'node joined');
    if ('removed' in v && v.removed) d.logger.info({ role: parsed.role, node: parsed.name }, 'node withdrew');
    send(res, 200, { ok: true });
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    const run = async () => {
      switch (route) {
        case 'POST /announce':
          return signed(req, res, 'announce');
        case 'POST /withdraw':
          return signed(req, res, 'withdraw');
        case 'GET /nodes':
          return send(res, 200, { zone: d.zone, now: Date.now(), nodes: d.registry.all() });
        case 'GET /healthz':
          return send(res, 200, { status: 'ok', phase: d.phase(), liveNodes: d.registry.all().length });
        case 'GET /metrics':
          return send(res, 200, await d.metrics.registry.metrics(), d.metrics.registry.contentType);
        default:
          return send(res, 404, { error: 'not found' });
      }
    };
    run().catch((err: unknown) => {
      d.logger.error({ err, route }, 'http handler failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
}
