import { Schema } from "effect";
import type { EventType, ProtocolEvent } from "./event.ts";

/** The testnet's services; the orchestrator is also the fault injector. */
export const services = ["sequencer", "vrf-beacon", "prover-pool", "aggregator", "l1-settlement", "orchestrator"] as const;
export const ServiceName = Schema.Literal(...services).annotations({ identifier: "ServiceName", title: "ServiceName" });
export type ServiceName = typeof ServiceName.Type;

/** What a record's Kafka key is: the decimal block number, the prover id, the round, the epoch, or the fault target. */
export type KeyKind = "block" | "prover" | "round" | "epoch" | "fault-target";

/** The record key of each event type; block-keyed wherever there is a block (per-block ordering). */
export const keyKindOf: { readonly [T in EventType]: KeyKind } = {
  BlockProposed: "block",
  BeaconRound: "round",
  NodeAssigned: "block",
  NodeDeadlineMissed: "block",
  TakeoverOpened: "block",
  ProofSubmitted: "block",
  ProofReceiptPosted: "block",
  ProofAccepted: "block",
  ProofRejected: "block",
  RootProofSubmitted: "block",
  ProverRegistered: "prover",
  StakeChanged: "prover",
  BlockFinalized: "block",
  BlockReorgedOut: "block",
  RewardPaid: "block",
  ProverSlashed: "block",
  UncleRewardPaid: "block",
  ProverEjected: "prover",
  EpochStarted: "epoch",
  FaultInjected: "fault-target",
  FaultHealed: "fault-target",
  RegisterProver: "prover",
  DepositStake: "prover",
  Unbond: "prover",
  SubmitRoot: "block",
  PostReceipt: "block",
  ClaimUncle: "block",
};

/** The one service that writes each event type (external provers may also write prover-pool's types). */
export const writerOf: { readonly [T in EventType]: ServiceName } = {
  BlockProposed: "sequencer",
  BeaconRound: "vrf-beacon",
  NodeAssigned: "aggregator",
  NodeDeadlineMissed: "aggregator",
  TakeoverOpened: "aggregator",
  ProofSubmitted: "prover-pool",
  ProofReceiptPosted: "prover-pool",
  ProofAccepted: "aggregator",
  ProofRejected: "aggregator",
  RootProofSubmitted: "aggregator",
  ProverRegistered: "l1-settlement",
  StakeChanged: "l1-settlement",
  BlockFinalized: "l1-settlement",
  BlockReorgedOut: "l1-settlement",
  RewardPaid: "l1-settlement",
  ProverSlashed: "l1-settlement",
  UncleRewardPaid: "l1-settlement",
  ProverEjected: "l1-settlement",
  EpochStarted: "l1-settlement",
  FaultInjected: "orchestrator",
  FaultHealed: "orchestrator",
  RegisterProver: "prover-pool",
  DepositStake: "prover-pool",
  Unbond: "prover-pool",
  SubmitRoot: "aggregator",
  PostReceipt: "prover-pool",
  ClaimUncle: "prover-pool",
};

/** The record key of an event, from its payload and the key kind of its type. */
export const recordKey = (event: Pick<ProtocolEvent, "type" | "payload">): string => {
  const payload: { readonly block?: number; readonly prover?: string; readonly round?: number; readonly epoch?: number; readonly target?: string } = event.payload;
  const kind = keyKindOf[event.type];
  switch (kind) {
    case "block":
      return String(payload.block);
    case "prover":
      return String(payload.prover);
    case "round":
      return String(payload.round);
    case "epoch":
      return String(payload.epoch);
    case "fault-target":
      return String(payload.target);
    default:
      return absurd(kind);
  }
};

const absurd = (value: never): never => {
  throw new Error(`unexpected key kind ${String(value)}`);
};

export interface TopicSpec {
  readonly name: string;
  readonly description: string;
  /** What the record key is, in words, and the key kinds of its event types. */
  readonly key: { readonly kinds: readonly KeyKind[]; readonly description: string };
  readonly partitions: number;
  readonly eventTypes: readonly EventType[];
  readonly writers: readonly ServiceName[];
  readonly readers: readonly ServiceName[];
  /** Kafka's cleanup.policy; an event-sourced log is never compacted. */
  readonly cleanupPolicy: "delete" | "compact";
  /** Kafka's retention.ms; -1 keeps every record, so that a service can replay from offset 0. */
  readonly retentionMs: number;
}

const forever = { cleanupPolicy: "delete", retentionMs: -1 } as const;

