import { createHash } from "node:crypto";
import { Either } from "effect";
import { proverKeyFromSeed, proverSeed, signProof } from "@zk-testnet/crypto";
import { isPadding, provableNodes, rootLevel, treeWidth } from "@zk-testnet/mechanisms";
import { makeNetwork, type NetworkConfig } from "@zk-testnet/network";
import {
  blockCorrelationId,
  type TakeoverStep,
  EMPTY_LEAF_PUBLIC_INPUT,
  eventId,
  eventVersions,
  mergePublicInput,
  proofHash,
  recordKey,
  type BlockNumber,
  type EventId,
  type EventOf,
  type EventType,
  type Hash,
  type Level,
  type NodeIndex,
  type PayloadOf,
  type ProofRecord,
  type ProofStatement,
  type ProverId,
  type RejectionReason,
  type Slot,
  type Timestamp,
  type TxCount,
} from "@zk-testnet/protocol";

// Blocks, signed proof trees and L1 transactions for the L1's tests, built without a Clock.

export const testNetwork = (provers = 4, seed = "l1-settlement-test", txPerBlock = 8): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed, genesisMs: 0, slots: 0, provers, txPerBlock }));

let sequence = 0;

/** A complete protocol event as `source` would have written it at `time`. */
export const protocolEvent = <T extends EventType>(
  type: T,
  source: string,
  time: number,
  payload: PayloadOf<T>,
  correlationId = "test",
  causationId: EventId | null = null,
): EventOf<T> =>
  ({
    id: eventId(`${source}/test`, null, sequence++),
    type,
    version: eventVersions[type],
    source,
    key: recordKey({ type, payload } as never),
    causationId,
    correlationId,
    slot: Math.max(0, Math.floor(time / 2_000)) as Slot,
    time: time as Timestamp,
    payload,
  }) as unknown as EventOf<T>;

export const keyOf = (network: NetworkConfig, prover: string) => proverKeyFromSeed(proverSeed(network.seed, prover));

export const txHashesOf = (block: number, txCount: number): readonly Hash[] =>
  Array.from({ length: txCount }, (_, i) => createHash("sha256").update(`tx/${block}/${i}`).digest("hex") as Hash);

export const blockProposed = (block: number, txCount: number, fees: bigint, time = block * 2_000): EventOf<"BlockProposed"> =>
  protocolEvent(
    "BlockProposed",
    "sequencer",
    time,
    { block: block as BlockNumber, slot: block as Slot, txCount: txCount as TxCount, fees, txHashes: txHashesOf(block, txCount) },
    blockCorrelationId(block as BlockNumber),
  );

export const registerProver = (network: NetworkConfig, prover: string, time = 0, stake?: bigint): EventOf<"RegisterProver"> =>
  protocolEvent(
    "RegisterProver",
    "prover-pool",
    time,
    {
      prover: prover as ProverId,
      publicKey: keyOf(network, prover).publicKey,
      stake: stake ?? network.provers.find((p) => p.id === prover)?.stake ?? 0n,
    },
    "registry",
  );

/** What a test changes in one node's proof before it is signed (or after, for `signature`). */
export interface Tamper {
  readonly level: number;
  readonly index: number;
  readonly change: (proof: ProofRecord) => ProofRecord;
  /** Sign the changed statement (a wrong but well-signed proof) or keep the original signature. */
  readonly resign: boolean;
}

export interface SignedTree {
  readonly block: BlockNumber;
  readonly proofHash: Hash;
  readonly contributors: readonly ProverId[];
  readonly proofs: readonly ProofRecord[];
}

/** Public inputs of a padded tree, computed from scratch (a cross-check of the L1's own). */
const publicInputAt = (txHashes: readonly Hash[], level: number, index: number): Hash =>
  level === 0
    ? (txHashes[index] ?? EMPTY_LEAF_PUBLIC_INPUT)
    : mergePublicInput(publicInputAt(txHashes, level - 1, 2 * index), publicInputAt(txHashes, level - 1, 2 * index + 1));

/**
 * Proves every node of a block's tree, leaves first: node (l, i) by `proverOf(l, i)`, each
 * signed with that prover's seeded key over the right input and its children's proof hashes.
 */
export const signTree = (
  network: NetworkConfig,
  block: number,
  txHashes: readonly Hash[],
  proverOf: (level: number, index: number) => string,
  tamper?: Tamper,
): SignedTree => {
  const txCount = txHashes.length as TxCount;
  const hashes = new Map<string, Hash>();
  const proofs: ProofRecord[] = [];
  for (const node of provableNodes(block as BlockNumber, txCount)) {
    const { level, index } = node;
    const children = level === 0 ? [] : [2 * index, 2 * index + 1].filter((j) => !isPadding(txCount, { level: level - 1, index: j }));
    let statement: ProofStatement = {
      block: block as BlockNumber,
      level: level as Level,
      index: index as NodeIndex,
      prover: proverOf(level, index) as ProverId,
      publicInput: publicInputAt(txHashes, level, index),
      childProofHashes: children.map((j) => hashes.get(`${level - 1}/${j}`) as Hash),
    };
    let proof: ProofRecord = { ...statement, signature: signProof(keyOf(network, statement.prover), statement) };
    if (tamper !== undefined && tamper.level === level && tamper.index === index) {
      const changed = tamper.change(proof);
      statement = { ...statement, ...changed, block: block as BlockNumber };
      proof = tamper.resign ? { ...changed, signature: signProof(keyOf(network, changed.prover), statement) } : changed;
    }
    hashes.set(`${level}/${index}`, proofHash(statement, proof.signature));
    proofs.push(proof);
  }
  const contributors = [...new Set(proofs.map((p) => p.prover))];
  return { block: block as BlockNumber, proofHash: hashes.get(`${rootLevel(txCount)}/0`) as Hash, contributors, proofs };
};

