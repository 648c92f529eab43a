/**
 * Scatter-gather over the tracker network with application RPCs on the DHT transport:
 * - 'tracker.page': a tracker's best `first` catalogue entries after a position, plus (on request)
 *   the count and facets of the songs it *owns* for a membership list L;
 * - 'tracker.records': the records a tracker holds locally for a list of ids.
 *
 * Ownership (no double counting of replicas): the querier sends L = itself + its contacts; a
 * tracker counts a song only when it is the XOR-closest member of L to keyOf('song', id). Members
 * that do not answer are dropped from L and the counting legs are asked again, so the closest
 * *live* member counts. Exact as long as the closest live member holds a replica, which
 * Kademlia's replication to the r closest nodes maintains (see README).
 *
 * Does not: filter or search (the service uses the DHT index for that), write anything.
 */
import { fromHex, toHex, type Contact, type KademliaNode, type Payload } from '@gotify/dht';
import type { Catalogue, CatalogueEntry, FacetCounts, Order, Position, SortKey } from './catalogue.js';
import { compareStamps, type SongRecord, type VersionedSong } from './record.js';
import { RECORDS_PER_RPC, RECORD_REPLICATION, SCATTER_TIMEOUT_MS } from './limits.js';

export const PAGE_METHOD = 'tracker.page';
export const RECORDS_METHOD = 'tracker.records';

export interface PageRequest {
  sort: SortKey;
  order: Order;
  first: number;
  after?: Position;
  /** Hex ids of L; when present the reply carries the count of owned songs, and their facets unless `countOnly`. */
  members?: string[];
  /**
   * The count without the facets: a listing needs only its total, and a tracker's facets are a row
   * per artist, album and genre it owns (at 100,000 songs, tens of thousands of rows on every page).
   * An asker from before this field omits it, and gets facets as it expects.
   */
  countOnly?: boolean;
}
export interface PageReply {
  items: VersionedSong[];
  count?: number;
  facets?: FacetCounts;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('scatter timeout')), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** Is `a` closer to `key` than `b` (XOR, byte-wise)? */
function closer(key: Uint8Array, a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) {
    const da = a[i]! ^ key[i]!;
    const db = b[i]! ^ key[i]!;
    if (da !== db) return da < db;
  }
  return false;
}

const wire = (e: CatalogueEntry): VersionedSong => ({ song: e.song, stamp: e.stamp });

/** What a page gathers besides its items, of the songs each tracker owns: their count, or their count and facets. */
export type OwnedSummary = 'count' | 'facets';

export interface Scatter {
  /** Registers the app RPC handlers on the node. */
  install(): void;
  /**
   * Gathers a merged page (deduplicated by id, highest stamp wins) and what `owned` asks of the
   * songs each tracker owns (counted once across trackers); facets are empty unless asked.
   */
  page(
    req: Omit<PageRequest, 'members' | 'countOnly'>,
    owned: OwnedSummary,
  ): Promise<{ items: VersionedSong[]; count: number; facets: FacetCounts }>;
  /** Records held by the likely holders (the r closest known trackers to each key). */
  records(ids: string[], keys: Uint8Array[]): Promise<Map<string, VersionedSong>>;
}

