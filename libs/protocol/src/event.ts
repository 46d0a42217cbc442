import { Schema } from "effect";
import { NodeAssigned, NodeDeadlineMissed, ProofAccepted, ProofRejected, RootProofSubmitted, TakeoverOpened } from "./events/aggregator.ts";
import { BeaconRound } from "./events/beacon.ts";
import { FaultHealed, FaultInjected } from "./events/faults.ts";
import { ClaimUncle, DepositStake, PostReceipt, RegisterProver, SubmitRoot, Unbond } from "./events/l1-transactions.ts";
import { ProofReceiptPosted, ProofSubmitted } from "./events/prover.ts";
import { BlockProposed } from "./events/sequencer.ts";
import {
  BlockFinalized,
  BlockReorgedOut,
  EpochStarted,
  ProverEjected,
  ProverRegistered,
  ProverSlashed,
  RewardPaid,
  StakeChanged,
  UncleRewardPaid,
} from "./events/settlement.ts";

/** Every record type of the protocol, by its `type`: events and L1 transactions alike. */
export const eventSchemas = {
  BlockProposed,
  BeaconRound,
  NodeAssigned,
  NodeDeadlineMissed,
  TakeoverOpened,
  ProofSubmitted,
  ProofReceiptPosted,
  ProofAccepted,
  ProofRejected,
  RootProofSubmitted,
  ProverRegistered,
  StakeChanged,
  BlockFinalized,
  BlockReorgedOut,
  RewardPaid,
  ProverSlashed,
  UncleRewardPaid,
  ProverEjected,
  EpochStarted,
  FaultInjected,
  FaultHealed,
  RegisterProver,
  DepositStake,
  Unbond,
  SubmitRoot,
  PostReceipt,
  ClaimUncle,
} as const;

export type EventType = keyof typeof eventSchemas;

/** The event types in catalogue order. */
export const eventTypes = Object.keys(eventSchemas) as readonly EventType[];

/** The transactions sent to the mock L1, as opposed to the facts services report. */
export const l1TransactionTypes = ["RegisterProver", "DepositStake", "Unbond", "SubmitRoot", "PostReceipt", "ClaimUncle"] as const satisfies readonly EventType[];
export type L1TransactionType = (typeof l1TransactionTypes)[number];

/** Any record of the protocol, discriminated by `type`. */
export const ProtocolEvent = Schema.Union(
  BlockProposed,
  BeaconRound,
  NodeAssigned,
  NodeDeadlineMissed,
  TakeoverOpened,
  ProofSubmitted,
  ProofReceiptPosted,
  ProofAccepted,
  ProofRejected,
  RootProofSubmitted,
  ProverRegistered,
  StakeChanged,
  BlockFinalized,
  BlockReorgedOut,
  RewardPaid,
  ProverSlashed,
  UncleRewardPaid,
  ProverEjected,
  EpochStarted,
  FaultInjected,
  FaultHealed,
  RegisterProver,
  DepositStake,
  Unbond,
  SubmitRoot,
  PostReceipt,
  ClaimUncle,
).annotations({ identifier: "ProtocolEvent", title: "ProtocolEvent" });
export type ProtocolEvent = typeof ProtocolEvent.Type;

/** The wire (JSON) form of a record. */
export type EncodedProtocolEvent = typeof ProtocolEvent.Encoded;

/** The record of one type. */
export type EventOf<T extends EventType> = Extract<ProtocolEvent, { readonly type: T }>;
export type PayloadOf<T extends EventType> = EventOf<T>["payload"];

export type L1Transaction = EventOf<L1TransactionType>;

/** The current schema version of each type: what writers write and readers accept. */
export const eventVersions: { readonly [T in EventType]: EventOf<T>["version"] } = Object.fromEntries(
  eventTypes.map((type) => [type, eventSchemas[type].fields.version.literals[0]]),
) as { readonly [T in EventType]: EventOf<T>["version"] };

export const isEventType = (value: unknown): value is EventType =>
  typeof value === "string" && Object.prototype.hasOwnProperty.call(eventSchemas, value);

export const isL1Transaction = (event: ProtocolEvent): event is L1Transaction =>
  (l1TransactionTypes as readonly string[]).includes(event.type);
