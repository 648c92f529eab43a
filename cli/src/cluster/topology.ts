/**
 * The local cluster's shape as data: which nodes `npm start` runs, on which ports, with which flags.
 * Does not spawn anything (see ./supervisor.ts) nor talk to nodes (see ./health.ts).
 */
import path from 'node:path';

export type Role = 'dns' | 'api' | 'peer' | 'tracker' | 'web';

export interface NodeSpec {
  name: string;
  role: Role;
  /** The URL people open or the address other nodes dial, for the printed table. */
  url: string;
  /** HTTP base serving /healthz. */
  healthUrl: string;
  /** Entry module, relative to the repository root. */
  entry: string;
  args: string[];
}

/** Counts of the local cluster, as the issue asks: 2 DNS, 2 API, 3 Peer, 3 Tracker, 2 Web. */
export const LOCAL_COUNTS = { dns: 2, api: 2, peer: 3, tracker: 3, web: 2 } as const;

/** Base ports per role (node i gets base + i). Documented in docs/CONVENTIONS.md and the README. */
export const BASE_PORTS = {
  dnsUdp: 5353,
  dnsHttp: 8053,
  api: 4000,
  peerHttp: 4101,
  peerDht: 7101,
  trackerHttp: 4201,
  trackerDht: 7201,
  web: 3000,
} as const;

export interface TopologyOptions {
  /** Root of the repository. */
  root: string;
  /** Where every node keeps its data (one folder per node). @default `${root}/data` */
  dataDir?: string;
  /** Host every node binds to. @default '127.0.0.1' */
  host?: string;
  /** Shared secret of the cluster (DHT frames, DNS heartbeats). */
  clusterKey: string;
  /** Skip the Web nodes (when the Next.js build is unavailable). @default false */
  withoutWeb?: boolean;
  /** Added to every port, so tests can run a cluster beside a running `npm start`. @default 0 */
  portOffset?: number;
  /** Node counts per role. @default LOCAL_COUNTS */
  counts?: Partial<Record<Role, number>>;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Builds the node list of the local cluster. */
export function makeLocalTopology(opts: TopologyOptions): NodeSpec[] {
  const host = opts.host ?? '127.0.0.1';
  const off = opts.portOffset ?? 0;
  const PORTS = Object.fromEntries(
    Object.entries(BASE_PORTS).map(([k, v]) => [k, v + off]),
  ) as typeof BASE_PORTS;
  const LOCAL_CLUSTER = { ...LOCAL_COUNTS, ...opts.counts };
  const dataDir = opts.dataDir ?? path.join(opts.root, 'data');
  const key = ['--cluster-key', opts.clusterKey];
  const dnsUdp = range(LOCAL_CLUSTER.dns).map((i) => `${host}:${PORTS.dnsUdp + i}`);
  const dnsHttp = range(LOCAL_CLUSTER.dns).map((i) => `${host}:${PORTS.dnsHttp + i}`);
  const discovery = ['--dns-servers', dnsUdp.join(','), '--dns', dnsHttp.join(',')];
  const peerDht = range(LOCAL_CLUSTER.peer).map((i) => `${host}:${PORTS.peerDht + i}`);
  const trackerDht = range(LOCAL_CLUSTER.tracker).map((i) => `${host}:${PORTS.trackerDht + i}`);
  const nodes: NodeSpec[] = [];

  for (const i of range(LOCAL_CLUSTER.dns)) {
    nodes.push({
      name: `dns-${i + 1}`,
      role: 'dns',
      url: `dns://${dnsUdp[i]}`,
      healthUrl: `http://${dnsHttp[i]}`,
      entry: 'dns/src/bin.ts',
      args: [
        '--host',
        host,
        '--dns-port',
        String(PORTS.dnsUdp + i),
        '--http-port',
        String(PORTS.dnsHttp + i),
        ...key,
      ],
    });
  }
  const dhtNode = (role: 'peer' | 'tracker', i: number, httpBase: number, dhtBase: number, all: string[]) => {
    const name = `${role}-${i + 1}`;
    nodes.push({
      name,
      role,
      url: `http://${host}:${httpBase + i}/graphql`,
      healthUrl: `http://${host}:${httpBase + i}`,
      entry: `subgraphs/${role}/src/bin.ts`,
      args: [
        '--name',
        name,
        '--host',
        host,
        '--http-port',
        String(httpBase + i),
        '--dht-port',
        String(dhtBase + i),
        '--bootstrap',
        all.filter((_, j) => j !== i).join(','),
        '--data-dir',
        path.join(dataDir, name),
        '--dns',
        dnsHttp.join(','),
        ...key,
      ],
    });
  };
  for (const i of range(LOCAL_CLUSTER.peer)) dhtNode('peer', i, PORTS.peerHttp, PORTS.peerDht, peerDht);
  for (const i of range(LOCAL_CLUSTER.tracker))
    dhtNode('tracker', i, PORTS.trackerHttp, PORTS.trackerDht, trackerDht);
  for (const i of range(LOCAL_CLUSTER.api)) {
    const name = `api-${i + 1}`;
    nodes.push({
      name,
      role: 'api',
      url: `http://${host}:${PORTS.api + i}/graphql`,
      healthUrl: `http://${host}:${PORTS.api + i}`,
      entry: 'gateway/src/bin.ts',
      args: ['--name', name, '--host', host, '--port', String(PORTS.api + i), ...discovery, ...key],
    });
  }
  if (!opts.withoutWeb) {
    for (const i of range(LOCAL_CLUSTER.web)) {
      const name = `web-${i + 1}`;
      nodes.push({
        name,
        role: 'web',
        url: `http://${host}:${PORTS.web + i}/`,
        healthUrl: `http://${host}:${PORTS.web + i}`,
        entry: 'nextjs-web/server.ts',
        args: ['--name', name, '--host', host, '--port', String(PORTS.web + i), ...discovery, ...key],
      });
    }
  }
  return nodes;
}
