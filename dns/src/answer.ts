/**
 * Turns one decoded DNS query into a response, from the live registry. Pure apart from the
 * registry's round-robin cursor. Does not touch sockets or size limits (transport.ts does).
 *
 * Names served, all under the zone (case-insensitive):
 *   <role>.<zone>          A (live IPs, deduplicated), SRV (one per live node)
 *   _<role>._tcp.<zone>    SRV (same as above)
 *   <label>.node.<zone>    A of that node (the SRV targets; also sent as additional records)
 *   <zone>                 SOA, NS (ns.<zone>); ns.<zone> A when the server has a concrete IPv4
 * Known name + other type → NOERROR/empty; unknown name in zone → NXDOMAIN; outside → REFUSED.
 */
import type { Answer, DecodedPacket, Packet, Question, SoaAnswer } from 'dns-packet';
import { ANSWER_TTL_SECONDS, ROLES, SRV_DEFAULT_WEIGHT, SRV_PRIORITY, type Role } from './constants.js';
import type { LiveNode, Registry } from './registry.js';

export type Rcode = 'NOERROR' | 'FORMERR' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';
const RCODE_NUM: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
/** Authoritative answer bit of the header flags. */
const FLAG_AA = 1 << 10;
/** Recursion desired bit: echoed back as clients expect. */
const FLAG_RD = 1 << 8;

export interface AnswerContext {
  zone: string;
  registry: Registry;
  /** Concrete IPv4 of this DNS node for `ns.<zone>`, if any. */
  nsAddress?: string;
  /** TTL of every record, seconds. @default ANSWER_TTL_SECONDS */
  ttl?: number;
}

export interface Built {
  packet: Packet;
  rcode: Rcode;
}

/** What a query name means inside the zone. */
type Target =
  | { kind: 'apex' }
  | { kind: 'ns' }
  | { kind: 'role'; role: Role }
  | { kind: 'node'; label: string }
  | { kind: 'empty' }
  | { kind: 'unknown' }
  | { kind: 'outside' };

function classify(qname: string, zone: string): Target {
  const name = qname.toLowerCase().replace(/\.$/, '');
  if (name === zone) return { kind: 'apex' };
  if (!name.endsWith('.' + zone)) return { kind: 'outside' };
  const labels = name.slice(0, -(zone.length + 1)).split('.');
  const [first, second] = labels;
  if (labels.length === 1) {
    if (first === 'ns') return { kind: 'ns' };
    if ((ROLES as readonly string[]).includes(first!)) return { kind: 'role', role: first as Role };
    if (first === 'node' || first === '_tcp') return { kind: 'empty' };
    return { kind: 'unknown' };
  }
  if (labels.length === 2 && second === '_tcp' && first!.startsWith('_')) {
    const r = first!.slice(1);
    if ((ROLES as readonly string[]).includes(r)) return { kind: 'role', role: r as Role };
  }
  if (labels.length === 2 && second === 'node') return { kind: 'node', label: first! };
  return { kind: 'unknown' };
}

export function targetOf(n: LiveNode, zone: string): string {
  return `${n.label}.node.${zone}`;
}

function srvWeight(n: LiveNode): number {
  const w = n.meta?.weight;
  return typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 65535 ? w : SRV_DEFAULT_WEIGHT;
}

/**
 * Builds the response for a decoded query, or `null` when it must be ignored (it is itself a
 * response: answering could start a packet loop).
 */
export function buildResponse(q: DecodedPacket, ctx: AnswerContext): Built | null {
  if (q.type === 'response' || q.flag_qr) return null;
  const zone = ctx.zone.toLowerCase().replace(/\.$/, '');
  const ttl = ctx.ttl ?? ANSWER_TTL_SECONDS;
  const questions = (q.questions ?? []) as Question[];
  const edns = (q.additionals ?? []).some((a) => a.type === 'OPT');
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const authorities: Answer[] = [];

  const reply = (rcode: Rcode): Built => {
    if (edns)
      additionals.push({
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      });
    const aa = rcode === 'REFUSED' || rcode === 'FORMERR' || rcode === 'NOTIMP' ? 0 : FLAG_AA;
    return {
      rcode,
      packet: {
        type: 'response',
        id: q.id ?? 0,
        flags: aa | (q.flag_rd ? FLAG_RD : 0) | RCODE_NUM[rcode],
        questions,
        answers,
        authorities,
        additionals,
      },
    };
  };

  if ((q as DecodedPacket & { opcode?: string }).opcode !== 'QUERY') return reply('NOTIMP');
  if (questions.length !== 1) return reply('FORMERR');
  const question = questions[0]!;
  const qclass = question.class ?? 'IN';
  if (qclass !== 'IN' && qclass !== 'ANY') return reply('REFUSED');

  const soa: SoaAnswer = {
    type: 'SOA',
    name: zone,
    ttl,
    data: {
      mname: `ns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 60,
      retry: 10,
      expire: 600,
      minimum: ttl,
    },
  };
  const a = (name: string, ip: string): Answer => ({ type: 'A', name, ttl, data: ip });
  const qname = question.name;
  const t = classify(qname, zone);
  switch (t.kind) {
    case 'outside':
      return reply('REFUSED');
    case 'unknown':
      authorities.push(soa);
      return reply('NXDOMAIN');
    case 'empty':
      break;
    case 'apex':
      if (question.type === 'SOA') answers.push({ ...soa, name: qname });
      if (question.type === 'NS') {
        answers.push({ type: 'NS', name: qname, ttl, data: `ns.${zone}` });
        if (ctx.nsAddress) additionals.push(a(`ns.${zone}`, ctx.nsAddress));
      }
      break;
    case 'ns':
      if (question.type === 'A' && ctx.nsAddress) answers.push(a(qname, ctx.nsAddress));
      break;
    case 'node': {
      const nodes = ctx.registry.byLabel(t.label);
      if (nodes.length === 0) {
        authorities.push(soa);
        return reply('NXDOMAIN');
      }
      if (question.type === 'A')
        for (const ip of new Set(nodes.map((n) => n.host))) answers.push(a(qname, ip));
      break;
    }
    case 'role': {
      if (question.type !== 'A' && question.type !== 'SRV') break;
      const nodes = ctx.registry.rotated(t.role);
      if (question.type === 'A') {
        for (const ip of new Set(nodes.map((n) => n.host))) answers.push(a(qname, ip));
      } else {
        const glue = new Map<string, string>();
        for (const n of nodes) {
          const target = targetOf(n, zone);
          answers.push({
            type: 'SRV',
            name: qname,
            ttl,
            data: { priority: SRV_PRIORITY, weight: srvWeight(n), port: n.port, target },
          });
          glue.set(target, n.host);
        }
        for (const [target, ip] of glue) additionals.push(a(target, ip));
      }
      break;
    }
    default: {
      const never: never = t;
      throw new Error(`unhandled target ${JSON.stringify(never)}`);
    }
  }
  if (answers.length === 0) authorities.push(soa);
  return reply('NOERROR');
}
