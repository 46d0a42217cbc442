import { nodeKey, type BlockNumber, type EventOf, type Level, type NodeIndex } from "@zk-testnet/protocol";
import type { BlockAssignment } from "../assignment.ts";
import { verifySubmittedTree, type TreeNode } from "../proof-tree.ts";
import type { RunLog } from "../run-log.ts";
import { violation, type Violation } from "../violation.ts";

// Invariant 1: every finalized block's root proof verifies, and every node in it was produced
// by its assignee or by a legitimate taker (a TakeoverOpened to that prover, or an open round).

/** A finalized block's tree as the L1 took it: the first submitted tree that verifies. */
export interface FinalizedTree {
  readonly block: number;
  readonly root: EventOf<"SubmitRoot">;
  readonly nodes: readonly TreeNode[];
}

export interface TreeCheck {
  readonly trees: ReadonlyMap<number, FinalizedTree>;
  readonly violations: readonly Violation[];
}

const nodeName = (block: number, level: number, index: number): string => `${block}/${level}/${index}`;

/** Whether `node` of a finalized tree was produced by its assignee or a legitimate taker; a violation if not. */
const checkProducer = (log: RunLog, finalized: EventOf<"BlockFinalized">, tree: FinalizedTree, assignment: BlockAssignment, node: TreeNode): Violation | undefined => {
  const assignees = assignment.assigneesOf(node.level, node.index);
  if (assignees.includes(node.prover)) return undefined;
  const key = nodeKey({ block: tree.block as BlockNumber, level: node.level as Level, index: node.index as NodeIndex });
  const takeovers = log.takeovers.get(key) ?? [];
  if (takeovers.some((t) => t.payload.to === node.prover || t.payload.to === undefined)) return undefined;
  const accepted = (log.accepted.get(key) ?? []).find((a) => a.payload.prover === node.prover && a.payload.proofHash === node.proofHash);
  return violation(
    1,
    "wrong-producer",
    `node ${nodeName(tree.block, node.level, node.index)} of finalized block ${tree.block} was produced by ${node.prover}, but its assignee is ${assignees.join(" / ") || "unknown"} and no takeover handed it to ${node.prover}`,
    [finalized.id, tree.root.id, assignment.logged.get(`${node.level}/${node.index}`)?.id, accepted?.id],
  );
};

export const checkTrees = (log: RunLog, assignmentOf: (block: number) => BlockAssignment): TreeCheck => {
  const violations: Violation[] = [];
  const trees = new Map<number, FinalizedTree>();
  for (const [block, finalized] of log.finalized) {
    const proposed = log.blocks.get(block);
    if (proposed === undefined) {
      violations.push(violation(1, "finalized-unknown-block", `block ${block} was finalized, but the log has no BlockProposed for it`, [finalized.id]));
      continue;
    }
    const roots = log.roots.get(block) ?? [];
    if (roots.length === 0) {
      violations.push(violation(1, "no-root-submitted", `block ${block} was finalized, but no SubmitRoot for it is in the log`, [finalized.id]));
      continue;
    }
    const at = log.position(finalized.id);
    const defects: string[] = [];
    let tree: FinalizedTree | undefined;
    for (const root of roots) {
      const check = verifySubmittedTree(root.payload, proposed.payload.txHashes, (prover) => log.registry.publicKeyAt(prover, at));
      if (check.ok) {
        tree = { block, root, nodes: check.nodes };
        break;
      }
      defects.push(check.defect);
    }
    if (tree === undefined) {
      violations.push(
        violation(1, "root-unverifiable", `block ${block} was finalized, but no submitted proof tree for it verifies: ${defects.join("; ")}`, [finalized.id, ...roots.map((r) => r.id)]),
      );
      continue;
    }
    trees.set(block, tree);
    const assignment = assignmentOf(block);
    if (assignment.recomputed === undefined && assignment.logged.size === 0) {
      violations.push(
        violation(
          1,
          "assignment-unknown",
          `block ${block} was finalized, but who was assigned its nodes cannot be told: no valid beacon round ${proposed.payload.slot + 1} (or no eligible prover) and no NodeAssigned`,
          [finalized.id, proposed.id],
        ),
      );
      continue;
    }
    for (const node of tree.nodes) {
      const wrong = checkProducer(log, finalized, tree, assignment, node);
      if (wrong !== undefined) violations.push(wrong);
    }
  }
  // The aggregator's assignments must agree with tree-VRF for every block, finalized or not.
  for (const block of log.blocks.keys()) violations.push(...assignmentOf(block).disagreements);
  return { trees, violations };
};
