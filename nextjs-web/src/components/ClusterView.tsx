'use client';
/**
 * Cluster health: nodes of each role from the DNS registry (via the Web node's /api/cluster, which
 * also probes each node's /healthz), and per song how many live replicas its audio has.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { formatBytes } from '../lib/format';
import { REPLICAS_QUERY } from '../lib/graphql';
import type { ClusterSnapshot } from '../server/cluster';
import { useApp } from './Providers';

/** Refresh period of the node table. */
const REFRESH_MS = 3000;
/** Songs per replica page (each probes replicas live on the peers: keep it small). */
const REPLICA_PAGE = 25;

interface ReplicaData {
  songs: {
    totalCount: number;
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
    edges: Array<{
      node: {
        id: string;
        title: string;
        artist: string;
        audio: { size: number; chunkCount: number; replicas: { min: number } } | null;
      };
    }>;
  };
}

function Nodes() {
  const { rotation } = useApp();
  const [snap, setSnap] = useState<ClusterSnapshot | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const res = await fetch('/api/cluster', { cache: 'no-store' });
      setSnap((await res.json()) as ClusterSnapshot);
      setErr(null);
    } catch (e) {
      setErr((e as Error).message);
    }
  }, []);
  useEffect(() => {
    void load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);
  const roles = useMemo(() => {
    const m = new Map<string, ClusterSnapshot['nodes']>();
    for (const n of snap?.nodes ?? []) m.set(n.role, [...(m.get(n.role) ?? []), n]);
    return [...m.entries()];
  }, [snap]);

  return (
    <section aria-label="Nodes">
      <h2>Nodes</h2>
      {err ? (
        <p className="error" role="alert">
          Web node unreachable: {err}
        </p>
      ) : null}
      <p className="muted">
        Browser talks to:{' '}
        {rotation
          .order()
          .map((e) => e.http)
          .join(' → ') || 'no API node'}{' '}
        {snap ? `· updated ${new Date(snap.at).toLocaleTimeString()}` : ''}
      </p>
      <div className="node-grid">
        <div className="role-block" data-testid="role-dns">
          <h3>dns</h3>
          {(snap?.dns ?? []).map((d) => (
            <div
              key={d.url}
              className={`node ${d.alive ? 'up' : 'down'}`}
              data-testid="cluster-node"
              data-role="dns"
              data-alive={d.alive}
            >
              <span className="dot" aria-label={d.alive ? 'alive' : 'down'} />
              <span className="node-name">{d.health?.name ?? d.url}</span>
              <span className="muted">{d.url}</span>
              {d.error ? <span className="error small">{d.error}</span> : null}
            </div>
          ))}
        </div>
        {roles.map(([role, nodes]) => (
          <div key={role} className="role-block" data-testid={`role-${role}`}>
            <h3>
              {role}{' '}
              <span className="muted">
                ({nodes.filter((n) => n.alive).length}/{nodes.length} alive)
              </span>
            </h3>
            {nodes.map((n) => (
              <div
                key={`${n.role}/${n.name}`}
                className={`node ${n.alive ? 'up' : 'down'}`}
                data-testid="cluster-node"
                data-role={n.role}
                data-name={n.name}
                data-alive={n.alive}
              >
                <span className="dot" aria-label={n.alive ? 'alive' : 'down'} />
                <span className="node-name">{n.name}</span>
                <span className="muted">{n.address}</span>
                <span className="muted">
                  {n.health?.phase ?? (n.alive ? '' : n.registered ? 'not answering' : 'gone from DNS')}
                </span>
                {n.health?.dht ? (
                  <span className="dht">
                    {n.health.dht.contacts ?? '–'} contacts · {n.health.dht.keys ?? '–'} keys ·{' '}
                    {formatBytes(n.health.dht.bytes)}
                  </span>
                ) : null}
              </div>
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}

function ReplicaPage({
  after,
  isLast,
  onMore,
}: {
  after: string | null;
  isLast: boolean;
  onMore(c: string): void;
}) {
  const { mounted } = useApp();
  const [res, reexec] = useQuery<ReplicaData>({
    query: REPLICAS_QUERY,
    variables: { first: REPLICA_PAGE, after },
    pause: !mounted,
    requestPolicy: 'network-only',
  });
  if (res.error && !res.data)
    return (
      <tr>
        <td colSpan={4} className="error">
          Could not load replicas: {res.error.message}{' '}
          <button type="button" onClick={() => reexec({ requestPolicy: 'network-only' })}>
            Retry
          </button>
        </td>
      </tr>
    );
  if (!res.data)
    return (
      <tr>
        <td colSpan={4} className="muted">
          Loading…
        </td>
      </tr>
    );
  return (
    <>
      {res.data.songs.edges.map(({ node }) => {
        const min = node.audio?.replicas.min ?? 0;
        return (
          <tr key={node.id} data-testid="replica-row" data-song-id={node.id} data-replicas={min}>
            <td>{node.title}</td>
            <td>{node.artist}</td>
            <td>
              {node.audio
                ? `${node.audio.chunkCount} chunks · ${formatBytes(node.audio.size)}`
                : 'no manifest'}
            </td>
            <td className={min >= 3 ? 'ok' : min >= 2 ? 'warn' : 'error'}>{min}</td>
          </tr>
        );
      })}
      {isLast && res.data.songs.pageInfo.hasNextPage ? (
        <tr>
          <td colSpan={4}>
            <button type="button" onClick={() => onMore(res.data!.songs.pageInfo.endCursor!)}>
              More songs
            </button>
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function ClusterView() {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [gen, setGen] = useState(0);
  return (
    <div className="cluster">
      <Nodes />
      <section aria-label="Replicas">
        <h2>
          Audio replicas{' '}
          <button type="button" className="chip" onClick={() => (setCursors([null]), setGen((g) => g + 1))}>
            Re-probe
          </button>
        </h2>
        <p className="muted">
          Fewest live copies of any chunk of each song, probed now. A song survives that many minus one peer
          failures.
        </p>
        <table className="replicas">
          <thead>
            <tr>
              <th>Title</th>
              <th>Artist</th>
              <th>Audio</th>
              <th>Replicas</th>
            </tr>
          </thead>
          <tbody>
            {cursors.map((c, i) => (
              <ReplicaPage
                key={`${gen}:${c ?? ''}`}
                after={c}
                isLast={i === cursors.length - 1}
                onMore={(x) => setCursors((l) => [...l, x])}
              />
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
