import { createHash } from "node:crypto";
import { Either } from "effect";
import { beaconSigner, proverKeyFromSeed, proverSeed, signProof, type BeaconSigner, type ProverKey } from "@zk-testnet/crypto";
import {
  assignedProver,
  assignTreeVrf,
  blockPayout,
  childrenOf,
  epochOf,
  epochStartSlot,
  isPadding,
  nodeDeadlineMs,
  provableNodes,
  rootLevel,
  slashForFault,
  splitBlockReward,
  splitSlash,
  type Assignment,
  type EligibleProver,
  type ProducedNode,
} from "@zk-testnet/mechanisms";
import { beaconSchemeOf, makeNetwork, slotAt, slotStart, type NetworkConfig, type NetworkOptions } from "@zk-testnet/network";
import {
  blockCorrelationId,
  eventId,
  eventVersions,
  proofHash,
  recordKey,
  type BlockNumber,
  type Epoch,
  type EventOf,
  type EventType,
  type Hash,
  type Level,
  type NodeIndex,
  type PayloadOf,
  type ProofRecord,
  type ProofStatement,
  type ProtocolEvent,
  type ProverId,
  type Round,
  type Slot,
  type Timestamp,
  type TxCount,
} from "@zk-testnet/protocol";
import { treePublicInputs } from "./proof-tree.ts";

// Test support: hand-built run logs. A RunBuilder appends complete, well-formed events in
// time order, with real beacon signatures and real proof signatures from keys derived the way
// the services derive them, and can play a whole block along the happy path (or with one
// missed node taken over by its sibling's prover).

export const SEED = "testkit-test";

export const testNetwork = (options: Partial<NetworkOptions> = {}): NetworkConfig =>
  Either.getOrThrow(makeNetwork({ seed: SEED, genesisMs: 0, slots: 0, provers: 4, txPerBlock: 4, ...options }));

const keys = new Map<string, ProverKey>();
export const proverKey = (network: NetworkConfig, prover: string): ProverKey => {
  const cacheKey = `${network.seed}/${prover}`;
  const known = keys.get(cacheKey);
  if (known !== undefined) return known;
  const key = proverKeyFromSeed(proverSeed(network.seed, prover));
  keys.set(cacheKey, key);
  return key;
};

export const txHash = (block: number, i: number): Hash => createHash("sha256").update(`tx/${block}/${i}`).digest("hex") as Hash;

const at = (level: number, index: number): string => `${level}/${index}`;

export interface BlockOptions {
  readonly txCount?: number;
  /** Who proves a node (its assignee unless told): a prover other than the assignee without a takeover is a wrong producer. */
  readonly producerOf?: (level: number, index: number, assignee: ProverId) => ProverId;
  /** The node whose assignee misses its deadline: its sibling's prover takes it over and the L1 slashes the assignee. */
  readonly missed?: { readonly level: number; readonly index: number };
  /** Stop before the root is submitted: no SubmitRoot, BlockFinalized or rewards. */
  readonly finalize?: boolean;
  /** Change the submitted tree before it is appended (a bad root). */
  readonly tamperRoot?: (root: PayloadOf<"SubmitRoot">) => PayloadOf<"SubmitRoot">;
}

export interface BlockRun {
  readonly proposed: EventOf<"BlockProposed">;
  readonly round: EventOf<"BeaconRound">;
  readonly assignment: Assignment;
  /** Every NodeAssigned of the block, by "level/index" (a taken-over node has two). */
  readonly assigned: ReadonlyMap<string, readonly EventOf<"NodeAssigned">[]>;
  readonly proofs: ReadonlyMap<string, EventOf<"ProofSubmitted">>;
  readonly root: EventOf<"SubmitRoot"> | undefined;
  readonly finalized: EventOf<"BlockFinalized"> | undefined;
  readonly rewards: readonly EventOf<"RewardPaid">[];
  readonly slash: EventOf<"ProverSlashed"> | undefined;
  readonly missedEvent: EventOf<"NodeDeadlineMissed"> | undefined;
}

export class RunBuilder {
  readonly network: NetworkConfig;
  readonly events: ProtocolEvent[] = [];
  private position = 0;
  private readonly beaconSigner: BeaconSigner;
  private readonly stakes = new Map<string, bigint>();
  /** The eligible set of each epoch the builder has started (EpochStarted), as of its start. */
  private readonly epochSets = new Map<number, EligibleProver[]>();

  constructor(network: NetworkConfig) {
    this.network = network;
    this.beaconSigner = beaconSigner(beaconSchemeOf(network), network.seed);
  }

