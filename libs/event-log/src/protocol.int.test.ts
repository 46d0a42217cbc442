import { describe, expect, layer } from "@effect/vitest";
import { Effect, type Scope } from "effect";
import { KafkaCluster } from "@zk-testnet/kafka";
import { encodeEvent, makeEvent, topics, type BlockNumber, type Hash, type ProtocolEvent, type Slot, type TxCount } from "@zk-testnet/protocol";
import { makeEmbeddedLog } from "./embedded.ts";
import { makeKafkaLog } from "./kafka.ts";
import type { EventLogApi } from "./port.ts";
import { appendEvent, protocolCodec, protocolTopicSpecs } from "./protocol.ts";
import { eventually, uniqueName } from "./testing.ts";

const open = (adapter: "embedded" | "kafka"): Effect.Effect<EventLogApi, unknown, KafkaCluster | Scope.Scope> =>
  adapter === "embedded" ? makeEmbeddedLog() : Effect.flatMap(KafkaCluster, (c) => makeKafkaLog({ brokers: c.brokers, clientId: "protocol" }));

const blockProposed = (block: number) =>
  makeEvent({
    type: "BlockProposed",
    source: "sequencer",
    causationId: null,
    position: block,
    correlationId: `block-${block}`,
    slot: block as Slot,
    payload: { block: block as BlockNumber, slot: block as Slot, txCount: 1 as TxCount, fees: 1000n, txHashes: ["ab".repeat(32) as Hash] },
  });

layer(KafkaCluster.single, { excludeTestServices: true, timeout: "240 seconds" })("protocol events on the event log", (it) => {
  describe.each(["embedded", "kafka"] as const)("%s adapter", (adapter) => {
    it.effect("creates the catalogue's topics, round-trips protocol events and dead-letters every kind of bad record", () =>
      Effect.gen(function* () {
        const log = yield* open(adapter);
        yield* log.createTopics(protocolTopicSpecs);
        const names = (yield* log.topics).map((t) => t.name);
        for (const t of topics) expect(names).toEqual(expect.arrayContaining([t.name, `${t.name}.dlq`]));

        // A group of its own, so runs against the same broker do not share offsets.
        const group = uniqueName("aggregator");
        const received: ProtocolEvent[] = [];
        const sub = yield* log.subscribe({ group, topics: ["l2.blocks"], codec: protocolCodec, handler: (e) => Effect.sync(() => void received.push(e)) });
        const before = (yield* log.read("l2.blocks")).length;

        const first = yield* blockProposed(before + 1);
        yield* appendEvent(log, first);
        const encoded = JSON.parse(encodeEvent(first)) as Record<string, unknown>;
        yield* log.append("l2.blocks", "x", "{oops");
        yield* log.append("l2.blocks", "x", JSON.stringify({ ...encoded, id: "f".repeat(32), type: "BlockMined" }));
        yield* log.append("l2.blocks", "x", JSON.stringify({ ...encoded, id: "e".repeat(32), version: 9 }));
        yield* log.append("l2.blocks", "x", JSON.stringify({ ...encoded, id: "d".repeat(32), payload: { ...(encoded["payload"] as object), fees: "-5" } }));
        const second = yield* blockProposed(before + 2);
        yield* appendEvent(log, second);
        yield* appendEvent(log, second); // a resend: same id, dropped

        yield* eventually(() => received.length === 2 && Effect.runSync(sub.stats).duplicates === 1, "60 seconds", "events");
        expect(received).toEqual([first, second]);
        yield* eventually(() => Effect.runSync(sub.stats).deadLettered === 4, "60 seconds", "dead letters");
        const dead = yield* log.read("l2.blocks.dlq");
        const reasons = dead.slice(-4).map((r) => (JSON.parse(r.value) as { reason: string }).reason);
        expect(reasons).toEqual(["bad-json", "unknown-type", "wrong-version", "schema-violation"]);
      }).pipe(Effect.scoped),
    );
  });
});
