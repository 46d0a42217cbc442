import nx from "@nx/eslint-plugin";

export default [
  ...nx.configs["flat/base"],
  ...nx.configs["flat/typescript"],
  { ignores: ["**/node_modules", "**/dist", ".nx", ".testnet", "reports"] },
  {
    files: ["**/*.ts"],
    rules: {
      "@nx/enforce-module-boundaries": [
        "error",
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: true,
          depConstraints: [
            // the CLI may import services, libs and infra; services import libs; libs never import services
            { sourceTag: "type:app", onlyDependOnLibsWithTags: ["type:service", "type:lib", "type:infra", "type:testing"] },
            { sourceTag: "type:service", onlyDependOnLibsWithTags: ["type:lib"] },
            { sourceTag: "type:lib", onlyDependOnLibsWithTags: ["type:lib"] },
            { sourceTag: "type:testing", onlyDependOnLibsWithTags: ["type:lib", "type:infra", "type:testing"] },
            { sourceTag: "type:infra", onlyDependOnLibsWithTags: ["type:infra", "type:lib"] },
            { sourceTag: "type:e2e", onlyDependOnLibsWithTags: ["type:lib", "type:infra", "type:testing", "type:app", "type:service"] },
          ],
        },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Tests and benchmarks may start the infrastructure they run against (a real broker, a Docker engine).
    files: ["**/*.test.ts", "**/bench/**/*.ts"],
    rules: {
      "@nx/enforce-module-boundaries": [
        "error",
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: "type:lib", onlyDependOnLibsWithTags: ["type:lib", "type:infra", "type:testing"] },
            { sourceTag: "*", onlyDependOnLibsWithTags: ["*"] },
          ],
        },
      ],
    },
  },
  {
    // Only the event-log library talks to Kafka through kafkajs. Infrastructure tests and the
    // raw baseline benchmark measure the broker itself, so they may too.
    files: ["**/*.ts"],
    ignores: ["libs/event-log/**", "**/*.test.ts", "**/bench/**"],
    rules: {
      "no-restricted-imports": ["error", { paths: [{ name: "kafkajs", message: "Only libs/event-log may import kafkajs." }] }],
    },
  },
];
