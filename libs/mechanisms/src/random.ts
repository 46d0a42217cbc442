import { createHash } from "node:crypto";
import { Schema } from "effect";
import { standardNormalQuantile } from "./stats.ts";

/**
 * Seeded randomness for simulation: xoshiro128** 1.1 (Blackman and Vigna; 128-bit state,
 * period 2^128 − 1), all in 32-bit integer arithmetic (`Math.imul`, shifts), so the same seed
 * gives the same sequence on every machine.
 *
 * A stream has a 32-byte key. `makeRng(seed)` keys it with SHA-256(seed); `fork(label)` keys a
 * child with SHA-256(key ‖ UTF-8 label), whatever the parent has drawn so far, so one run
 * seed names any number of independent streams ("prover-3", "faults", …). A stream's initial
 * state is the first 16 bytes of its key as four big-endian 32-bit words.
 */
export const RNG_ALGORITHM = "xoshiro128**";

const uint32 = Schema.Int.pipe(Schema.between(0, 0xffff_ffff));

/** A stream's state, plain JSON: persist it in a snapshot and resume with `rngFromState`. */
export const RngState = Schema.Struct({
  algorithm: Schema.Literal(RNG_ALGORITHM),
  /** The stream's key, 64 lowercase hex characters: what `fork` derives children from. */
  key: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/)),
  /** The four 32-bit state words; never all zero. */
  words: Schema.Tuple(uint32, uint32, uint32, uint32).pipe(Schema.filter((w) => w.some((x) => x !== 0) || "the state words must not all be zero")),
}).annotations({ identifier: "RngState", description: "The state of a seeded xoshiro128** stream: its key and its four state words." });
export type RngState = typeof RngState.Type;

/** A seeded stream of random numbers. Drawing mutates the stream; `state()` captures it. */
export interface Rng {
  /** A uniform 32-bit unsigned integer. */
  readonly nextUint32: () => number;
  /** A uniform float in [0, 1) with 53 random bits (two 32-bit draws). */
  readonly nextFloat: () => number;
  /** A uniform integer in [0, n), without modulo bias; n a positive safe integer. */
  readonly nextInt: (n: number) => number;
  /** A standard normal draw: Φ⁻¹ of one 53-bit uniform strictly inside (0, 1). */
  readonly normal: () => number;
  /** An independent stream derived from this stream's key and `label`. */
  readonly fork: (label: string) => Rng;
  /** The current state, to persist and resume. */
  readonly state: () => RngState;
}

const TWO_32 = 0x1_0000_0000;
const TWO_53 = 2 ** 53;

const sha256 = (...parts: readonly Uint8Array[]): Uint8Array => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

const wordsOfKey = (key: Uint8Array): [number, number, number, number] => {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const words: [number, number, number, number] = [view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  // A zero state would repeat zeros forever; SHA-256 gives one with probability 2^-128.
  if (words.every((w) => w === 0)) words[0] = 1;
  return words;
};

const streamOf = (key: Uint8Array, initial: readonly [number, number, number, number]): Rng => {
  const s = Uint32Array.from(initial);

  const nextUint32 = (): number => {
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s[2] = (s[2] as number) ^ s0;
    s[3] = (s[3] as number) ^ s1;
    s[1] = s1 ^ (s[2] as number);
    s[0] = s0 ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  };

  // 53 random bits as an integer in [0, 2^53): 27 from one draw, 26 from the next.
  const next53 = (): number => (nextUint32() >>> 5) * 67_108_864 + (nextUint32() >>> 6);

  const nextInt = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`nextInt needs a positive safe integer, got ${n}`);
    // Reject the top partial bucket so every residue is equally likely.
    if (n <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const u = nextUint32();
        if (u < limit) return u % n;
      }
    }
    const limit = TWO_53 - (TWO_53 % n);
    for (;;) {
      const u = next53();
      if (u < limit) return u % n;
    }
  };

  return {
    nextUint32,
    nextFloat: () => next53() / TWO_53,
    nextInt,
    normal: () => standardNormalQuantile((next53() + 0.5) / TWO_53),
    fork: (label) => {
      const child = sha256(key, new TextEncoder().encode(label));
      return streamOf(child, wordsOfKey(child));
    },
    state: () => ({
      algorithm: RNG_ALGORITHM,
      key: Buffer.from(key).toString("hex"),
      words: [s[0] as number, s[1] as number, s[2] as number, s[3] as number],
    }),
  };
};

/** A stream keyed by SHA-256 of the seed (a string is taken as its UTF-8 bytes). */
export const makeRng = (seed: string | Uint8Array): Rng => {
  const key = sha256(typeof seed === "string" ? new TextEncoder().encode(seed) : seed);
  return streamOf(key, wordsOfKey(key));
};

/** Resume a stream exactly where `state()` left it; decode untrusted input with `RngState` first. */
export const rngFromState = (state: RngState): Rng => streamOf(new Uint8Array(Buffer.from(state.key, "hex")), state.words);

/** A bare xoshiro128** stream from four state words, for checking against the reference vectors. */
export const rngFromWords = (words: readonly [number, number, number, number]): Rng => streamOf(new Uint8Array(32), words);
