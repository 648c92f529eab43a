/**
 * Playback policy as data: every buffer size, timeout and threshold of the player lives here,
 * each with the reason for its value. Nothing in this file does I/O.
 */

/** Start fetching the next queued song when this many seconds of the current one remain (Spotify's P2P client). */
export const PREFETCH_REMAINING_S = 30;
/** Keep at least this many seconds decoded-ready ahead of the playhead: longer than a failover takes. */
export const BUFFER_TARGET_S = 30;
/** Stop feeding the SourceBuffer above this many seconds ahead: bounds memory, hysteresis with the target. */
export const BUFFER_HIGH_S = 60;
/** Keep this many seconds already played in the SourceBuffer (short seeks back stay local); older audio is freed. */
export const BUFFER_BEHIND_S = 30;
/**
 * Bytes a track loader may hold in memory beyond the SourceBuffer before it pauses its subscription:
 * ≈ 30 s of 128 kbit/s on top of the SourceBuffer's 30–60 s. Enough to ride out a failover several
 * times over, while the stream stays pull-based (a paused subscription costs the API node nothing).
 */
export const LOADER_MAX_QUEUE_BYTES = 512 * 1024;
/** Bytes of the next song prefetched into memory; enough for a gapless start, not the whole album. */
export const PREFETCH_MAX_BYTES = 4 * 1024 * 1024;
/** A subscription that delivers nothing for this long while we want data is dead: fail over. */
export const STALL_TIMEOUT_MS = 5000;
/** Consecutive failed attempts (across endpoints) before a stream gives up and reports an error. */
export const MAX_CONSECUTIVE_FAILURES = 12;
/** Pause before retrying once every endpoint failed in a row, so a dead cluster is not hammered. */
export const RETRY_BACKOFF_MS = 500;
/** A failed endpoint is tried last for this long, then becomes a normal candidate again. */
export const ENDPOINT_COOLDOWN_MS = 10_000;
/** How often the browser refreshes the live API endpoint list from the Web node (DNS TTL is 2 s). */
export const ENDPOINT_REFRESH_MS = 10_000;
/** "Previous" restarts the current song instead when more than this many seconds have played. */
export const PREVIOUS_RESTART_S = 3;
/** A seek target this close to buffered data is served locally instead of resubscribing. */
export const SEEK_LOCAL_SLACK_S = 0.25;
/** Default bytes per chunk and of chunk 0 when the manifest does not say (backend contract: 128 KiB / 32 KiB). */
export const DEFAULT_CHUNK_SIZE = 128 * 1024;
export const DEFAULT_FIRST_CHUNK_SIZE = 32 * 1024;
/** Upload size cap of the API node (413 above it): checked before sending to save the user a long wait. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
