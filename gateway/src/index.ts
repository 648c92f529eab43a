/**
 * @gotify/gateway — the API node: Apollo gateway over the peer and tracker subgraphs with
 * replica pools and failover, the graphql-ws song stream, uploads and cover art.
 */
export { startApiNode, type ApiNode, type ApiNodeOptions, type ApiPhase } from './node.js';
export {
  makeReplicaPool,
  HEALTH_CHECK_QUERY,
  type ReplicaPool,
  type ReplicaPoolOptions,
  type ReplicaState,
  type ReplicaHealth,
  type ReplicaPools,
} from './replica-pool.js';
export {
  makeFailoverFetcher,
  sendWithFailover,
  operationKindOf,
  FailoverError,
  IntegrityError,
  type FailoverOptions,
  type OperationKind,
} from './fetcher.js';
export {
  RETRY_POLICY,
  mayRetry,
  classifyFetchError,
  classifyStatus,
  type FailureKind,
  type RetryRule,
} from './retry-policy.js';
export {
  makeSubgraphClient,
  SubgraphError,
  type SubgraphClient,
  type RequestOptions,
} from './subgraph-client.js';
export { depthLimit, costLimit, apiValidationRules, operationCosts } from './limits.js';
export { makeStreamSchema, songChunks, type SongChunkMessage, type StreamDeps } from './stream.js';
export {
  inspectAudio,
  titleFromFilename,
  UNKNOWN,
  CONTAINER_MIME,
  type InspectedAudio,
  type SongTags,
  type Overrides,
} from './tags.js';
export { UploadError, UPLOAD_ERROR_STATUS, type UploadErrorCode } from './upload-errors.js';
export type { UploadProgressLine, UploadPhase } from './upload.js';
export { publicOperations, peerOperations, trackerOperations } from './operations.js';
export * from './policy.js';
