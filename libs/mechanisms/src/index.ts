export * from "./random.ts";
export * from "./stats.ts";
export * from "./tree.ts";
export * from "./tree-vrf.ts";
export * from "./cost-model.ts";
export * from "./params.ts";
export * from "./rewards.ts";
