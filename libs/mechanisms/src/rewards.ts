import { Data, Either } from "effect";
import type { BlockNumber, NodeId, ProverId, SlashReason, TxCount } from "@zk-testnet/protocol";
import { BPS, type ProtocolParams } from "./params.ts";
import { isInTree, isPadding, nodeWeight, provableNodes, rootLevel, type TreePosition } from "./tree.ts";

// Payment and slashing arithmetic. Every amount is a bigint in the smallest unit and every
// share is floor(amount · bps / 10 000); each split hands its rounding remainder to one
// named recipient, so the parts always add up to the whole.

/** `amount` × `bps` / 10 000, rounded down. */
export const shareOf = (amount: bigint, bps: number): bigint => (amount * BigInt(bps)) / BigInt(BPS);

/** What a finalized block distributes over its proof tree. */
export interface BlockPayout {
  /** proverShareBps of the fees F_b. */
  readonly proverShare: bigint;
  /** The fixed reward minted for the block. */
  readonly blockReward: bigint;
  /** proverShare + blockReward: what the tree's nodes split. */
  readonly distributed: bigint;
  /** The fees not paid to provers: F_b − proverShare. */
  readonly feesRetained: bigint;
}

export const blockPayout = (fees: bigint, params: Pick<ProtocolParams, "proverShareBps" | "blockReward">): BlockPayout => {
  const proverShare = shareOf(fees, params.proverShareBps);
  return { proverShare, blockReward: params.blockReward, distributed: proverShare + params.blockReward, feesRetained: fees - proverShare };
};

/** Who produced a node of a finalized block's tree, and whether it was a takeover. */
export interface ProducedNode {
  readonly level: number;
  readonly index: number;
  readonly prover: ProverId;
  readonly takeover: boolean;
}

/** One node's share of a block's payout. */
export interface NodeReward {
  readonly node: NodeId;
  readonly prover: ProverId;
  readonly amount: bigint;
  readonly takeover: boolean;
  /** False for a takeover node while `takeoverPaid` is off: its amount is withheld. */
  readonly paid: boolean;
}

export interface RewardSplit {
  readonly block: BlockNumber;
  readonly distributed: bigint;
  /** One entry per node that needed a proof, leaves first, each level from the left. */
  readonly rewards: readonly NodeReward[];
  /** Sum of the amounts paid to producers. */
  readonly paid: bigint;
  /** Sum of the amounts of unpaid takeover nodes; paid + withheld = distributed. */
  readonly withheld: bigint;
}

export class IncompleteProofTree extends Data.TaggedError("IncompleteProofTree")<{
  readonly block: BlockNumber;
  /** Nodes that need a proof but have no producer. */
  readonly missing: readonly TreePosition[];
  /** Producers given for padding nodes, positions outside the tree, or a node twice. */
  readonly unexpected: readonly TreePosition[];
}> {}

export interface RewardSplitInput {
  readonly block: BlockNumber;
  readonly txCount: TxCount;
  /** The amount to split, usually `blockPayout(...).distributed`. */
  readonly amount: bigint;
  /** The producer of every node that needed a proof. */
  readonly producers: readonly ProducedNode[];
  readonly params: Pick<ProtocolParams, "leafWeight" | "mergeWeight" | "takeoverPaid">;
}

const positionKey = (node: TreePosition): string => `${node.level}/${node.index}`;

/**
 * Split a block's payout over its nodes by weight: node k gets floor(amount · w_k / W), and
 * the rounding remainder (less than the number of nodes) goes to the root's share. With
 * W = 0 (leaf weight 0 and a one-leaf tree) the root gets everything.
 */
export const splitBlockReward = (input: RewardSplitInput): Either.Either<RewardSplit, IncompleteProofTree> => {
  const { block, txCount, amount, params } = input;
  const byPosition = new Map<string, ProducedNode>();
  const unexpected: TreePosition[] = [];
  for (const produced of input.producers) {
    const key = positionKey(produced);
    const position = { level: produced.level, index: produced.index };
    if (!isInTree(txCount, produced) || isPadding(txCount, produced) || byPosition.has(key)) unexpected.push(position);
    else byPosition.set(key, produced);
  }
  const nodes = provableNodes(block, txCount);
  const missing = nodes.filter((node) => !byPosition.has(positionKey(node))).map((node) => ({ level: node.level, index: node.index }));
  if (missing.length > 0 || unexpected.length > 0) return Either.left(new IncompleteProofTree({ block, missing, unexpected }));

  const weights = nodes.map((node) => nodeWeight(txCount, node, params));
  const totalWeight = weights.reduce((sum, w) => sum + w, 0n);
  const shares = weights.map((w) => (totalWeight === 0n ? 0n : (amount * w) / totalWeight));
  const remainder = amount - shares.reduce((sum, s) => sum + s, 0n);
  const root = rootLevel(txCount);

  let paid = 0n;
  let withheld = 0n;
  const rewards = nodes.map((node, k): NodeReward => {
    const producer = byPosition.get(positionKey(node)) as ProducedNode;
    const nodeAmount = (shares[k] as bigint) + (node.level === root ? remainder : 0n);
    const isPaid = !producer.takeover || params.takeoverPaid;
    if (isPaid) paid += nodeAmount;
    else withheld += nodeAmount;
    return { node, prover: producer.prover, amount: nodeAmount, takeover: producer.takeover, paid: isPaid };
  });
  return Either.right({ block, distributed: amount, rewards, paid, withheld });
};

/** The reward of one node in a split (what an uncle's reward is a share of); undefined if not in it. */
export const rewardOfNode = (split: RewardSplit, node: TreePosition): bigint | undefined =>
  split.rewards.find((r) => r.node.level === node.level && r.node.index === node.index)?.amount;

/** The paid rewards summed per prover, sorted by prover id. */
export const rewardsByProver = (split: RewardSplit): readonly { readonly prover: ProverId; readonly amount: bigint }[] => {
  const totals = new Map<ProverId, bigint>();
  for (const reward of split.rewards) {
    if (reward.paid) totals.set(reward.prover, (totals.get(reward.prover) ?? 0n) + reward.amount);
  }
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([prover, amount]) => ({ prover, amount }));
};

/** The part of `stake` a slash of `bps` takes, rounded down. */
export const slashAmount = (stake: bigint, bps: number): bigint => shareOf(stake, bps);

/** The slash for a fault: slashMissedBps of the stake for a missed node, slashInvalidBps for a signed invalid proof. */
export const slashForFault = (reason: SlashReason, stake: bigint, params: Pick<ProtocolParams, "slashMissedBps" | "slashInvalidBps">): bigint =>
  slashAmount(stake, reason === "missed" ? params.slashMissedBps : params.slashInvalidBps);

/** Where a slash goes: bountyBps of it to the prover that took the node over, the rest (remainder included) burned. */
export interface SlashSplit {
  readonly bounty: bigint;
  readonly burned: bigint;
}

/** Split a slash; with no taker (e.g. an invalid proof nobody replaced) all of it is burned. */
export const splitSlash = (slash: bigint, params: Pick<ProtocolParams, "bountyBps">, hasTaker = true): SlashSplit => {
  const bounty = hasTaker ? shareOf(slash, params.bountyBps) : 0n;
  return { bounty, burned: slash - bounty };
};

/** An uncle's reward: uncleRewardBps of the node's reward, rounded down. */
export const uncleReward = (nodeReward: bigint, params: Pick<ProtocolParams, "uncleRewardBps">): bigint =>
  shareOf(nodeReward, params.uncleRewardBps);
