/**
 * Tracker policy as data: every limit, replication factor and bound in one place.
 * Each constant says why it has its value. Does not enforce anything itself (see validate.ts).
 */
import type { ReplicationPolicy } from '@gotify/dht';

/** Largest page a client may ask for: bounds scatter-gather replies (200 records ≈ 60 KB). */
export const MAX_PAGE_SIZE = 200;
/** Page size when `first` is omitted (mirrors the SDL default). */
export const DEFAULT_PAGE_SIZE = 50;
/** Per string field (title, artist, ...): generous for real tags, bounds key and record sizes. */
export const MAX_FIELD_LENGTH = 500;
/** Free-text query length: a search box, not a document. */
export const MAX_SEARCH_LENGTH = 200;
/** Words of a query that are looked up; more words only add lookups, not relevance. */
export const MAX_QUERY_WORDS = 8;
/** importSongs batch cap: one call stays well under the HTTP body cap and a few seconds of work. */
export const MAX_IMPORT_BATCH = 1000;
/** Selection depth limit: our schema is 4 levels deep (songs.edges.node.field); 8 leaves room for fragments. */
export const MAX_QUERY_DEPTH = 8;
/** HTTP body cap: 1000 songs × ~1 KB of metadata fits with margin. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Cursor string cap: a cursor is a short base64 JSON tuple. */
export const MAX_CURSOR_LENGTH = 2048;

/** Records (song metadata) live on 3 nodes, 2 acks: survives one tracker failure without losing writes. */
export const RECORD_REPLICATION: ReplicationPolicy = { r: 3, w: 2 };
/** Index and search postings: same guarantee as the records they point to. */
export const SET_REPLICATION: ReplicationPolicy = { r: 3, w: 2 };

/** Prefix keys are written for prefixes of length PREFIX_MIN..PREFIX_MAX: 3 letters is where prefixes start to be selective. */
export const PREFIX_MIN = 3;
/** Longer query words look up their 6-letter prefix and are verified on the record: bounds keys per word to 4. */
export const PREFIX_MAX = 6;
/** Words shorter than this get no deletion keys (one typo in a 3-letter word is another word). */
export const TYPO_MIN_LENGTH = 4;
/** Words longer than this get no deletion keys (bounds keys per word; long words are rarely mistyped alone). */
export const TYPO_MAX_LENGTH = 16;
/** Distinct words per song that get search keys: bounds keys per song (see README for the numbers). */
export const MAX_SEARCH_WORDS_PER_SONG = 16;
/** Candidate keys looked up per query word (1 sym + 1 prefix + ≤ 16 deletions), a safety bound. */
export const MAX_KEYS_PER_QUERY_WORD = 20;

/**
 * Search results whose records are verified up front: with at most this many candidates, all are
 * verified (exact totalCount, cheap); beyond, records are fetched in bound order in chunks of this
 * size until the page is decided, and totalCount counts the unverified rest as matches.
 */
export const SEARCH_VERIFY_CHUNK = 200;
/**
 * A filtered, sorted listing walks the local catalogue's sorted index (filter-walk.ts) instead of
 * sorting the filter's records when the expected walk, (first + 1) × catalogue size ÷ matching
 * songs steps (or the run of a filter on the sort's leading field), is at most this many times the
 * set's size. On a 100k-song tracker a page of 20 from 563 songs took 8.5 ms walked (~3,700
 * steps) and 6.7 ms sorted, from 684 songs 7.8 and 6.7 ms, and a page of 1 ~3.5 ms: past that
 * fixed cost a walk step (a random entry of a 1.3 GB heap) is ~1.5 µs and a record verified and
 * ordered ~6 µs, so they meet near 4 steps per member. 2 leans to the sort, whose cost does not
 * depend on how the set's songs spread over the order (the walk's estimate assumes them even).
 */
