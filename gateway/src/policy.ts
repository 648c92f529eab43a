/**
 * Policy of the API node as data: every limit, timeout and interval lives here with the reason
 * for it. Nothing in this file does I/O. The retry table lives in retry-policy.ts, the GraphQL
 * validation rules that use the query limits live in limits.ts.
 */

/** Path of the federated GraphQL endpoint (HTTP) and of Apollo Sandbox (browser GET). */
export const GRAPHQL_PATH = '/graphql';
/** Path of the graphql-ws song stream: its own schema (apiStreamSdl), so not the /graphql path. */
export const STREAM_PATH = '/stream';
/** Path of the streaming upload endpoint (raw file bytes in the body). */
export const UPLOAD_PATH = '/upload';
/** Path of the tag preview endpoint (same body as /upload, nothing stored). */
export const INSPECT_PATH = '/upload/inspect';
/** Prefix of the cover art endpoint: GET /cover/{hex sha256}. */
export const COVER_PREFIX = '/cover/';

/** Default cap of one upload: 200 MB is far above any song, below anything that hurts memory. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
/** Largest /graphql request body: operations are small; this stops a parser-bomb body early. */
export const MAX_GRAPHQL_BODY_BYTES = 256 * 1024;

/** Deepest selection a client may send: our schema needs 5 (songs > edges > node > audio > replicas). */
export const MAX_QUERY_DEPTH = 10;
/** Introspection (Apollo Sandbox) nests `ofType` about 13 levels deep; it gets its own cap. */
export const MAX_INTROSPECTION_DEPTH = 16;
/**
 * Highest static cost of one operation. A variable `first` counts as a full page (200): the Web
 * library's page of songs with every field and the audio facts costs about 5,000; twice that
 * leaves room without letting one request fan out into unbounded subgraph work.
 */
export const MAX_QUERY_COST = 10_000;
/** Page size assumed when `first` is a variable (unknown at validation): the trackers' own cap. */
export const MAX_PAGE_SIZE = 200;
/** Items assumed for a list of objects without a `first` argument (facets, edges are paged). */
export const ASSUMED_LIST_SIZE = 10;

/** Largest WebSocket message accepted from a client: subscribe messages are tiny. */
export const WS_MAX_PAYLOAD_BYTES = 64 * 1024;
/** Largest message we send: a 256 KiB chunk in base64 (+33%) plus its envelope fits. */
export const WS_MAX_MESSAGE_BYTES = 512 * 1024;
/** WebSocket connections one API node serves at once; beyond that new ones are refused (503). */
export const MAX_WS_CONNECTIONS = 1000;
/** WebSocket connections one client IP may hold: a player needs 1–2 (current + next track). */
export const MAX_WS_CONNECTIONS_PER_IP = 16;

/** Chunks fetched ahead of the one being sent: one hides a replica round trip, more only costs RAM. */
export const STREAM_PREFETCH_CHUNKS = 1;
/** Timeout of one chunk fetch from one peer replica before the next replica is asked. */
export const CHUNK_FETCH_TIMEOUT_MS = 5000;

/** Timeout of one subgraph HTTP request (one replica); a query then fails over to the next. */
export const SUBGRAPH_TIMEOUT_MS = 10_000;
/** Replicas tried for one request at most: enough to ride out two dead replicas and a slow one. */
export const MAX_FAILOVER_ATTEMPTS = 4;
/** Health probe period of every replica: constant, so recovery is noticed within a second. */
export const PROBE_INTERVAL_MS = 1000;
/** Timeout of one health probe: below the period so probes never pile up. */
export const PROBE_TIMEOUT_MS = 800;
/** How often the DNS roles peer and tracker are re-resolved for replica pools. */
export const DISCOVERY_INTERVAL_MS = 2000;

/** storeChunk calls in flight per upload: keeps the peers busy without flooding one replica. */
export const UPLOAD_STORE_CONCURRENCY = 4;
/** Tries of one storeChunk (idempotent: content-addressed) over different replicas. */
export const UPLOAD_STORE_ATTEMPTS = 3;
/** Cover art larger than this is dropped (the song is kept): covers are thumbnails. */
export const MAX_COVER_BYTES = 4 * 1024 * 1024;

/** Cache lifetime of /cover/{hash}: content-addressed, so it never changes. */
export const COVER_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Headers browsers may send to the API node (CORS preflight answer). */
export const CORS_ALLOWED_HEADERS =
  'content-type, apollo-require-preflight, authorization, x-filename, accept';
/** Methods browsers may use on the API node. */
export const CORS_ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** Preflight cache: one day spares the browser a round trip per upload. */
export const CORS_MAX_AGE_SECONDS = 86_400;
