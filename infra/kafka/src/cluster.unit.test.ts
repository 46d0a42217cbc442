import { describe, expect, it } from "vitest";
import { newClusterId, serverProperties, type BrokerNode } from "./cluster.ts";

describe("newClusterId", () => {
  // Regression: an id starting with "-" made the storage tool read it as an option (1 start in 64).
  it("never starts with '-' and is a base64url 16-byte uuid", () => {
    for (let i = 0; i < 5_000; i++) {
      const id = newClusterId();
      expect(id.startsWith("-")).toBe(false);
      expect(Buffer.from(id, "base64url")).toHaveLength(16);
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});

describe("serverProperties", () => {
  const node: BrokerNode = {
    id: 1,
    port: 9001,
    controllerPort: 9002,
    dir: "/run/broker-1",
    logFile: "/run/broker-1/broker.log",
    pidFile: "/run/broker-1/pid",
    propsFile: "/run/broker-1/server.properties",
  };
  const props = (n: BrokerNode) =>
    new Map(
      serverProperties({ dir: "/run", clusterId: "c", nodes: [n] }, n)
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
    );

  it("advertises the broker's own port with one client listener by default", () => {
    const p = props(node);
    expect(p.get("listeners")).toBe("PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9002");
    expect(p.get("advertised.listeners")).toBe("PLAINTEXT://127.0.0.1:9001");
    expect(p.get("inter.broker.listener.name")).toBe("PLAINTEXT");
  });

  it("advertises another address to clients and keeps replication on a direct listener", () => {
    const p = props({ ...node, advertised: "127.0.0.1:7001", internalPort: 9003 });
    expect(p.get("listeners")).toBe("PLAINTEXT://127.0.0.1:9001,INTERNAL://127.0.0.1:9003,CONTROLLER://127.0.0.1:9002");
    expect(p.get("advertised.listeners")).toBe("PLAINTEXT://127.0.0.1:7001,INTERNAL://127.0.0.1:9003");
    expect(p.get("inter.broker.listener.name")).toBe("INTERNAL");
    expect(p.get("listener.security.protocol.map")).toContain("INTERNAL:PLAINTEXT");
    expect(p.get("controller.quorum.voters")).toBe("1@127.0.0.1:9002");
  });
});
