export * from "./host-actions.ts";
export { foldEvents, replayState, runService, stateHashOf, timerCause, type HostOptions, type ServiceDefinition, type ServiceHandle } from "./host.ts";
export { canonicalJson, parseCanonicalJson, sha256Hex } from "./json.ts";
export { entryCount, recordOf, removeEntry, setEntry, someEntry } from "./record.ts";
export { fileSnapshots, memorySnapshots, restoreState, type SnapshotStore, type StoredSnapshot } from "./snapshots.ts";
export {
  brokersConfig,
  DEFAULT_BROKERS,
  logFileConfig,
  logFormatConfig,
  processConfig,
  processExitCode,
  runServiceProcess,
  serviceProcessProgram,
  type ProcessConfig,
  type ServiceProcess,
} from "./process.ts";
