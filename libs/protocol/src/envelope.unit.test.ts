import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventId } from "./envelope.ts";

const source = fc.string({ maxLength: 40 });
const causation = fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: null });
const position = fc.nat();

describe("eventId", () => {
  it("is 32 lowercase hex characters", () => {
    fc.assert(
      fc.property(source, causation, position, (s, c, p) => {
        expect(eventId(s, c, p)).toMatch(/^[0-9a-f]{32}$/);
      }),
    );
  });

  it("is the same for the same inputs", () => {
    fc.assert(
      fc.property(source, causation, position, (s, c, p) => {
        expect(eventId(s, c, p)).toBe(eventId(`${s}`, c === null ? null : `${c}`, Number(p)));
      }),
    );
  });

  it("follows the documented encoding, so other languages can derive the same ids", () => {
    const canonical = '["zk-testnet/event-id/v1","aggregator","0123456789abcdef0123456789abcdef","3"]';
    const expected = createHash("sha256").update(canonical, "utf8").digest("hex").slice(0, 32);
    expect(eventId("aggregator", "0123456789abcdef0123456789abcdef", 3)).toBe(expected);
    expect(eventId("sequencer", null, 0)).toBe(
      createHash("sha256").update('["zk-testnet/event-id/v1","sequencer",null,"0"]', "utf8").digest("hex").slice(0, 32),
    );
  });

  it("changes when the source changes", () => {
    fc.assert(
      fc.property(source, source, causation, position, (s1, s2, c, p) => {
        fc.pre(s1 !== s2);
        expect(eventId(s1, c, p)).not.toBe(eventId(s2, c, p));
      }),
    );
  });

  it("changes when the causation changes, null included", () => {
    fc.assert(
      fc.property(source, causation, causation, position, (s, c1, c2, p) => {
        fc.pre(c1 !== c2);
        expect(eventId(s, c1, p)).not.toBe(eventId(s, c2, p));
      }),
    );
    expect(eventId("aggregator", null, 0)).not.toBe(eventId("aggregator", "null", 0));
  });

  it("changes when the position changes", () => {
    fc.assert(
      fc.property(source, causation, position, position, (s, c, p1, p2) => {
        fc.pre(p1 !== p2);
        expect(eventId(s, c, p1)).not.toBe(eventId(s, c, p2));
      }),
    );
  });

  it("does not collide when text moves between the source and the causation", () => {
    expect(eventId("ab", "c", 1)).not.toBe(eventId("a", "bc", 1));
    expect(eventId("a,b", null, 1)).not.toBe(eventId("a", "b", 1));
    expect(eventId("x", null, 12)).not.toBe(eventId("x1", null, 2));
  });
});
