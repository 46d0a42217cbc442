import { isProxy } from "node:util/types";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalJson, parseCanonicalJson } from "./json.ts";
import { entryCount, recordOf, removeEntry, setEntry, someEntry } from "./record.ts";

type Op = { readonly set: string; readonly value: number } | { readonly remove: string };

/** The plain-object way: what a persistent record must be indistinguishable from. */
const applyPlain = (record: Readonly<Record<string, number>>, op: Op): Readonly<Record<string, number>> => {
  if ("set" in op) return { ...record, [op.set]: op.value };
  const { [op.remove]: _gone, ...rest } = record;
  return rest;
};

const applyShared = (record: Readonly<Record<string, number>>, op: Op): Readonly<Record<string, number>> =>
  "set" in op ? setEntry(record, op.set, op.value) : removeEntry(record, op.remove);

// Keys that exercise a plain object's order: integer-like ones come first, ascending.
const key = fc.oneof(fc.constantFrom("0", "7", "10", "42", "007", "4294967295", "prover-1", "prover-2", "a", "b"), fc.stringMatching(/^[a-z0-9-]{1,6}$/));
const op: fc.Arbitrary<Op> = fc.oneof({ arbitrary: fc.record({ set: key, value: fc.integer() }), weight: 4 }, { arbitrary: fc.record({ remove: key }), weight: 1 });

describe("persistent records (setEntry / removeEntry)", () => {
  it("read exactly like the plain record the same updates give: lookups, keys in order, JSON, spread", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 0, max: 60 }), (ops, size) => {
        // Small records stay plain; from 32 keys on they share structure: start on either side.
        const base = Array.from({ length: size }, (_, i) => [i % 5 === 0 ? String(i * 3) : `base-${i}`, i] as const);
        let plain: Readonly<Record<string, number>> = Object.fromEntries(base);
        let shared: Readonly<Record<string, number>> = recordOf(base);
        for (const o of ops) {
          plain = applyPlain(plain, o);
          shared = applyShared(shared, o);
        }
        expect(Object.keys(shared)).toEqual(Object.keys(plain));
        expect(Object.entries(shared)).toEqual(Object.entries(plain));
        expect(JSON.stringify(shared)).toBe(JSON.stringify(plain));
        expect(canonicalJson({ context: shared })).toBe(canonicalJson({ context: plain }));
        expect({ ...shared }).toEqual(plain);
        expect(shared).toEqual(plain);
        expect(entryCount(shared)).toBe(Object.keys(plain).length);
        for (const k of ["0", "7", "prover-1", "missing"]) {
          expect(shared[k]).toBe(plain[k]);
          expect(k in shared).toBe(k in plain);
          expect(Object.prototype.hasOwnProperty.call(shared, k)).toBe(Object.prototype.hasOwnProperty.call(plain, k));
        }
        const forIn: string[] = [];
        for (const k in shared) forIn.push(k);
        expect(forIn).toEqual(Object.keys(plain));
      }),
      { numRuns: 200 },
    );
  });

  it("leave the record they update as it was, and share what did not change", () => {
    const before = recordOf(Array.from({ length: 1_000 }, (_, i) => [`prover-${i}`, i] as const));
    const after = setEntry(removeEntry(before, "prover-3"), "prover-1000", 1_000);
    expect(isProxy(before)).toBe(true);
    expect(isProxy(recordOf([["a", 1]]))).toBe(false);
    expect(entryCount(before)).toBe(1_000);
    expect(before["prover-3"]).toBe(3);
    expect(before["prover-1000"]).toBeUndefined();
    expect(after["prover-3"]).toBeUndefined();
    expect(after["prover-1000"]).toBe(1_000);
    expect(Object.keys(after).at(-1)).toBe("prover-1000");
    expect(setEntry(after, "prover-7", 7)).toBe(after);
    expect(removeEntry(after, "nobody")).toBe(after);
  });

  it("are immutable, and inherit what a plain object does", () => {
    const record = recordOf(Array.from({ length: 100 }, (_, i) => [`k${i}`, i] as const)) as Record<string, number>;
    expect(() => {
      record["k1"] = 5;
    }).toThrow(TypeError);
    expect(() => delete record["k1"]).toThrow(TypeError);
    expect(record["k1"]).toBe(1);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.hasOwn(record, "k2")).toBe(true);
    expect(typeof record.toString).toBe("function");
    expect("toString" in record).toBe(true);
    expect(someEntry(record, (v) => v === 99)).toBe(true);
    expect(someEntry(record, (v) => v > 99)).toBe(false);
  });

  it("survive a snapshot: the canonical JSON parses back to the plain record, which updates the same way", () => {
    const record = recordOf(Array.from({ length: 100 }, (_, i) => [`prover-${i}`, BigInt(i)] as const));
    const restored = parseCanonicalJson(canonicalJson(record)) as Readonly<Record<string, bigint>>;
    expect(restored).toEqual(record);
    expect(canonicalJson(setEntry(restored, "prover-5", 50n))).toBe(canonicalJson(setEntry(record, "prover-5", 50n)));
  });
});
