import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { asyncApiDocument, asyncApiYaml } from "./asyncapi.ts";
import { eventTypes } from "./event.ts";
import { topics, writerOf } from "./topics.ts";

const committedFile = new URL("../asyncapi.yaml", import.meta.url);

// Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
const ERROR = 0;

describe("asyncapi.yaml", () => {
  it("is what the schemas generate (run `node libs/protocol/scripts/generate-asyncapi.ts` when this fails)", () => {
    const committed = readFileSync(committedFile, "utf8");
    const fresh = asyncApiYaml();
    if (committed !== fresh) {
      expect.fail("libs/protocol/asyncapi.yaml is stale: run `node libs/protocol/scripts/generate-asyncapi.ts` and commit the result");
    }
  });

  it("is valid AsyncAPI 3.0.0 for @asyncapi/parser, with no error diagnostics", async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(committedFile, "utf8"));
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === ERROR);
    expect(errors.map((error) => `${error.code}: ${error.message} at ${error.path.join(".")}`)).toStrictEqual([]);
    if (document === undefined) throw new Error("the parser returned no document");
    expect(document.version()).toBe("3.0.0");
    expect(document.channels().all().map((channel) => channel.address())).toEqual(
      expect.arrayContaining(topics.map((topic) => topic.name)),
    );
    const messageNames = document.components().messages().all().map((message) => message.id());
    expect(messageNames).toEqual(expect.arrayContaining([...eventTypes, "DeadLetter"]));
  }, 30_000);

  it("round-trips through YAML to the generated document", () => {
    expect(parse(asyncApiYaml())).toStrictEqual(JSON.parse(JSON.stringify(asyncApiDocument())));
  });

  it("lists each topic's messages on its channel and a send operation for each writer", () => {
    const document = asyncApiDocument() as {
      channels: Record<string, { address: string; messages: Record<string, unknown> }>;
      operations: Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[] }>;
      components: { messages: Record<string, { description: string }>; schemas: Record<string, unknown> };
    };
    for (const topic of topics) {
      const entry = Object.entries(document.channels).find(([, c]) => c.address === topic.name);
      if (entry === undefined) throw new Error(`no channel for ${topic.name}`);
      const [id, channel] = entry;
      expect(Object.keys(channel.messages).sort()).toStrictEqual([...topic.eventTypes].sort());
      for (const type of topic.eventTypes) {
        const sends = Object.values(document.operations).filter(
          (operation) =>
            operation.action === "send" &&
            operation.channel.$ref === `#/channels/${id}` &&
            operation.messages.some((message) => message.$ref === `#/channels/${id}/messages/${type}`),
        );
        expect(sends, `${topic.name} ${type} by ${writerOf[type]}`).toHaveLength(1);
      }
    }
    for (const type of eventTypes) {
      expect(document.components.schemas[type], type).toBeDefined();
      expect(document.components.schemas[`${type}Payload`], type).toBeDefined();
      expect(document.components.messages[type]?.description.length, type).toBeGreaterThan(40);
    }
  });

  it("documents the canonical proof encoding for external provers", () => {
    const document = asyncApiDocument() as { components: { messages: Record<string, { description: string }> } };
    const description = document.components.messages["ProofSubmitted"]?.description ?? "";
    for (const line of ["zk-testnet/proof/v1", "block:<decimal>", "level:<decimal>", "index:<decimal>", "prover:<prover id>", "publicInput:<64 hex>", "children:"]) {
      expect(description).toContain(line);
    }
  });
});
