/**
 * TCP transport: `makeTcpTransport` listens on host:port and speaks length-prefixed, HMAC-authenticated
 * msgpack frames (see `frame.ts`, `codec.ts`) over persistent connections: one outbound connection per
 * peer address, reused by every request and re-dialled after it fails; a request arriving on any
 * connection (inbound or outbound) is answered on that same connection.
 *
 * Rate limiting: incoming requests pass a per-peer token bucket (`rate-limit.ts`). The bucket key is the
 * remote IP, except on loopback, where every node of a local cluster shares 127.0.0.1: there the key
 * is IP + remote port of the connection, i.e. one bucket per connection, so three local trackers do
 * not throttle each other during ingest. Over the limit, the request is answered with an error frame
 * (the requester gets REFUSED at once instead of a timeout) and counted as 'rate_limited'.
 *
 * Does not: retry, route, or know Kademlia messages (the RPC layer in `node/` does); encrypt (the
 * cluster key authenticates frames, it does not hide them: run the cluster on a trusted network).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { isIP } from 'node:net';
import {
  TransportError,
  type Address,
  type Payload,
  type RequestHandler,
  type Transport,
  type TransportMetrics,
} from '../types.js';
import { makeConnection, type Connection } from './connection.js';
import { MAX_FRAME_BYTES, clusterKeyBytes } from './frame.js';
import { makeRateLimiter, type RateLimitOptions } from './rate-limit.js';

export { MAX_FRAME_BYTES } from './frame.js';
export { RATE_LIMIT_BURST, RATE_LIMIT_PER_SECOND } from './rate-limit.js';

/** Inbound connections accepted at once; bounds sockets and buffered frames a flood can pin. */
export const MAX_INBOUND_CONNECTIONS = 1_024;

export interface TcpTransportOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one (read it back from `transport.address`). @default 0 */
  port?: number;
  /** Shared secret of the cluster: every frame carries an HMAC-SHA256 under it. Required. */
  clusterKey: string | Uint8Array;
  /** Largest frame (HMAC + body) sent or accepted. @default MAX_FRAME_BYTES (4 MiB) */
  maxFrameBytes?: number;
  /** Per-peer token bucket on incoming requests, or `false` to disable. @default { burst: 2000, perSecond: 1000 } */
  rateLimit?: RateLimitOptions | false;
  /** Counters for drops and bytes. @default none */
  metrics?: TransportMetrics;
}

/** Splits `host:port` (IPv6 hosts in brackets). */
export function parseAddress(address: Address): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  let host = address.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new Error(`bad address ${address}`);
  return { host, port };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

type Phase = { phase: 'serving' } | { phase: 'stopped' };

export async function makeTcpTransport(opts: TcpTransportOptions): Promise<Transport> {
  const key = clusterKeyBytes(opts.clusterKey);
  const maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
  const metrics = opts.metrics ?? {};
  const limiter = opts.rateLimit === false ? undefined : makeRateLimiter(opts.rateLimit ?? {});
  let handler: RequestHandler | undefined;
  let state: Phase = { phase: 'serving' };
  const connections = new Set<Connection>();
  /** Outbound connection (or dial in progress) per peer address. */
  const outbound = new Map<Address, Promise<Connection>>();

  function onRequest(conn: Connection, id: number, payload: Payload): void {
    const bucket = isLoopback(conn.remoteIp) ? conn.remote : conn.remoteIp;
    if (limiter && !limiter.take(bucket)) {
      metrics.dropped?.('rate_limited');
      conn.reply({ t: 'err', id, p: { message: 'rate limited' } });
      return;
    }
    if (!handler) {
      conn.reply({ t: 'err', id, p: { message: 'no handler' } });
      return;
    }
    let result: Promise<Payload>;
    try {
      result = handler(payload, conn.remote);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (p) =>
        typeof p === 'object' && p !== null && !Array.isArray(p)
          ? conn.reply({ t: 'res', id, p })
          : conn.reply({ t: 'err', id, p: { message: 'handler returned a non-object payload' } }),
      (err: unknown) =>
        conn.reply({ t: 'err', id, p: { message: err instanceof Error ? err.message : String(err) } }),
    );
  }

  function adopt(socket: Socket, inbound: boolean): Connection {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const conn = makeConnection({
      socket,
      key,
      maxFrameBytes,
      metrics,
      inbound,
      onRequest,
      onClose: (c) => connections.delete(c),
    });
    connections.add(conn);
    return conn;
  }

  const server: Server = createServer((socket) => {
    if (state.phase !== 'serving') {
      socket.destroy();
      return;
    }
    adopt(socket, true);
  });
  server.maxConnections = MAX_INBOUND_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('TCP transport: no bound address');
  const address = `${isIP(bound.address) === 6 ? `[${bound.address}]` : bound.address}:${bound.port}`;

  function dial(to: Address, timeoutMs: number): Promise<Connection> {
    const { host, port } = parseAddress(to);
    return new Promise<Connection>((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError('TIMEOUT', `connect to ${to} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        if (state.phase !== 'serving') {
          socket.destroy();
          reject(new TransportError('CLOSED', 'transport closed'));
          return;
        }
        resolve(adopt(socket, false));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new TransportError('UNREACHABLE', `${to}: ${err.code ?? err.message}`));
      });
    });
  }

  async function connectionTo(to: Address, timeoutMs: number): Promise<Connection> {
    const existing = outbound.get(to);
    if (existing) {
      const conn = await existing; // a failed dial rejects every request that shared it
      if (!conn.closed) return conn;
      if (outbound.get(to) === existing) outbound.delete(to);
      return connectionTo(to, timeoutMs); // the peer closed it: re-dial
    }
    const dialling = dial(to, timeoutMs);
    outbound.set(to, dialling);
    dialling.catch(() => {
      if (outbound.get(to) === dialling) outbound.delete(to);
    });
    return dialling;
  }

  return {
    address,
    async request(to, payload, timeoutMs) {
      if (state.phase !== 'serving') throw new TransportError('CLOSED', 'transport closed');
      const started = Date.now();
      const conn = await connectionTo(to, timeoutMs);
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) throw new TransportError('TIMEOUT', `connect to ${to} used the whole deadline`);
      return conn.request(payload, left);
    },
    listen(h) {
      handler = h;
    },
    async close() {
      if (state.phase === 'stopped') return;
      state = { phase: 'stopped' };
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of [...connections]) conn.close('transport closed');
      outbound.clear();
      await closing;
    },
  };
}
