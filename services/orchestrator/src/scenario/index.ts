export { MODES, ScenarioFile, type Bounds, type Expectations, type Mode } from "./schema.ts";
export { faultSteps, formatPath, loadCatalogue, loadScenario, networkOptions, parseScenario, scenarioNames, scenarioNetwork, scenariosDir, ScenarioError, type Scenario, type ScenarioIssue } from "./load.ts";
export { checkExpectations, describeBounds, type RunEvidence } from "./expect.ts";
export { metricsReport, reproduceCommand, runScenario, type RunMetricsReport, type RunOptions, type ScenarioRun } from "./run.ts";
export { runSuite, seedsOf, totalsOf, type SuiteOptions, type SuiteReport, type SuiteTotals } from "./suite.ts";
export { failedRunsExplained, failureLines, jsonReport, junitXml, writeReports, JSON_FILE, JUNIT_FILE, type SuiteResults } from "./report.ts";
