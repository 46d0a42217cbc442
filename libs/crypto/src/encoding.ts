import { createHash } from "node:crypto";
import { Data } from "effect";

/** A seed given to a key derivation had the wrong length. */
export class InvalidSeed extends Data.TaggedError("InvalidSeed")<{
  readonly expected: string;
  readonly actual: number;
}> {
  override get message(): string {
    return `invalid seed: expected ${this.expected} bytes, got ${this.actual}`;
  }
}

/**
 * SHA-256 over a labelled, length-prefixed encoding: the label, then each field, each as a
 * 4-byte big-endian length followed by its UTF-8 bytes. Length prefixes make the encoding
 * injective, so ("a", "bc") and ("ab", "c") never collide.
 */
export const labelledHash = (label: string, ...fields: readonly string[]): Uint8Array => {
  const hash = createHash("sha256");
  for (const part of [label, ...fields]) {
    const bytes = Buffer.from(part, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  }
  return new Uint8Array(hash.digest());
};

/** True when `text` is exactly `bytes` bytes as lowercase hex (the protocol's only hex form). */
export const isLowerHex = (text: unknown, bytes: number): text is string =>
  typeof text === "string" && text.length === bytes * 2 && /^[0-9a-f]*$/.test(text);

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());
