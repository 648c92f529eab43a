/**
 * DNS over UDP and TCP (RFC 1035 §4.2, 2-byte length framing on TCP) on one shared port.
 * Malformed input never reaches the answer logic: undecodable UDP datagrams are dropped,
 * undecodable TCP messages close that connection. Does not decide answers (answer.ts).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';
import {
  BIND_ATTEMPTS,
  TCP_IDLE_TIMEOUT_MS,
  TCP_MAX_CONNECTIONS,
  UDP_MAX_EDNS,
  UDP_MAX_PLAIN,
} from './constants.js';
import type { Built } from './answer.js';

/** Truncated-response header bit. */
const FLAG_TC = 1 << 9;

export type Transport = 'udp' | 'tcp';
export interface TransportHooks {
  /** Builds the answer for a decoded query (null: ignore it). */
  answer(q: DecodedPacket): Built | null;
  /** Called once per answered query. */
  onQuery?(transport: Transport, rcode: string, truncated: boolean): void;
  /** Called for input that could not be decoded or answered. */
  onMalformed?(transport: Transport, err: unknown): void;
}

export interface DnsServers {
  port: number;
  close(): Promise<void>;
}

function udpLimit(q: DecodedPacket): number {
  const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  if (!opt) return UDP_MAX_PLAIN;
  return Math.max(UDP_MAX_PLAIN, Math.min(opt.udpPayloadSize ?? UDP_MAX_PLAIN, UDP_MAX_EDNS));
}

/** Decodes, answers and encodes one message; returns null when there is nothing to send. */
function respond(msg: Buffer, transport: Transport, hooks: TransportHooks): Buffer | null {
  const q = dnsPacket.decode(msg);
  const built = hooks.answer(q);
  if (!built) return null;
  let out = dnsPacket.encode(built.packet);
  let truncated = false;
  if (transport === 'udp' && out.length > udpLimit(q)) {
    const p: Packet = {
      ...built.packet,
      flags: (built.packet.flags ?? 0) | FLAG_TC,
      answers: [],
      authorities: [],
      additionals: [],
    };
    out = dnsPacket.encode(p);
    truncated = true;
  }
  hooks.onQuery?.(transport, built.rcode, truncated);
  return out;
}

function listenUdp(host: string, port: number, hooks: TransportHooks): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    sock.on('message', (msg, rinfo) => {
      let out: Buffer | null;
      try {
        out = respond(msg, 'udp', hooks);
      } catch (err) {
        hooks.onMalformed?.('udp', err);
        return;
      }
      if (out) sock.send(out, rinfo.port, rinfo.address);
    });
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.off('error', reject);
      sock.on('error', (err) => hooks.onMalformed?.('udp', err));
      resolve(sock);
    });
  });
}

function listenTcp(
  host: string,
  port: number,
  hooks: TransportHooks,
): Promise<{ server: net.Server; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.setTimeout(TCP_IDLE_TIMEOUT_MS, () => sock.destroy());
    let pending: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) return;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        let out: Buffer | null;
        try {
          out = respond(msg, 'tcp', hooks);
        } catch (err) {
          hooks.onMalformed?.('tcp', err);
          sock.destroy();
          return;
        }
        if (!out) continue;
        const frame = Buffer.alloc(2 + out.length);
        frame.writeUInt16BE(out.length, 0);
        out.copy(frame, 2);
        sock.write(frame);
      }
    });
  });
  server.maxConnections = TCP_MAX_CONNECTIONS;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ server, sockets });
    });
  });
}

/**
 * Listens for DNS on UDP and TCP at the same `host:port`. With port 0, picks a port free for
 * both (retrying up to BIND_ATTEMPTS times).
 */
export async function listenDns(host: string, port: number, hooks: TransportHooks): Promise<DnsServers> {
  let lastErr: unknown;
  for (let i = 0; i < (port === 0 ? BIND_ATTEMPTS : 1); i++) {
    const udp = await listenUdp(host, port, hooks);
    const actual = udp.address().port;
    try {
      const { server, sockets } = await listenTcp(host, actual, hooks);
      return {
        port: actual,
        close: async () => {
          for (const s of sockets) s.destroy();
          await Promise.all([
            new Promise<void>((r) => udp.close(() => r())),
            new Promise<void>((r) => server.close(() => r())),
          ]);
        },
      };
    } catch (err) {
      lastErr = err;
      await new Promise<void>((r) => udp.close(() => r()));
    }
  }
  throw lastErr;
}