  /** Appends a complete event written by `source` at `time`. */
  event<T extends EventType>(type: T, payload: PayloadOf<T>, time: number, source = "test", correlationId = "test"): EventOf<T> {
    const event = {
      id: eventId(source, null, this.position++),
      type,
      version: eventVersions[type],
      source,
      key: recordKey({ type, payload } as never),
      causationId: null,
      correlationId,
      slot: Math.max(0, slotAt(this.network, time)) as Slot,
      time: time as Timestamp,
      payload,
    } as unknown as EventOf<T>;
    this.events.push(event);
    return event;
  }

  /** Every prover of the network registers at genesis with its configured stake (ProverRegistered, then StakeChanged). */
  genesis(): this {
    for (const prover of this.network.provers) {
      const time = this.network.genesisMs;
      this.event("ProverRegistered", { prover: prover.id, stake: prover.stake, publicKey: proverKey(this.network, prover.id).publicKey }, time, "l1-settlement", "registry");
      this.event("StakeChanged", { prover: prover.id, stake: prover.stake, delta: prover.stake, reason: "deposit" }, time, "l1-settlement", "registry");
      this.stakes.set(prover.id, prover.stake);
    }
    return this;
  }

  /** The L1 starts `epoch` at `time`: the registry's eligible set as of now is fixed for its blocks. */
  epochStarted(epoch: number, time: number = slotStart(this.network, epochStartSlot(this.network.params, epoch as Epoch))): EventOf<"EpochStarted"> {
    const eligible = this.currentEligible();
    this.epochSets.set(epoch, eligible);
    return this.event("EpochStarted", { epoch: epoch as Epoch, slot: epochStartSlot(this.network.params, epoch as Epoch), eligible: eligible.length }, time, "l1-settlement", `epoch-${epoch}`);
  }

  private currentEligible(): EligibleProver[] {
    const { params } = this.network;
    return this.network.provers
      .filter((p) => this.stakes.has(p.id))
      .map((p) => ({ prover: p.id, stake: this.stakeOf(p.id) }))
      .filter((p) => p.stake >= params.minimumStake)
      .sort((a, b) => (a.prover < b.prover ? -1 : a.prover > b.prover ? 1 : 0));
  }

  stakeOf(prover: string): bigint {
    return this.stakes.get(prover) ?? 0n;
  }

  beacon(round: number, time: number): EventOf<"BeaconRound"> {
    const signed = this.beaconSigner.sign(round);
    return this.event("BeaconRound", { round: signed.round as Round, randomness: signed.randomness, signature: signed.signature }, time, "vrf-beacon", "beacon");
  }

  fault(fault: string, target: string, time: number): EventOf<"FaultInjected"> {
    return this.event("FaultInjected", { fault, target, params: {} }, time, "orchestrator", "faults");
  }

  /** A signed proof of a node by `prover` over the given public input and children. */
  proof(block: number, level: number, index: number, prover: ProverId, publicInput: Hash, children: readonly Hash[], time: number): EventOf<"ProofSubmitted"> {
    const statement: ProofStatement = {
      block: block as BlockNumber,
      level: level as Level,
      index: index as NodeIndex,
      prover,
      publicInput,
      childProofHashes: children,
    };
    const signature = signProof(proverKey(this.network, prover), statement);
    return this.event("ProofSubmitted", { ...statement, signature, proofHash: proofHash(statement, signature) }, time, `prover-pool/${prover}`, blockCorrelationId(block as BlockNumber));
  }

  /** The tree-VRF assignment block `block` will get if played now: its beacon round's randomness over its epoch's eligible set (the current registry's if the epoch has not started). */
  plannedAssignment(block: number, txCount: number = this.network.params.txPerBlock): Assignment {
    const { params } = this.network;
    const randomness = this.beaconSigner.sign(block + 1).randomness;
    const eligible = this.epochSets.get(epochOf(params, block as Slot)) ?? this.currentEligible();
    return Either.getOrThrow(assignTreeVrf({ randomness, eligible, block: block as BlockNumber, txCount: txCount as TxCount, weighting: params.weighting }));
  }