export const submitRoot = (tree: SignedTree, time: number): EventOf<"SubmitRoot"> =>
  protocolEvent(
    "SubmitRoot",
    "aggregator",
    time,
    { block: tree.block, proofHash: tree.proofHash, contributors: tree.contributors, proofs: tree.proofs },
    blockCorrelationId(tree.block),
  );

/** Round-robin producers over the given provers, in node order. */
export const roundRobin = (provers: readonly string[], txCount: number) => {
  const width = treeWidth(txCount as TxCount);
  return (level: number, index: number): string => provers[(level * width + index) % provers.length] as string;
};

/** The hash of node (level, index)'s proof in a signed tree. */
export const proofHashAt = (tree: SignedTree, level: number, index: number): Hash => {
  const proof = tree.proofs.find((p) => p.level === level && p.index === index);
  if (proof === undefined) throw new Error(`no proof of ${level}/${index} in block ${tree.block}`);
  const { signature, ...rest } = proof;
  return proofHash({ ...rest, block: tree.block }, signature);
};

/** Another well-formed proof hash for the same node (a different proof). */
export const otherHash = (hash: Hash, salt = "other"): Hash => createHash("sha256").update(`${salt}/${hash}`).digest("hex") as Hash;

const nodeOf = (block: number, level: number, index: number) => ({ block: block as BlockNumber, level: level as Level, index: index as NodeIndex });

// The aggregator's statements on proving.assignments, as the L1 reads them.

export const nodeAssigned = (block: number, level: number, index: number, prover: string, time: number, deadline: number): EventOf<"NodeAssigned"> =>
  protocolEvent(
    "NodeAssigned",
    "aggregator",
    time,
    { ...nodeOf(block, level, index), prover: prover as ProverId, deadline: deadline as Timestamp, publicInput: EMPTY_LEAF_PUBLIC_INPUT, childProofHashes: [] },
    blockCorrelationId(block as BlockNumber),
  );

/** NodeAssigned for every node of a block's tree at `time`, by `proverOf`: leaves due D_leaf later, merge nodes D_merge after that. */
export const assignTree = (network: NetworkConfig, block: number, txCount: number, proverOf: (level: number, index: number) => string, time: number) =>
  provableNodes(block as BlockNumber, txCount as TxCount).map((node) => {
    const { leafDeadlineSlots, mergeDeadlineSlots, slotMs } = network.params;
    const deadline = time + (leafDeadlineSlots + node.level * mergeDeadlineSlots) * slotMs;
    return nodeAssigned(block, node.level, node.index, proverOf(node.level, node.index), time, deadline);
  });

export const deadlineMissed = (block: number, level: number, index: number, prover: string, deadline: number, time = deadline): EventOf<"NodeDeadlineMissed"> =>
  protocolEvent(
    "NodeDeadlineMissed",
    "aggregator",
    time,
    { ...nodeOf(block, level, index), prover: prover as ProverId, deadline: deadline as Timestamp },
    blockCorrelationId(block as BlockNumber),
  );

export const takeoverOpened = (
  block: number,
  level: number,
  index: number,
  from: string,
  to: string | undefined,
  step: TakeoverStep,
  deadline: number,
  time: number,
): EventOf<"TakeoverOpened"> =>
  protocolEvent(
    "TakeoverOpened",
    "aggregator",
    time,
    { ...nodeOf(block, level, index), from: from as ProverId, ...(to === undefined ? {} : { to: to as ProverId }), step, deadline: deadline as Timestamp },
    blockCorrelationId(block as BlockNumber),
  );

export const proofAccepted = (block: number, level: number, index: number, prover: string, proofHash: Hash, time: number): EventOf<"ProofAccepted"> =>
  protocolEvent("ProofAccepted", "aggregator", time, { ...nodeOf(block, level, index), prover: prover as ProverId, proofHash }, blockCorrelationId(block as BlockNumber));

/** A ProofRejected answering a ProofSubmitted (its causation id) by `prover`. */
export const proofRejected = (
  block: number,
  level: number,
  index: number,
  prover: string,
  proofHash: Hash,
  reason: RejectionReason,
  time: number,
  submitted: EventId | null = eventId("prover-pool/test", null, sequence++),
): EventOf<"ProofRejected"> =>
  protocolEvent(
    "ProofRejected",
    "aggregator",
    time,
    { ...nodeOf(block, level, index), prover: prover as ProverId, proofHash, reason },
    blockCorrelationId(block as BlockNumber),
    submitted,
  );

// Transactions of the griefing guard.

export const postReceipt = (block: number, level: number, index: number, prover: string, proofHash: Hash, time: number): EventOf<"PostReceipt"> =>
  protocolEvent("PostReceipt", "prover-pool", time, { ...nodeOf(block, level, index), prover: prover as ProverId, proofHash }, blockCorrelationId(block as BlockNumber));

export const claimUncle = (block: number, level: number, index: number, prover: string, proofHash: Hash, time: number): EventOf<"ClaimUncle"> =>
  protocolEvent("ClaimUncle", "prover-pool", time, { ...nodeOf(block, level, index), prover: prover as ProverId, proofHash }, blockCorrelationId(block as BlockNumber));

/** The L1's own BlockReorgedOut, as it reads it back from l1.events. */
export const blockReorgedOut = (block: number, slot: number, time: number): EventOf<"BlockReorgedOut"> =>
  protocolEvent("BlockReorgedOut", "l1-settlement", time, { block: block as BlockNumber, slot: slot as Slot, reason: "proving-window-expired" }, blockCorrelationId(block as BlockNumber));
