/**
 * In-memory shard store (a Map), for simulation and unit tests.
 *
 * Does not: persist anything across processes (SQLite/MongoDB adapters live next to it),
 * merge or verify values (the node does).
 */
import { toHex } from '../id.js';
import type { Contact, EntryWrite, Id, ScanOptions, ShardStore, StoredEntry, Value } from '../types.js';
import { newMembers } from '../types.js';

/** Payload bytes of a value, as counted by `size()`. */
export function valueBytes(v: Value): number {
  switch (v.kind) {
    case 'blob':
    case 'record':
      return v.bytes.byteLength;
    case 'set': {
      let n = 0;
      for (const m of Object.keys(v.members)) n += m.length;
      return n;
    }
    default: {
      const never: never = v;
      return never;
    }
  }
}

export function makeMemoryStore(): ShardStore {
  const entries = new Map<string, StoredEntry>();
  let contacts: Contact[] = [];
  return {
    async get(key: Id) {
      return entries.get(toHex(key));
    },
    async put(entry: StoredEntry) {
      entries.set(toHex(entry.key), entry);
    },
    async putMany(list: EntryWrite[]) {
      for (const w of list) {
        if ('entry' in w) {
          entries.set(toHex(w.entry.key), w.entry);
          continue;
        }
        // A slice: the shard writes them only to row stores (getSetMembers), which this one is not;
        // applied anyway so the store honours the whole EntryWrite contract.
        const { key, members, bytes: _bytes, ...meta } = w.slice;
        const cur = entries.get(toHex(key));
        const base = cur?.value.kind === 'set' ? cur.value.members : {};
        entries.set(toHex(key), {
          key,
          ...meta,
          value: { kind: 'set', members: Object.assign(newMembers(), base, members) },
        });
      }
    },
    async maxCounter() {
      let c = 0;
      for (const { value: v } of entries.values()) {
        if (v.kind === 'record') c = Math.max(c, v.stamp.c);
        if (v.kind === 'set')
          for (const m of Object.values(v.members)) c = Math.max(c, m.add?.c ?? 0, m.del?.c ?? 0);
      }
      return c;
    },
    async delete(key: Id) {
      entries.delete(toHex(key));
    },
    async *scanMeta() {
      for (const { value, ...meta } of [...entries.values()]) yield { ...meta, kind: value.kind };
    },
    async getMeta(key: Id) {
      const e = entries.get(toHex(key));
      if (!e) return undefined;
      const { value, ...meta } = e;
      return { ...meta, key: new Uint8Array(meta.key), kind: value.kind };
    },
    async markReplicated(keys: readonly Id[], at: number, expiresAt: number) {
      for (const k of keys) {
        const e = entries.get(toHex(k));
        if (e && e.expiresAt > at)
          entries.set(toHex(k), { ...e, replicatedAt: at, expiresAt: Math.max(e.expiresAt, expiresAt) });
      }
    },
    async *scan(opts?: ScanOptions) {
      for (const e of [...entries.values()]) if (!opts?.kinds || opts.kinds.includes(e.value.kind)) yield e;
    },
    async size() {
      let bytes = 0;
      for (const e of entries.values()) bytes += valueBytes(e.value);
      return { keys: entries.size, bytes };
    },
    async saveContacts(cs: Contact[]) {
      contacts = cs.map((c) => ({ id: new Uint8Array(c.id), address: c.address }));
    },
    async loadContacts() {
      return contacts.map((c) => ({ id: new Uint8Array(c.id), address: c.address }));
    },
    async close() {},
  };
}
