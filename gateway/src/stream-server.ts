/**
 * The graphql-ws server of the song stream, on the API node's own HTTP server at STREAM_PATH
 * (ws://host:port/stream), with a low incoming message cap and connection caps per node and per
 * client IP (refused at the HTTP upgrade with 503 / 429, before any websocket exists). Browsers'
 * Origin is checked against the CORS origins when a list is configured.
 *
 * What this module does not do: resolve chunks (stream.ts) or route plain HTTP (http.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import {
  MAX_WS_CONNECTIONS,
  MAX_WS_CONNECTIONS_PER_IP,
  STREAM_PATH,
  WS_MAX_PAYLOAD_BYTES,
} from './policy.js';
import { originAllowed, type CorsOrigins } from './cors.js';

export interface StreamServerOptions {
  server: Server;
  schema: GraphQLSchema;
  /** @default MAX_WS_CONNECTIONS (1000) */
  maxConnections?: number;
  /** @default MAX_WS_CONNECTIONS_PER_IP (16) */
  maxConnectionsPerIp?: number;
  /** Largest incoming websocket message. @default WS_MAX_PAYLOAD_BYTES (64 KiB) */
  maxPayload?: number;
  /** Allowed browser origins. @default '*' */
  corsOrigins?: CorsOrigins;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Connection count changes (metrics). */
  onConnections?: (open: number) => void;
}

export interface StreamServer {
  /** Open websocket connections. */
  connections(): number;
  /** Close every connection (1001 Going away) and the websocket server. */
  close(): Promise<void>;
}

/** Wait for clients to answer our close frame on shutdown before cutting them off. */
export const WS_CLOSE_GRACE_MS = 1000;

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
  );
}

export function attachStreamServer(opts: StreamServerOptions): StreamServer {
  const maxConnections = opts.maxConnections ?? MAX_WS_CONNECTIONS;
  const maxPerIp = opts.maxConnectionsPerIp ?? MAX_WS_CONNECTIONS_PER_IP;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? WS_MAX_PAYLOAD_BYTES });
  const perIp = new Map<string, number>();
  let open = 0;
  let closing = false;

  const disposable = useServer({ schema: opts.schema }, wss);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== STREAM_PATH) return refuse(socket, 404, 'Not Found');
    if (closing) return refuse(socket, 503, 'Service Unavailable');
    if (!originAllowed(opts.corsOrigins ?? '*', req.headers.origin)) return refuse(socket, 403, 'Forbidden');
    const ip = req.socket.remoteAddress ?? 'unknown';
    if (open >= maxConnections) {
      opts.logger?.warn({ open }, 'websocket refused: node connection cap');
      return refuse(socket, 503, 'Service Unavailable');
    }
    if ((perIp.get(ip) ?? 0) >= maxPerIp) {
      opts.logger?.warn({ ip }, 'websocket refused: per-IP connection cap');
      return refuse(socket, 429, 'Too Many Requests');
    }
    open++;
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    opts.onConnections?.(open);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      open--;
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
      opts.onConnections?.(open);
    };
    socket.once('close', release);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.once('close', release);
      wss.emit('connection', ws, req);
    });
  };
  opts.server.on('upgrade', onUpgrade);

  return {
    connections: () => open,
    async close() {
      closing = true;
      opts.server.off('upgrade', onUpgrade);
      const disposed = disposable.dispose();
      // Clients get 1001 Going away; one that does not answer the close handshake is cut off.
      const grace = new Promise<void>((r) => setTimeout(r, WS_CLOSE_GRACE_MS).unref());
      await Promise.race([disposed, grace]);
      for (const ws of wss.clients) ws.terminate();
      await disposed;
    },
  };
}