  /** Plays block `block` (proposed in slot `block`) from proposal to rewards; the L1 starts its epoch first if it has not. */
  block(block: number, options: BlockOptions = {}): BlockRun {
    const { params } = this.network;
    const txCount = (options.txCount ?? params.txPerBlock) as TxCount;
    const start = slotStart(this.network, block);
    const epoch = epochOf(params, block as Slot);
    if (!this.epochSets.has(epoch)) this.epochStarted(epoch, start);
    const txHashes = Array.from({ length: txCount }, (_, i) => txHash(block, i));
    const round = this.beacon(block + 1, start);
    const proposed = this.event("BlockProposed", { block: block as BlockNumber, slot: block as Slot, txCount, fees: 100n * BigInt(txCount), txHashes }, start, "sequencer", blockCorrelationId(block as BlockNumber));
    const assignment = this.plannedAssignment(block, txCount);
    const tree: TreeInProgress = {
      block,
      txCount,
      inputs: treePublicInputs(txHashes),
      assignment,
      assigned: new Map(),
      proofs: new Map(),
      acceptedAt: new Map(),
      producers: [],
      slash: undefined,
      missed: undefined,
    };
    for (const node of provableNodes(block as BlockNumber, txCount)) this.proveNode(tree, node.level, node.index, start, options);
    const base = { proposed, round, assignment, assigned: tree.assigned, proofs: tree.proofs, slash: tree.slash, missedEvent: tree.missed };
    if (options.finalize === false) return { ...base, root: undefined, finalized: undefined, rewards: [] };
    return { ...base, ...this.settle(tree, proposed, options) };
  }

  private nodeEvent<T extends "NodeAssigned" | "NodeDeadlineMissed" | "TakeoverOpened" | "ProofAccepted">(
    type: T,
    tree: TreeInProgress,
    level: number,
    index: number,
    payload: Omit<PayloadOf<T>, "block" | "level" | "index">,
    time: number,
    source = "aggregator",
  ): EventOf<T> {
    const node = { block: tree.block as BlockNumber, level: level as Level, index: index as NodeIndex };
    return this.event(type, { ...node, ...payload } as PayloadOf<T>, time, source, blockCorrelationId(node.block));
  }

  private assign(tree: TreeInProgress, level: number, index: number, prover: ProverId, since: number, deadline: number, children: readonly Hash[]): void {
    const publicInput = defined(tree.inputs[level]?.[index], "public input");
    const event = this.nodeEvent("NodeAssigned", tree, level, index, { prover, deadline: deadline as Timestamp, publicInput, childProofHashes: children }, since);
    tree.assigned.set(at(level, index), [...(tree.assigned.get(at(level, index)) ?? []), event]);
  }

  /** Assigns a node when its children are in, and has it proven (by its assignee, an intruder, or a taker after a miss). */
  private proveNode(tree: TreeInProgress, level: number, index: number, start: number, options: BlockOptions): void {
    const { params } = this.network;
    const assignee = defined(assignedProver(tree.assignment, { level, index }), "assignee");
    const kids = (childrenOf({ block: tree.block as BlockNumber, level: level as Level, index: index as NodeIndex }) ?? [])
      .filter((child) => !isPadding(tree.txCount, child))
      .map((child) => at(child.level, child.index));
    const since = level === 0 ? start : Math.max(...kids.map((k) => defined(tree.acceptedAt.get(k), "child acceptance")));
    const children = kids.map((k) => defined(tree.proofs.get(k), "child proof").payload.proofHash);
    const deadline = since + nodeDeadlineMs(params, level);
    this.assign(tree, level, index, assignee, since, deadline, children);
    const missed = options.missed?.level === level && options.missed.index === index;
    const prover = missed ? this.takeOver(tree, level, index, assignee, deadline, children) : (options.producerOf?.(level, index, assignee) ?? assignee);
    const provedAt = missed ? deadline + 500 : since + (level === 0 ? 500 : 300);
    const submitted = this.proof(tree.block, level, index, prover, defined(tree.inputs[level]?.[index], "public input"), children, provedAt);
    this.nodeEvent("ProofAccepted", tree, level, index, { prover, proofHash: submitted.payload.proofHash }, provedAt);
    tree.proofs.set(at(level, index), submitted);
    tree.acceptedAt.set(at(level, index), provedAt);
    tree.producers.push({ level, index, prover, takeover: missed });
  }

