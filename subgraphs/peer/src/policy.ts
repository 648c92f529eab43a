/**
 * Replication policy of the peer network. Policy is data: change it here, or per node through
 * `PeerNodeOptions.replication` (tests use r=1/W=1 on a single node).
 */
import type { ReplicationPolicy } from '@gotify/dht';

/** Chunks and covers: three copies survive two simultaneous peer failures; W=2 still stores with one of three down. */
export const PEER_BLOB_POLICY: ReplicationPolicy = { r: 3, w: 2 };

/** Manifests: tiny, yet losing one hides a whole song, so five copies; W=2 keeps publishing available. */
export const PEER_MANIFEST_POLICY: ReplicationPolicy = { r: 5, w: 2 };

/** The peer network's policy per value kind (sets are unused by peers; the DHT default applies). */
export const PEER_REPLICATION: { blob: ReplicationPolicy; record: ReplicationPolicy } = {
  blob: PEER_BLOB_POLICY,
  record: PEER_MANIFEST_POLICY,
};
