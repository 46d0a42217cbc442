export * from "./network.ts";
