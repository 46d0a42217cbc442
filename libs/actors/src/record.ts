import { HashMap, Option } from "effect";

// Records of a machine context that grow with the network (the registry, balances, stakes, a
// pool's provers) must not be copied whole on every update: registering N provers one at a
// time would copy N records of up to N entries. `setEntry` and `removeEntry` return a new
// record that shares all but O(log n) of its structure with the old one (a hash array mapped
// trie), and that reads exactly like a frozen plain object: `record[key]`, `key in record`,
// `Object.keys/values/entries`, spread, `for...in` and JSON give what the plain record would,
// keys in the same order (integer-like keys ascending, then insertion order). So contexts stay
// immutable values, their canonical JSON and state hash do not change, a snapshot restored as
// plain JSON works as before, and code that copies a record by spreading stays correct (only slower).

/** One entry: its value and when its key was first inserted (the plain object's key order). */
interface Entry<V> {
  readonly value: V;
  readonly seq: number;
}

interface Store<V> {
  readonly entries: HashMap.HashMap<string, Entry<V>>;
  readonly nextSeq: number;
  /** The keys in a plain object's order, computed on first use (the store never changes). */
  keys: readonly string[] | undefined;
}

/** Below this many keys a plain copy is as cheap as a shared update, and plain stays plain. */
const PLAIN_LIMIT = 32;

const STORE = Symbol("zk-testnet/persistent-record");

const storeOf = <V>(record: object): Store<V> | undefined => (record as { readonly [STORE]?: Store<V> })[STORE];

/** An array index (a canonical decimal below 2^32 - 1): a plain object lists these first, ascending. */
const isIndex = (key: string): boolean => {
  if (key.length === 0 || key.length > 10 || (key.length > 1 && key.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(key) < 4_294_967_295;
};

const orderedKeys = <V>(store: Store<V>): readonly string[] => {
  if (store.keys !== undefined) return store.keys;
  const all: { key: string; seq: number }[] = [];
  HashMap.forEach(store.entries, (entry, key) => void all.push({ key, seq: entry.seq }));
  all.sort((a, b) => a.seq - b.seq);
  const indices = all.filter((e) => isIndex(e.key)).sort((a, b) => Number(a.key) - Number(b.key));
  const keys = [...indices.map((e) => e.key), ...all.filter((e) => !isIndex(e.key)).map((e) => e.key)];
  store.keys = keys;
  return keys;
};

const refuse = (): never => {
  throw new TypeError("a persistent record is immutable: use setEntry / removeEntry");
};

const handler: ProxyHandler<{ readonly store: Store<unknown> }> = {
  get: (target, key) => {
    if (key === STORE) return target.store;
    if (typeof key === "string") {
      const entry = HashMap.get(target.store.entries, key);
      if (Option.isSome(entry)) return entry.value.value;
    }
    // What a plain object inherits (toString, constructor...), and nothing of the target.
    return typeof key === "symbol" || !(key in Object.prototype) ? undefined : (Object.prototype as Record<string, unknown>)[key];
  },
  has: (target, key) => (typeof key === "string" && HashMap.has(target.store.entries, key)) || key in Object.prototype,
  ownKeys: (target) => [...orderedKeys(target.store)],
  getOwnPropertyDescriptor: (target, key) => {
    if (typeof key !== "string") return undefined;
    const entry = HashMap.get(target.store.entries, key);
    return Option.isSome(entry) ? { value: entry.value.value, writable: true, enumerable: true, configurable: true } : undefined;
  },
  getPrototypeOf: () => Object.prototype,
  set: refuse,
  defineProperty: refuse,
  deleteProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};

const wrap = <V>(store: Store<V>): Readonly<Record<string, V>> =>
  new Proxy({ store: store as Store<unknown> }, handler) as unknown as Readonly<Record<string, V>>;

/** The record's store, converting a plain record (in its key order) the first time. */
const toStore = <V>(record: Readonly<Record<string, V>>): Store<V> => {
  const known = storeOf<V>(record);
  if (known !== undefined) return known;
  let seq = 0;
  const entries = HashMap.mutate(HashMap.empty<string, Entry<V>>(), (map) => {
    for (const key of Object.keys(record)) HashMap.set(map, key, { value: record[key] as V, seq: seq++ });
  });
  return { entries, nextSeq: seq, keys: undefined };
};

const isSmallPlain = (record: object): boolean => {
  if (storeOf(record) !== undefined) return false;
  let count = 0;
  for (const _ in record) if (++count >= PLAIN_LIMIT) return false;
  return true;
};

/** A record of these entries (later ones win), as a persistent record when large. */
export const recordOf = <V>(entries: Iterable<readonly [string, V]>): Readonly<Record<string, V>> => {
  let record: Readonly<Record<string, V>> = {};
  for (const [key, value] of entries) record = setEntry(record, key, value);
  return record;
};

/**
 * `{ ...record, [key]: value }` in O(log n) once the record is large: a record that shares
 * its structure with `record`, which is left as it was. A key already there keeps its place.
 */
export const setEntry = <V>(record: Readonly<Record<string, V>>, key: string, value: V): Readonly<Record<string, V>> => {
  if (isSmallPlain(record)) return { ...record, [key]: value };
  const store = toStore(record);
  const existing = HashMap.get(store.entries, key);
  if (Option.isSome(existing)) {
    if (existing.value.value === value) return record;
    return wrap({ entries: HashMap.set(store.entries, key, { value, seq: existing.value.seq }), nextSeq: store.nextSeq, keys: store.keys });
  }
  return wrap({ entries: HashMap.set(store.entries, key, { value, seq: store.nextSeq }), nextSeq: store.nextSeq + 1, keys: undefined });
};

/** The record without `key` (the record itself when it has none), sharing structure as `setEntry` does. */
export const removeEntry = <V>(record: Readonly<Record<string, V>>, key: string): Readonly<Record<string, V>> => {
  if (!Object.prototype.hasOwnProperty.call(record, key)) return record;
  if (isSmallPlain(record)) {
    const { [key]: _removed, ...rest } = record;
    return rest;
  }
  const store = toStore(record);
  return wrap({ entries: HashMap.remove(store.entries, key), nextSeq: store.nextSeq, keys: undefined });
};

/** How many entries the record has: O(1) for a persistent record. */
export const entryCount = (record: Readonly<Record<string, unknown>>): number => {
  const store = storeOf(record);
  return store === undefined ? Object.keys(record).length : HashMap.size(store.entries);
};

/** Whether some entry satisfies `predicate` (a pure test: entries are visited in no particular order), stopping at the first. */
export const someEntry = <V>(record: Readonly<Record<string, V>>, predicate: (value: V, key: string) => boolean): boolean => {
  const store = storeOf<V>(record);
  if (store === undefined) {
    for (const key in record) if (predicate(record[key] as V, key)) return true;
    return false;
  }
  for (const [key, entry] of store.entries) if (predicate(entry.value, key)) return true;
  return false;
};
