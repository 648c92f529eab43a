/**
 * @gotify/dns — the DNS role: an authoritative DNS server (UDP+TCP) for the cluster zone that
 * answers A/SRV for web, api, peer and tracker with the nodes alive right now, learnt from
 * signed heartbeats; plus the client side other roles use (announcer, discovery).
 */
export { startDnsNode, type DnsNode, type DnsNodeOptions, type DnsNodePhase } from './node.js';
export { makeAnnouncer, type Announcer, type AnnouncerOptions, type AnnouncerLogger } from './announcer.js';
export { makeDiscovery, type Discovery, type DiscoveryOptions, type DiscoveredNode } from './discovery.js';
export {
  makeRegistry,
  labelOf,
  type Registry,
  type Announcement,
  type Withdrawal,
  type LiveNode,
} from './registry.js';
export { sign, verify } from './auth.js';
export { makeLogger, onShutdown } from './ops.js';
export * from './constants.js';
