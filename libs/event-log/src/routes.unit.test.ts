import { describe, expect, it } from "vitest";
import { parseBrokerRoutes } from "./kafka.ts";

describe("broker routes (ZKT_BROKER_ROUTES)", () => {
  it("maps each broker address to where the client really connects", () => {
    const routes = parseBrokerRoutes("127.0.0.1:9092=127.0.0.1:19092, 127.0.0.1:9093=127.0.0.1:19093");
    expect(routes).toEqual(
      new Map([
        ["127.0.0.1:9092", "127.0.0.1:19092"],
        ["127.0.0.1:9093", "127.0.0.1:19093"],
      ]),
    );
    expect(parseBrokerRoutes("")).toEqual(new Map());
  });

  it.each(["127.0.0.1:9092", "127.0.0.1:9092=proxy", "a:1=b:2=c:3", "127.0.0.1:x=127.0.0.1:1"])("rejects %s with the entry it cannot read", (text) => {
    expect(parseBrokerRoutes(text)).toMatch(/is not host:port=host:port/);
  });
});
