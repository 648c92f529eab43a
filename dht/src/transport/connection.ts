/**
 * One authenticated TCP connection of the TCP transport, in either direction: it carries requests
 * both ways, correlates responses by id, and enforces the per-connection input rules (oversized
 * length → close; bad HMAC → drop, close when repeated or before the peer ever authenticated;
 * malformed body → drop and keep serving).
 *
 * Does not: dial, pool, rate-limit or run the request handler (see `tcp.ts`).
 */
import type { Socket } from 'node:net';
import { TransportError, type Payload, type TransportMetrics } from '../types.js';
import { decodeMessage, encodeMessage, type WireMessage } from './codec.js';
import { FrameDecoder, encodeFrame } from './frame.js';

/** Bad-HMAC frames tolerated on a connection that has authenticated before (a corrupted frame or two), then it is closed. */
export const MAX_AUTH_FAILURES = 3;
/** An inbound connection must deliver one valid frame within this time, or it is closed (slow-loris guard). */
export const UNAUTHENTICATED_IDLE_MS = 10_000;

export interface ConnectionDeps {
  socket: Socket;
  key: Buffer;
  maxFrameBytes: number;
  metrics: TransportMetrics;
  inbound: boolean;
  /** A valid request arrived; the transport answers it through `reply`. */
  onRequest(conn: Connection, id: number, payload: Payload): void;
  onClose(conn: Connection): void;
}

export interface Connection {
  readonly inbound: boolean;
  /** Remote socket address, `ip:port`. */
  readonly remote: string;
  readonly remoteIp: string;
  readonly closed: boolean;
  request(payload: Payload, timeoutMs: number): Promise<Payload>;
  reply(msg: Extract<WireMessage, { t: 'res' | 'err' }>): void;
  close(reason: string): void;
}

interface Pending {
  resolve(p: Payload): void;
  reject(e: TransportError): void;
  timer: NodeJS.Timeout;
}

/** Largest request id before wrapping (ids only need to be unique among pending requests). */
const MAX_ID = 2 ** 31 - 1;

export function makeConnection(deps: ConnectionDeps): Connection {
  const { socket, key, metrics } = deps;
  const decoder = new FrameDecoder(key, deps.maxFrameBytes);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let authFailures = 0;
  let authenticated = false;
  let closed = false;
  const remoteIp = socket.remoteAddress ?? 'unknown';
  const remote = `${remoteIp.includes(':') ? `[${remoteIp}]` : remoteIp}:${socket.remotePort ?? 0}`;

  const idleTimer = deps.inbound
    ? setTimeout(() => conn.close('no valid frame in time'), UNAUTHENTICATED_IDLE_MS).unref()
    : undefined;

  function write(msg: WireMessage): void {
    const body = encodeMessage(msg);
    if (body.length + 32 > deps.maxFrameBytes) {
      throw new TransportError('TOO_LARGE', `frame of ${body.length} bytes exceeds ${deps.maxFrameBytes}`);
    }
    const frame = encodeFrame(key, body);
    metrics.bytesOut?.(frame.length);
    socket.write(frame);
  }

  function onMessage(msg: WireMessage): void {
    switch (msg.t) {
      case 'req':
        deps.onRequest(conn, msg.id, msg.p);
        return;
      case 'res':
      case 'err': {
        const p = pending.get(msg.id);
        if (!p) return; // late answer after a timeout: nothing waits for it
        pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.t === 'res') p.resolve(msg.p);
        else p.reject(new TransportError('REFUSED', msg.p.message));
        return;
      }
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${String(never)}`);
      }
    }
  }

  socket.on('data', (chunk: Buffer) => {
    metrics.bytesIn?.(chunk.length);
    for (const ev of decoder.push(chunk)) {
      if (closed) return;
      switch (ev.kind) {
        case 'oversized':
          metrics.dropped?.('oversized');
          conn.close(`oversized frame length ${ev.length}`);
          return;
        case 'auth':
          metrics.dropped?.('auth');
          authFailures += 1;
          if (!authenticated || authFailures >= MAX_AUTH_FAILURES) {
            conn.close('bad HMAC');
            return;
          }
          break;
        case 'short':
          metrics.dropped?.('malformed');
          break;
        case 'frame': {
          if (!authenticated) {
            authenticated = true;
            if (idleTimer) clearTimeout(idleTimer);
          }
          const msg = decodeMessage(ev.body);
          if (!msg) metrics.dropped?.('malformed');
          else onMessage(msg);
          break;
        }
        default: {
          const never: never = ev;
          throw new Error(`unknown frame event ${String(never)}`);
        }
      }
    }
  });
  socket.on('error', () => {
    /* 'close' follows and does the cleanup */
  });
  socket.on('close', () => conn.close('connection closed'));

  const conn: Connection = {
    inbound: deps.inbound,
    remote,
    remoteIp,
    get closed() {
      return closed;
    },
    request(payload, timeoutMs) {
      if (closed) return Promise.reject(new TransportError('CLOSED', 'connection closed'));
      const id = nextId;
      nextId = nextId >= MAX_ID ? 1 : nextId + 1;
      return new Promise<Payload>((resolve, reject) => {
        try {
          write({ t: 'req', id, p: payload });
        } catch (err) {
          reject(err instanceof TransportError ? err : new TransportError('REFUSED', String(err)));
          return;
        }
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new TransportError('TIMEOUT', `no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
      });
    },
    reply(msg) {
      if (closed) return;
      try {
        write(msg);
      } catch (err) {
        if (msg.t === 'res') write({ t: 'err', id: msg.id, p: { message: (err as Error).message } });
      }
    },
    close(reason) {
      if (closed) return;
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      socket.destroy();
      for (const [, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new TransportError('CLOSED', reason));
      }
      pending.clear();
      deps.onClose(conn);
    },
  };
  return conn;
}
