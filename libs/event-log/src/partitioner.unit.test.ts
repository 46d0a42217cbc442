import { describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import { partitionOf } from "./partitioner.ts";

describe("partitionOf", () => {
  it("agrees with Kafka's default (murmur2) partitioner for every key length", () => {
    const partitioner = kafkajs.Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 7, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }));
      for (let i = 0; i < 500; i++) {
        const key = `block-${i}-${"x".repeat(i % 9)}`;
        const expected = partitioner({ topic: "t", partitionMetadata: partitionMetadata as never, message: { key, value: null } as never });
        expect(partitionOf(key, partitions)).toBe(expected);
      }
    }
  });
});
