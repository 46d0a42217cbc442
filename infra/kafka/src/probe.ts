import { Socket } from "node:net";

/**
 * Sends one Kafka ApiVersions (v0) request and resolves true when the broker answers it with
 * no error: the broker is accepting requests on that port.
 */
export const apiVersionsProbe = (host: string, port: number, timeoutMs = 2_000): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = new Socket();
    const clientId = Buffer.from("zk-testnet-probe");
    const correlationId = 0x5a4b;
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0); // ApiVersions
    body.writeInt16BE(0, 2); // version 0
    body.writeInt32BE(correlationId, 4);
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const frame = Buffer.alloc(4 + body.length);
    frame.writeInt32BE(body.length, 0);
    body.copy(frame, 4);

    let received = Buffer.alloc(0);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 10) return;
      done(received.readInt32BE(4) === correlationId && received.readInt16BE(8) === 0);
    });
    socket.connect(port, host, () => socket.write(frame));
  });
