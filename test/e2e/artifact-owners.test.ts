// Artifacts belong to who stored them (issue 14): behind a trusted proxy, one user's artifact is
// 404 and unlisted for another; the main token (admin) reads and lists everything.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const TOKEN = "main-admin-token";
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 1024, threads: 1 }
`;

describe("artifact ownership", () => {
  let serve: ServeProcess;
  before(async () => {
    const env = { AUTH_TOKEN: TOKEN, TRUST_PROXY_AUTH: "true" };
    serve = await startServe({ config, env, token: TOKEN });
  });
  after(() => serve?.stop());

  async function as(who: string, method: "GET" | "POST", path: string, json?: unknown) {
    const res = await request(`${serve.http}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${who}`,
        ...(json === undefined ? {} : { "content-type": "application/json" }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  async function listed(who: string): Promise<string[]> {
    const page = await as(who, "GET", "/v1/artifacts?limit=100");
    assert.equal(page.status, 200, JSON.stringify(page.body));
    return (page.body.artifacts as { id: string }[]).map((a) => a.id);
  }

  it("OC-CTRL-2066 another identity gets 404 and no listing; the main token sees all", async () => {
    const plan = { kind: "plan", content: { secret: "alice's plan" } };
    const created = await as("alice-sso", "POST", "/v1/artifacts", plan);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const path = `/v1/artifacts/${created.body.id}`;
    assert.equal((await as("alice-sso", "GET", path)).status, 200);
    const foreign = await as("bob-sso", "GET", path);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.code, "ARTIFACT_NOT_FOUND");
    assert.equal((await as(TOKEN, "GET", path)).status, 200, "the admin reads it");
    assert.ok((await listed("alice-sso")).includes(created.body.id as string));
    assert.ok(!(await listed("bob-sso")).includes(created.body.id as string));
    assert.ok((await listed(TOKEN)).includes(created.body.id as string));
    // Storing the same content makes it Bob's too (one blob, both owners).
    assert.equal((await as("bob-sso", "POST", "/v1/artifacts", plan)).status, 201);
    assert.equal((await as("bob-sso", "GET", path)).status, 200);
  });

  it("OC-CTRL-2067 a task's transcript belongs to its submitter", async () => {
    const task = { model_ref: "builtin:tiny", prompt: "Hi", max_tokens: 3 };
    const admitted = await as("alice-sso", "POST", "/v1/tasks", task);
    assert.equal(admitted.status, 202, JSON.stringify(admitted.body));
    const stream = await request(`${serve.http}/v1/tasks/${admitted.body.task_id}/stream`, {
      headers: { authorization: "Bearer alice-sso" },
    });
    assert.match(await stream.body.text(), /event: end/);
    const tag = `task:${admitted.body.task_id}`;
    const transcriptOf = async (who: string) => {
      const page = await as(who, "GET", "/v1/artifacts?limit=100");
      return (page.body.artifacts as { id: string; tags: string[] }[]).find((a) =>
        a.tags.includes(tag),
      );
    };
    let mine = await transcriptOf("alice-sso");
    for (let i = 0; i < 100 && !mine; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // stored just after the end
      mine = await transcriptOf("alice-sso");
    }
    assert.ok(mine, "the submitter lists the transcript");
    assert.equal(await transcriptOf("bob-sso"), undefined);
    assert.equal((await as("bob-sso", "GET", `/v1/artifacts/${mine.id}`)).status, 404);
    assert.equal((await as(TOKEN, "GET", `/v1/artifacts/${mine.id}`)).status, 200);
  });
});