export const FILTER_WALK_STEPS_PER_MEMBER = 2;
/**
 * Ids of big filters' index sets whose walk analysis (filter-walk.ts makeFilterWalker) is kept: a
 * Set entry per matching id (the id strings are the read views' own), so ~25 MB at most; holds the
 * few big genres and artists that repeated listings ask for.
 */
export const FILTER_WALK_CACHE_IDS = 300_000;
/**
 * The catalogue's sorted indexes are brought up to date this long after the last change to the
 * records held, so the first listing or big filter after a burst of writes finds them ready. The
 * update merges the changed songs into the existing order (O(n + k log k): ~10 ms at 100,000
 * songs), so doing it between an import's bursts is cheap; continuous writes keep postponing it.
 */
export const INDEX_REBUILD_IDLE_MS = 500;
/** Concurrent DHT operations issued by one request (record fetches, lookups): keeps sockets and CPU fair. */
export const DHT_CONCURRENCY = 32;
/** Records asked from one tracker per app RPC: keeps a reply well under the frame cap. */
export const RECORDS_PER_RPC = 500;
/** Facet values returned per facet (highest counts first): 5000 albums are not a useful facet. */
export const MAX_FACET_VALUES = 500;
/** Deadline of one scatter-gather leg: a dead tracker must not stall a listing. */
export const SCATTER_TIMEOUT_MS = 3_000;
/**
 * Postings per addToSetMany call: the DHT batches STOREs by item count (512), and each posting
 * costs ~110 bytes on the wire (id + Lamport stamp with a 16-hex writer id); 4000 postings keep a
 * STORE frame near 450 KB, far under the 4 MiB frame cap even when all land on one node.
 */
export const MAX_POSTINGS_PER_CALL = 4000;
/** addToSetMany calls of one import in flight at once. */
export const POSTING_CALLS_IN_FLIGHT = 2;

/**
 * Buckets of a single-field exact index set ('genre=rock'): the only index sets that grow with the
 * whole catalogue (a big genre is a quarter of it). 8 buckets × ~19,000 postings (2 MiB DHT cap)
 * hold ~150,000 songs per value, while a filter still reads only 8 keys in parallel.
 */
export const INDEX_BUCKETS = 8;
/**
 * Buckets of a word's posting set: a common word is in about half the songs of a Zipf catalogue;
 * 8 buckets hold ~150,000 songs per word under the 2 MiB cap. Every bucket is read when a word is.
 */
export const WORD_BUCKETS = 8;
/**
 * Posting buckets a relevance search reads first (reads.ts): a common word's first bucket (1/8 of
 * its postings) usually holds a full page of songs with the best possible score; when it does not,
 * the search reads as many more as the best rows found so far say it needs, or all of them.
 */
export const SEARCH_FIRST_BUCKETS = 1;
/**
 * Postings (by the catalogue's word counts) below which a search reads every bucket at once: a
 * few thousand ids cost less than the second round a partial read may need.
 */
export const SEARCH_PARTIAL_READ_MIN = 4_000;
/**
 * Vocabulary words a query word expands to (exact first, then prefixes and typos, shorter first):
 * a 3-letter prefix can match hundreds of words, and each costs WORD_BUCKETS posting reads.
 */
export const MAX_WORDS_PER_QUERY_WORD = 24;
/**
 * Words this tracker knows are in the vocabulary (it wrote their sym/pre keys): a song made of
 * known words writes only its postings. Bounded memory; when full it is cleared (rewriting the
 * vocabulary keys of a word is idempotent, just extra work).
 */
export const MAX_KNOWN_WORDS = 500_000;
/** Exact-index names cover subsets of at most this many fields: wider filters read a pair and verify (keys.ts). */
export const MAX_INDEXED_FIELDS = 2;
/**
 * Records per putRecordMany call of an import: ~300 B each, so 250 records stay far under a STORE
 * batch's byte cap, and a batch of 1000 is 4 calls that POSTING_CALLS_IN_FLIGHT overlap.
 */
export const IMPORT_RECORDS_PER_CALL = 250;
