import { describe, expect, it } from "vitest";
import { newClusterId } from "./cluster.ts";

describe("newClusterId", () => {
  // Regression: an id starting with "-" made the storage tool read it as an option (1 start in 64).
  it("never starts with '-' and is a base64url 16-byte uuid", () => {
    for (let i = 0; i < 5_000; i++) {
      const id = newClusterId();
      expect(id.startsWith("-")).toBe(false);
      expect(Buffer.from(id, "base64url")).toHaveLength(16);
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
