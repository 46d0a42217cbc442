import type { EventId, Hash, ProverId } from "@zk-testnet/protocol";

// What the L1 knows about each node of a proof tree, from the aggregator's statements on
// proving.assignments and the receipts posted to it: who was assigned the node first (anyone
// else who produces it is a taker), each prover's deadline for it, the receipts posted for it,
// and the signed proofs of it the aggregator judged (to recognise an equivocation).

/** A PostReceipt: the hash of a prover's proof of a node, and when the L1 recorded it. */
export interface Receipt {
  readonly proofHash: Hash;
  readonly time: number;
  readonly txId: EventId;
}

/** A signed proof of a node the aggregator accepted or rejected, and the event that says so. */
export interface SeenProof {
  readonly proofHash: Hash;
  readonly eventId: EventId;
}

export interface NodeBook {
  /** The prover of the node's first NodeAssigned: whoever else produces the node is a taker. */
  readonly assignee: ProverId | null;
  /** Each prover's deadline for the node, from its latest NodeAssigned (or TakeoverOpened `to`). */
  readonly deadlines: Readonly<Record<string, number>>;
  /** The deadline of the open round, once the node was opened to every eligible prover. */
  readonly openDeadline: number | null;
  /** By prover, in the order they were posted. */
  readonly receipts: Readonly<Record<string, readonly Receipt[]>>;
  /** By prover: its signed proofs of the node, as the aggregator judged them. */
  readonly proofs: Readonly<Record<string, readonly SeenProof[]>>;
}

/** The books of one block's nodes, by `level/index`. */
export type BlockBooks = Readonly<Record<string, NodeBook>>;

export const nodeKey = (node: { readonly level: number; readonly index: number }): string => `${node.level}/${node.index}`;

export const emptyBook: NodeBook = { assignee: null, deadlines: {}, openDeadline: null, receipts: {}, proofs: {} };

export const bookOf = (books: Readonly<Record<string, BlockBooks>>, node: { readonly block: number; readonly level: number; readonly index: number }): NodeBook =>
  books[String(node.block)]?.[nodeKey(node)] ?? emptyBook;

/** The books with one node's book replaced by `change` of it. */
export const withBook = (
  books: Readonly<Record<string, BlockBooks>>,
  node: { readonly block: number; readonly level: number; readonly index: number },
  change: (book: NodeBook) => NodeBook,
): Readonly<Record<string, BlockBooks>> => {
  const block = String(node.block);
  return { ...books, [block]: { ...books[block], [nodeKey(node)]: change(bookOf(books, node)) } };
};

/** An assignment (first one names the assignee) or a takeover to a named prover, with its deadline. */
export const assign = (book: NodeBook, prover: ProverId, deadline: number): NodeBook => ({
  ...book,
  assignee: book.assignee ?? prover,
  deadlines: { ...book.deadlines, [prover]: deadline },
});

export const addReceipt = (book: NodeBook, prover: ProverId, receipt: Receipt): NodeBook => ({
  ...book,
  receipts: { ...book.receipts, [prover]: [...(book.receipts[prover] ?? []), receipt] },
});

export const addProof = (book: NodeBook, prover: ProverId, proof: SeenProof): NodeBook => {
  const known = book.proofs[prover] ?? [];
  if (known.some((p) => p.proofHash === proof.proofHash)) return book;
  return { ...book, proofs: { ...book.proofs, [prover]: [...known, proof] } };
};

/** Whether `prover` posted a receipt for the node strictly before `deadline` (any proof hash). */
export const hasReceiptBy = (book: NodeBook, prover: ProverId, deadline: number): boolean => (book.receipts[prover] ?? []).some((r) => r.time < deadline);

/**
 * The deadline by which `prover` had to prove the node: the later of its own assignment's
 * and the open round's; undefined when it was never entitled to prove it.
 */
export const deadlineOf = (book: NodeBook, prover: ProverId): number | undefined => {
  const own = book.deadlines[prover];
  const open = book.openDeadline ?? undefined;
  if (own === undefined) return open;
  return open === undefined ? own : Math.max(own, open);
};
