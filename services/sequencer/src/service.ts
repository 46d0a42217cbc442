import { Effect } from "effect";
import { runService, type HostOptions, type ServiceDefinition } from "@zk-testnet/actors";
import type { NetworkConfig } from "@zk-testnet/network";
import type { ProtocolEvent } from "@zk-testnet/protocol";
import { sequencerMachine, type SequencerInput } from "./machine.ts";

export {
  blockDraft,
  reproposalFor,
  sequencerMachine,
  slotStartOf,
  tickId,
  type Reproposal,
  type SequencerContext,
  type SequencerEvent,
  type SequencerInput,
} from "./machine.ts";
export { blockTransactions, MAX_TX_FEE, MIN_TX_FEE, TX_ENCODING_TAG, transactionText, type Transaction, type TransactionBatch } from "./transactions.ts";
export { sequencerConfig, type SequencerConfig } from "./config.ts";

export const SERVICE_NAME = "sequencer";

/** What the machine needs of the network. */
export const sequencerInput = (network: NetworkConfig): SequencerInput => ({
  seed: network.seed,
  genesisMs: network.genesisMs,
  slotMs: network.params.slotMs,
  slots: network.slots,
  txPerBlock: network.params.txPerBlock,
});

/** Only these event types change its state; the rest of l1.events is not even folded. */
const accepts = (event: ProtocolEvent): boolean => event.type === "BlockProposed" || event.type === "BlockFinalized" || event.type === "BlockReorgedOut";

/** The sequencer as the host runs it: its own blocks and L1's finality and reorgs in, BlockProposed out. No actors. */
export const definition = (network: NetworkConfig): ServiceDefinition<typeof sequencerMachine> => ({
  name: SERVICE_NAME,
  machine: sequencerMachine,
  input: sequencerInput(network),
  inputs: ["l2.blocks", "l1.events"],
  accepts,
});

/** Runs the sequencer until the scope closes: replays, then proposes a block at the start of every slot. */
export const runSequencer = Effect.fn("Sequencer.run")(function* (network: NetworkConfig, options: HostOptions = {}) {
  const handle = yield* runService(definition(network), options);
  const { context } = yield* handle.snapshot;
  yield* Effect.logInfo("sequencer started").pipe(
    Effect.annotateLogs({ replayed: handle.replayed, nextSlot: context.nextSlot, slots: network.slots, txPerBlock: network.params.txPerBlock }),
  );
  return handle;
});