export function makeScatter(node: KademliaNode, catalogue: Catalogue): Scatter {
  const selfHex = toHex(node.id);

  function localPage(req: PageRequest): PageReply {
    const items = req.first > 0 ? catalogue.page(req.sort, req.order, req.first, req.after).map(wire) : [];
    if (!req.members) return { items };
    const members = req.members.map(fromHex);
    const self = node.id;
    const { count, facets } = catalogue.owned(req.members.join(','), (e) => {
      for (const m of members) if (closer(e.key, m, self)) return false;
      return true;
    });
    return req.countOnly ? { items, count } : { items, count, facets };
  }

  function localRecords(ids: string[]): VersionedSong[] {
    const out: VersionedSong[] = [];
    for (const id of ids) {
      const e = catalogue.get(id);
      if (e) out.push(wire(e));
    }
    return out;
  }

  const call = async (c: Contact, method: string, payload: Payload): Promise<Payload> =>
    withTimeout(node.callApp(c, method, payload), SCATTER_TIMEOUT_MS);

  async function gather(
    contacts: Contact[],
    req: PageRequest,
  ): Promise<{ replies: PageReply[]; failed: Contact[] }> {
    const failed: Contact[] = [];
    const remote = await Promise.all(
      contacts.map(async (c) => {
        try {
          return (await call(c, PAGE_METHOD, req as unknown as Payload)) as unknown as PageReply;
        } catch {
          failed.push(c);
          return undefined;
        }
      }),
    );
    return { replies: [localPage(req), ...remote.filter((r): r is PageReply => r !== undefined)], failed };
  }

  return {
    install() {
      node.handleApp(PAGE_METHOD, async (p) => localPage(p as unknown as PageRequest) as unknown as Payload);
      node.handleApp(RECORDS_METHOD, async (p) => ({ items: localRecords((p as { ids: string[] }).ids) }));
    },

    async page(req, owned) {
      let contacts = node.contacts().filter((c) => toHex(c.id) !== selfHex);
      const members = (cs: Contact[]): string[] => [selfHex, ...cs.map((c) => toHex(c.id))].sort();
      const countOnly = owned === 'count' ? true : undefined;
      const first = await gather(contacts, { ...req, members: members(contacts), countOnly });
      let replies = first.replies;
      const failed = first.failed;
      if (failed.length > 0) {
        // Someone did not answer: its songs must be counted by the next closest live member.
        contacts = contacts.filter((c) => !failed.includes(c));
        ({ replies } = await gather(contacts, { ...req, members: members(contacts), countOnly }));
      }
      const best = new Map<string, VersionedSong>();
      for (const r of replies)
        for (const it of r.items) {
          const cur = best.get(it.song.id);
          if (!cur || compareStamps(it.stamp, cur.stamp) > 0) best.set(it.song.id, it);
        }
      const facets: FacetCounts = { artists: [], albums: [], genres: [] };
      let count = 0;
      for (const r of replies) {
        count += r.count ?? 0;
        if (r.facets)
          for (const f of ['artists', 'albums', 'genres'] as const) facets[f].push(...r.facets[f]);
      }
      return { items: [...best.values()], count, facets };
    },

    async records(ids, keys) {
      const out = new Map<string, VersionedSong>();
      const contacts = node.contacts().filter((c) => toHex(c.id) !== selfHex);
      if (contacts.length === 0 || ids.length === 0) return out;
      // Each id goes to the r closest contacts we know: the likely holders of its record.
      const perContact = new Map<Contact, string[]>();
      ids.forEach((id, i) => {
        const key = keys[i]!;
        const ranked = [...contacts].sort((a, b) =>
          closer(key, a.id, b.id) ? -1 : closer(key, b.id, a.id) ? 1 : 0,
        );
        for (const c of ranked.slice(0, RECORD_REPLICATION.r)) {
          let l = perContact.get(c);
          if (!l) perContact.set(c, (l = []));
          l.push(id);
        }
      });
      const jobs: Promise<void>[] = [];
      for (const [c, list] of perContact) {
        for (let i = 0; i < list.length; i += RECORDS_PER_RPC) {
          const chunk = list.slice(i, i + RECORDS_PER_RPC);
          jobs.push(
            call(c, RECORDS_METHOD, { ids: chunk }).then(
              (reply) => {
                for (const it of (reply as unknown as { items: VersionedSong[] }).items) {
                  const cur = out.get(it.song.id);
                  if (!cur || compareStamps(it.stamp, cur.stamp) > 0) out.set(it.song.id, it);
                }
              },
              () => undefined,
            ),
          );
        }
      }
      await Promise.all(jobs);
      return out;
    },
  };
}

export type { SongRecord };
