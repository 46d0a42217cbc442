import { defineConfig } from "vitest/config";

// One run, three tiers by file suffix. Integration and end-to-end files start real brokers,
// processes and containers, so they run one file at a time on a 2-core machine.
const exclude = ["**/node_modules/**", "**/dist/**", ".testnet/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{libs,services,infra,e2e}/**/*.unit.test.ts"],
          exclude,
        },
      },
      {
        test: {
          name: "int",
          include: ["{libs,services,infra,e2e}/**/*.int.test.ts"],
          // Starts (or finds) the Docker engine once per run and exports DOCKER_HOST to the workers.
          globalSetup: ["infra/containers/src/vitest-global-setup.ts"],
          exclude,
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["{libs,services,infra,e2e}/**/*.e2e.test.ts"],
          globalSetup: ["infra/containers/src/vitest-global-setup.ts"],
          exclude,
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
