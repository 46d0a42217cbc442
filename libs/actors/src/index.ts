export * from "./host-actions.ts";
export { foldEvents, replayState, runService, stateHashOf, timerCause, type HostOptions, type ServiceDefinition, type ServiceHandle } from "./host.ts";
export { canonicalJson, parseCanonicalJson, sha256Hex } from "./json.ts";
export { fileSnapshots, memorySnapshots, restoreState, type SnapshotStore, type StoredSnapshot } from "./snapshots.ts";
