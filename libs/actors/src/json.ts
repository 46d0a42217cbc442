import { createHash } from "node:crypto";

/** JSON that keeps bigints (amounts) and sorts object keys, so equal states give equal text. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return { $bigint: v.toString() };
    if (v instanceof Map) return { $map: [...v.entries()] };
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });

export const parseCanonicalJson = (text: string): unknown =>
  JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && "$bigint" in v) return BigInt((v as { $bigint: string }).$bigint);
    if (v !== null && typeof v === "object" && "$map" in v) return new Map((v as { $map: [unknown, unknown][] }).$map);
    return v;
  });

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");
