import { describe, expect, it } from "vitest";
import { eventTypes, type EventType } from "./event.ts";
import { dlqTopic, keyKindOf, services, topicOf, topics, writerOf, type TopicSpec } from "./topics.ts";

const catalogue: readonly TopicSpec[] = topics;

describe("topic catalogue", () => {
  it("carries every event type on exactly one topic", () => {
    for (const type of eventTypes) {
      const carriers = catalogue.filter((topic) => topic.eventTypes.includes(type)).map((topic) => topic.name);
      expect(carriers, type).toHaveLength(1);
      expect(topicOf[type]).toBe(carriers[0]);
    }
  });

  it("carries only known event types", () => {
    const known = new Set<string>(eventTypes);
    for (const topic of catalogue) for (const type of topic.eventTypes) expect(known.has(type), `${topic.name}: ${type}`).toBe(true);
  });

  it("gives every topic a writer, and its writers are exactly the writers of its event types", () => {
    for (const topic of catalogue) {
      expect(topic.writers.length, topic.name).toBeGreaterThan(0);
      const derived = new Set(topic.eventTypes.map((type) => writerOf[type]));
      expect(new Set(topic.writers), topic.name).toStrictEqual(derived);
    }
  });

  it("names only known services as writers and readers, and every topic has a reader", () => {
    const known = new Set<string>(services);
    for (const topic of catalogue) {
      expect(topic.readers.length, topic.name).toBeGreaterThan(0);
      for (const service of [...topic.writers, ...topic.readers]) expect(known.has(service), `${topic.name}: ${service}`).toBe(true);
    }
  });

  it("gives every service something to do", () => {
    for (const service of services) {
      const involved = catalogue.some((topic) => (topic.writers as readonly string[]).includes(service) || (topic.readers as readonly string[]).includes(service));
      expect(involved, service).toBe(true);
    }
  });

  it("keys every record by its block where it has one", () => {
    const blockless: readonly EventType[] = [
      "BeaconRound",
      "ProverRegistered",
      "StakeChanged",
      "ProverEjected",
      "EpochStarted",
      "FaultInjected",
      "FaultHealed",
      "RegisterProver",
      "DepositStake",
      "Unbond",
    ];
    for (const type of eventTypes) expect(keyKindOf[type] === "block", type).toBe(!blockless.includes(type));
    for (const topic of catalogue) {
      const kinds = new Set(topic.eventTypes.map((type) => keyKindOf[type]));
      expect(new Set(topic.key.kinds), topic.name).toStrictEqual(kinds);
    }
  });

  it("keeps every record of the event-sourced topics: delete policy, infinite retention, at least one partition", () => {
    for (const topic of catalogue) {
      expect(topic.cleanupPolicy, topic.name).toBe("delete");
      expect(topic.retentionMs, topic.name).toBe(-1);
      expect(Number.isInteger(topic.partitions) && topic.partitions >= 1, topic.name).toBe(true);
    }
  });

  it("has unique topic names, and dead-letter names that are not topics", () => {
    const names = catalogue.map((topic) => topic.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(dlqTopic(name)).toBe(`${name}.dlq`);
      expect(names).not.toContain(dlqTopic(name));
    }
  });
});