  /** The assignee misses: NodeDeadlineMissed, a takeover by the sibling's prover, the slash with its bounty. Returns the taker. */
  private takeOver(tree: TreeInProgress, level: number, index: number, assignee: ProverId, deadline: number, children: readonly Hash[]): ProverId {
    const { params } = this.network;
    const taker = defined(assignedProver(tree.assignment, { level, index: index ^ 1 }) ?? assignedProver(tree.assignment, { level: level + 1, index: index >> 1 }), "taker");
    tree.missed = this.nodeEvent("NodeDeadlineMissed", tree, level, index, { prover: assignee, deadline: deadline as Timestamp }, deadline);
    const fresh = deadline + nodeDeadlineMs(params, level);
    this.nodeEvent("TakeoverOpened", tree, level, index, { from: assignee, to: taker, step: "sibling", deadline: fresh as Timestamp }, deadline);
    this.assign(tree, level, index, taker, deadline, fresh, children);
    const amount = slashForFault("missed", this.stakeOf(assignee), params);
    const node = { block: tree.block as BlockNumber, level: level as Level, index: index as NodeIndex };
    const bounty = { prover: taker, amount: splitSlash(amount, params).bounty };
    tree.slash = this.event("ProverSlashed", { prover: assignee, amount, reason: "missed", ...node, evidence: [tree.missed.id], bounty }, deadline, "l1-settlement", blockCorrelationId(node.block));
    this.stakes.set(assignee, this.stakeOf(assignee) - amount);
    this.event("StakeChanged", { prover: assignee, stake: this.stakeOf(assignee), delta: -amount, reason: "slash" }, deadline, "l1-settlement", "registry");
    return taker;
  }

  /** The root goes to L1, which finalizes the block and pays its producers. */
  private settle(tree: TreeInProgress, proposed: EventOf<"BlockProposed">, options: BlockOptions) {
    const { params } = this.network;
    const block = tree.block as BlockNumber;
    const correlation = blockCorrelationId(block);
    const rootProof = defined(tree.proofs.get(at(rootLevel(tree.txCount), 0)), "root proof");
    const records = provableNodes(block, tree.txCount).map((n): ProofRecord => {
      const { level, index, prover, publicInput, childProofHashes, signature } = defined(tree.proofs.get(at(n.level, n.index)), "proof").payload;
      return { level, index, prover, publicInput, childProofHashes, signature };
    });
    const contributors = [...new Set(records.map((p) => p.prover))];
    const done = rootProof.time;
    this.event("RootProofSubmitted", { block, proofHash: rootProof.payload.proofHash, contributors }, done, "aggregator", correlation);
    const submitted: PayloadOf<"SubmitRoot"> = { block, proofHash: rootProof.payload.proofHash, contributors, proofs: records };
    const root = this.event("SubmitRoot", options.tamperRoot?.(submitted) ?? submitted, done, "aggregator", correlation);
    const finalAt = done + 100;
    const finalized = this.event("BlockFinalized", { block, slot: Math.max(0, slotAt(this.network, finalAt)) as Slot }, finalAt, "l1-settlement", correlation);
    const amount = blockPayout(proposed.payload.fees, params).distributed;
    const split = Either.getOrThrow(splitBlockReward({ block, txCount: tree.txCount, amount, producers: tree.producers, params }));
    const rewards = split.rewards
      .filter((r) => r.paid)
      .map((r) => this.event("RewardPaid", { block, prover: r.prover, amount: r.amount, level: r.node.level, index: r.node.index }, finalAt, "l1-settlement", correlation));
    return { root, finalized, rewards };
  }
}

/** A block's tree while the builder plays it. */
interface TreeInProgress {
  readonly block: number;
  readonly txCount: TxCount;
  readonly inputs: readonly (readonly Hash[])[];
  readonly assignment: Assignment;
  readonly assigned: Map<string, EventOf<"NodeAssigned">[]>;
  readonly proofs: Map<string, EventOf<"ProofSubmitted">>;
  readonly acceptedAt: Map<string, number>;
  readonly producers: ProducedNode[];
  slash: EventOf<"ProverSlashed"> | undefined;
  missed: EventOf<"NodeDeadlineMissed"> | undefined;
}

/** A leaf of a block whose sibling has another prover, so that a takeover of it goes to someone else. */
export const leafWithOtherSibling = (assignment: Assignment): number => {
  const leaves = assignment.levels[0] ?? [];
  const index = leaves.findIndex((prover, i) => prover !== null && prover !== (leaves[i ^ 1] ?? null));
  if (index < 0) throw new Error(`every leaf of block ${assignment.block} has its sibling's prover`);
  return index;
};

/** A value the test knows is there. */
export const defined = <T>(value: T | undefined, what = "value"): T => {
  if (value === undefined) throw new Error(`no ${what}`);
  return value;
};

/** The item at `index`, which the test knows is there. */
export const nth = <T>(items: readonly T[], index: number): T => {
  const item = items[index];
  if (item === undefined) throw new Error(`no item at ${index} of ${items.length}`);
  return item;
};
