/**
 * @gotify/tracker — the Tracker subgraph: song metadata records, the exact-filter index and the
 * typo-tolerant search index over the tracker DHT, listings by scatter-gather. Public surface.
 */
export { startTrackerNode, TRACKER_RATE_LIMIT } from './node.js';
export type { TrackerNodeOptions, TrackerNodeHandle, TrackerPhase } from './node.js';
export {
  makeTrackerSchema,
  makeTrackerServer,
  makeTrackerService,
  trackerSdl,
  TRACKER_SDL_PATH,
} from './schema.js';
export type { TrackerSchemaDeps, TrackerService } from './schema.js';
export { normalise, words } from './normalise.js';
export {
  filterName,
  filterLookupName,
  indexNames,
  searchNames,
  queryWordKeyNames,
  wordKeyNames,
  deletions,
  songWords,
} from './keys.js';
export { matchWord, osaDistance, scoreSong, queryWords } from './search.js';
export { depthLimitRule } from '@gotify/schema';
export * from './limits.js';
export type { SongMetadata, SongRecord, SongPatch } from './record.js';