/** The topic catalogue: every record type travels on exactly one of these. */
export const topics = [
  {
    name: "l2.blocks",
    description: "The L2 chain as the sequencer proposes it: one BlockProposed per slot.",
    key: { kinds: ["block"], description: "The block number, in decimal." },
    partitions: 1,
    eventTypes: ["BlockProposed"],
    writers: ["sequencer"],
    readers: ["aggregator", "prover-pool", "l1-settlement", "orchestrator"],
    ...forever,
  },
  {
    name: "beacon.rounds",
    description: "The randomness beacon: one round per slot, drand-compatible.",
    key: { kinds: ["round"], description: "The round number, in decimal." },
    partitions: 1,
    eventTypes: ["BeaconRound"],
    writers: ["vrf-beacon"],
    readers: ["sequencer", "aggregator", "l1-settlement", "orchestrator"],
    ...forever,
  },
  {
    name: "proving.assignments",
    description: "The aggregator's decisions about each proof tree: assignments, misses, takeovers, verdicts on proofs, completed roots.",
    key: { kinds: ["block"], description: "The block number, in decimal: all of a block's tree is in one partition, in order." },
    partitions: 4,
    eventTypes: ["NodeAssigned", "NodeDeadlineMissed", "TakeoverOpened", "ProofAccepted", "ProofRejected", "RootProofSubmitted"],
    writers: ["aggregator"],
    readers: ["prover-pool", "l1-settlement", "orchestrator"],
    ...forever,
  },
  {
    name: "proving.proofs",
    description: "What provers send: signed proofs of nodes, and announcements of receipts posted to L1. External provers write here too.",
    key: { kinds: ["block"], description: "The block number, in decimal." },
    partitions: 4,
    eventTypes: ["ProofSubmitted", "ProofReceiptPosted"],
    writers: ["prover-pool"],
    readers: ["aggregator", "orchestrator"],
    ...forever,
  },
  {
    name: "l1.transactions",
    description: "Transactions sent to the mock L1, applied in topic order (one partition: the L1 is one chain).",
    key: { kinds: ["block", "prover"], description: "The block number in decimal for block transactions, the prover id for registry transactions." },
    partitions: 1,
    eventTypes: ["RegisterProver", "DepositStake", "Unbond", "SubmitRoot", "PostReceipt", "ClaimUncle"],
    writers: ["prover-pool", "aggregator"],
    readers: ["l1-settlement", "orchestrator"],
    ...forever,
  },
  {
    name: "l1.events",
    description: "What the mock L1 did: registry, stakes, finality, rewards, slashes. One partition, so the ledger has one total order.",
    key: { kinds: ["block", "prover", "epoch"], description: "The block number in decimal for block events, the prover id for registry events, the epoch for EpochStarted." },
    partitions: 1,
    eventTypes: [
      "ProverRegistered",
      "StakeChanged",
      "BlockFinalized",
      "BlockReorgedOut",
      "RewardPaid",
      "ProverSlashed",
      "UncleRewardPaid",
      "ProverEjected",
      "EpochStarted",
    ],
    writers: ["l1-settlement"],
    readers: ["sequencer", "aggregator", "prover-pool", "orchestrator"],
    ...forever,
  },
  {
    name: "testnet.faults",
    description: "Every fault the fault injector applied to the testnet and lifted, so that a run's log says what was done to it.",
    key: { kinds: ["fault-target"], description: "The fault's target, e.g. \"prover-3\" or \"aggregator\"." },
    partitions: 1,
    eventTypes: ["FaultInjected", "FaultHealed"],
    writers: ["orchestrator"],
    readers: ["prover-pool", "aggregator", "orchestrator"],
    ...forever,
  },
] as const satisfies readonly TopicSpec[];

export type TopicName = (typeof topics)[number]["name"];

/** The topic a record of this type goes to. */
export const topicOf: { readonly [T in EventType]: TopicName } = Object.fromEntries(
  topics.flatMap((topic) => topic.eventTypes.map((type) => [type, topic.name])),
) as { readonly [T in EventType]: TopicName };

export const topicByName = (name: string): TopicSpec | undefined => topics.find((topic) => topic.name === name);

/** The dead-letter topic of a topic: where records that failed to decode go, with the reason. */
export const dlqTopic = <N extends string>(name: N): `${N}.dlq` => `${name}.dlq`;

/** Dead-letter topics keep a week: long enough to inspect, they are not part of any replay. */
export const DLQ_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

