import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import type { PublishParams } from "@zk-testnet/actors";
import { beaconKeyFromSeed, beaconSeed, signRound } from "@zk-testnet/crypto";
import { makeNetwork, slotStart, type NetworkConfig } from "@zk-testnet/network";
import { eventId, type ProtocolEvent, type Timestamp } from "@zk-testnet/protocol";
import { beaconMachine, roundDraft, type BeaconEvent, type RoundSigned } from "./machine.ts";
import { beaconInput } from "./service.ts";

const network = (slots = 0): NetworkConfig => Either.getOrThrow(makeNetwork({ seed: "beacon-machine", genesisMs: 10_000, slots, provers: 2 }));
const key = beaconKeyFromSeed(beaconSeed("beacon-machine"));

type Snapshot = SnapshotFrom<typeof beaconMachine>;
type Action = { readonly type: string; readonly params?: unknown };

const start = (net: NetworkConfig) => initialTransition(beaconMachine, beaconInput(net));
const step = (snapshot: Snapshot, event: BeaconEvent) => transition(beaconMachine, snapshot, event) as [Snapshot, Action[]];
/** The host actions a transition asks for, as (type, params). */
const hostActions = (actions: readonly Action[]) =>
  actions.filter((a) => ["publish", "schedule", "run"].includes(a.type)).map((a) => ({ type: a.type, params: a.params }));

const signed = (round: number): RoundSigned => ({ type: "signed", ...signRound(key.secretKey, round) });

/** Its own BeaconRound as the log delivers it. */
const published = (net: NetworkConfig, round: number): BeaconEvent => {
  const draft = roundDraft(signed(round));
  const event = {
    id: eventId("vrf-beacon", null, round),
    type: "BeaconRound",
    version: 1,
    source: "vrf-beacon",
    key: String(round),
    causationId: null,
    correlationId: draft.correlationId,
    slot: draft.slot,
    time: slotStart(net, round - 1) as Timestamp,
    payload: draft.payload,
  };
  return { type: "input", event: event as unknown as ProtocolEvent };
};

const foldAll = (snapshot: Snapshot, events: readonly BeaconEvent[]): Snapshot => events.reduce((s, e) => step(s, e)[0], snapshot);

describe("vrf-beacon machine", () => {
  it("given nothing, when started, arms round 1 at genesis (round r at the start of slot r - 1)", () => {
    const net = network();
    const [initial] = start(net);
    expect(initial.value).toBe("publishing");
    expect(initial.context).toMatchObject({ latest: 0, rounds: {} });
    const [, actions] = step(initial, { type: "host.started", now: 0 });
    expect(hostActions(actions)).toEqual([{ type: "schedule", params: { id: "tick:1", at: 10_000, event: { type: "tick", round: 1 } } }]);
  });

  it("when a round's tick fires, runs the signRound actor for that round", () => {
    const [, actions] = step(start(network())[0], { type: "tick", round: 1 });
    expect(hostActions(actions)).toEqual([{ type: "run", params: { id: "sign:1", actor: "signRound", input: { round: 1 } } }]);
  });

  it("when the signature comes back, publishes BeaconRound, records the round and arms the next", () => {
    const net = network();
    const round1 = signed(1);
    const [after, actions] = step(start(net)[0], round1);
    const [publish, schedule] = hostActions(actions);
    expect((publish?.params as PublishParams).events).toEqual([
      { type: "BeaconRound", correlationId: "round-1", slot: 0, payload: { round: 1, randomness: round1.randomness, signature: round1.signature } },
    ]);
    expect(schedule).toEqual({ type: "schedule", params: { id: "tick:2", at: slotStart(net, 1), event: { type: "tick", round: 2 } } });
    expect(after.context).toMatchObject({ latest: 1, rounds: { "1": { signature: round1.signature, randomness: round1.randomness } } });
  });

  it("never signs or publishes a round twice, nor out of turn", () => {
    const net = network();
    const [one] = step(start(net)[0], signed(1));
    for (const event of [{ type: "tick", round: 1 }, { type: "tick", round: 3 }, signed(1), signed(3)] as const) {
      const [same, actions] = step(one, event);
      expect(hostActions(actions)).toEqual([]);
      expect(same.context).toEqual(one.context);
    }
  });

  it("folds its own BeaconRound idempotently; after a replay it arms the next round not yet published", () => {
    const net = network();
    const replayed = foldAll(start(net)[0], [1, 2, 3].map((r) => published(net, r)));
    expect(replayed.context.latest).toBe(3);
    expect(Object.keys(replayed.context.rounds).sort()).toEqual(["1", "2", "3"]);
    expect(step(replayed, published(net, 2))[0].context).toEqual(replayed.context);

    // What it published live and what a replay of its events folds are the same state.
    const live = [1, 2, 3].reduce((s, r) => step(s, signed(r))[0], start(net)[0]);
    expect(live.context).toEqual(replayed.context);
    expect(step(live, published(net, 3))[0].context).toEqual(live.context);

    const [, actions] = step(replayed, { type: "host.started", now: 123 });
    expect(hostActions(actions)).toEqual([{ type: "schedule", params: { id: "tick:4", at: slotStart(net, 3), event: { type: "tick", round: 4 } } }]);
  });

  it("a round of its own read back after the start (published just before it went down) arms the round after it: the tick armed at start is stale", () => {
    const net = network(5);
    const replayed = foldAll(start(net)[0], [published(net, 1)]);
    const [started, startActions] = step(replayed, { type: "host.started", now: slotStart(net, 3) });
    expect(hostActions(startActions)).toEqual([{ type: "schedule", params: { id: "tick:2", at: slotStart(net, 1), event: { type: "tick", round: 2 } } }]);
    const [caughtUp, actions] = step(started, published(net, 2));
    expect(caughtUp.context.latest).toBe(2);
    expect(hostActions(actions)).toEqual([{ type: "schedule", params: { id: "tick:3", at: slotStart(net, 2), event: { type: "tick", round: 3 } } }]);
    // An older round read back late arms nothing.
    const [, older] = step(foldAll(start(net)[0], [published(net, 2)]), published(net, 1));
    expect(hostActions(older)).toEqual([]);
  });

  it("stops after network.slots rounds (one per block slot) and keeps its table", () => {
    const net = network(2);
    const [one, firstActions] = step(start(net)[0], signed(1));
    expect(hostActions(firstActions).map((a) => a.type)).toEqual(["publish", "schedule"]);
    const [done, lastActions] = step(one, signed(2));
    expect(hostActions(lastActions).map((a) => a.type)).toEqual(["publish"]);
    expect(done.value).toBe("finished");
    expect(hostActions(step(done, { type: "host.started", now: 0 })[1])).toEqual([]);
    expect(Object.keys(done.context.rounds)).toEqual(["1", "2"]);
  });

  it("a failed signing is tried again one slot later; other failures and events are ignored", () => {
    const net = network();
    const [one] = step(start(net)[0], signed(1));
    const [, retry] = step(one, { type: "host.actorFailed", id: "sign:2", actor: "signRound", message: "boom" });
    expect(hostActions(retry)).toEqual([{ type: "schedule", params: { id: "tick:2", at: slotStart(net, 2), event: { type: "tick", round: 2 } } }]);
    expect(hostActions(step(one, { type: "host.actorFailed", id: "x", actor: "other", message: "" })[1])).toEqual([]);
    const block = { ...(published(net, 9) as { event: ProtocolEvent }).event, type: "BlockProposed" } as unknown as ProtocolEvent;
    expect(step(one, { type: "input", event: block })[0].context).toEqual(one.context);
  });
});
