import { Schema } from "effect";
import { defineEvent, payloadOf } from "../envelope.ts";

const FaultKind = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(64),
  Schema.annotations({
    identifier: "FaultKind",
    title: "FaultKind",
    description: 'The kind of fault, e.g. "crash", "hang", "slow", "invalid-proof", "partition", "broker-kill".',
  }),
);

const FaultTarget = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(128),
  Schema.annotations({
    identifier: "FaultTarget",
    title: "FaultTarget",
    description: 'What the fault is applied to: a service ("aggregator"), a prover ("prover-3") or a piece of infrastructure ("kafka-1").',
  }),
);

export const FaultInjected = defineEvent(
  "FaultInjected",
  1,
  payloadOf(
    "FaultInjected",
    {
      fault: FaultKind,
      target: FaultTarget,
      params: Schema.Record({ key: Schema.String, value: Schema.String }).annotations({
        description: 'The fault\'s parameters as strings, e.g. {"factor": "4"} for a slow prover.',
      }),
    },
    "A fault applied to the testnet.",
  ),
  "The fault injector applied fault `fault` to `target`, with `params`. Every fault a run suffers is recorded, so that the log says what was done to it.",
);

export const FaultHealed = defineEvent(
  "FaultHealed",
  1,
  payloadOf("FaultHealed", { fault: FaultKind, target: FaultTarget }, "A fault lifted."),
  "The fault injector lifted fault `fault` from `target` (the pair names the FaultInjected it ends).",
);
