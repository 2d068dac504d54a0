// The gateway's one-port front for HTTP/1.1 and HTTP/2: a connection's first bytes pick the
// protocol, and both reach the same handler.
import assert from "node:assert/strict";
import { Agent, request as http1Request } from "node:http";
import { connect } from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { dualProtocolServer } from "../../src/gateway/dual-protocol-server.js";

describe("dual-protocol front", () => {
  const server = dualProtocolServer((req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end(`HTTP/${req.httpVersion}`);
  });
  let origin = "";
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("answers HTTP/1.1 and HTTP/2 (prior knowledge) on the same port", async () => {
    const agent = new Agent({ keepAlive: false });
    const over1 = await new Promise<string>((resolve, reject) => {
      http1Request(`${origin}/`, { agent }, (res) => {
        res.setEncoding("utf8");
        let body = "";
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve(body));
      })
        .on("error", reject)
        .end();
    });
    const session = connect(origin);
    const over2 = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":path": "/" });
      stream.setEncoding("utf8");
      let body = "";
      stream.on("data", (chunk: string) => {
        body += chunk;
      });
      stream.on("end", () => resolve(body));
      stream.on("error", reject);
      stream.end();
    });
    session.close();
    assert.deepEqual([over1, over2], ["HTTP/1.1", "HTTP/2.0"]);
  });
});
