// Writes libs/protocol/asyncapi.yaml from the schemas; a unit test fails while it is stale.
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { asyncApiYaml } from "../src/asyncapi.ts";

const target = fileURLToPath(new URL("../asyncapi.yaml", import.meta.url));
writeFileSync(target, asyncApiYaml());
console.log(`wrote ${relative(process.cwd(), target)}`);
