// The status page's pull form in a real browser (Debian's chromium via playwright-core) against a
// real `serve` whose HF_ENDPOINT is the loopback fixture hub: progress from the SSE stream, the
// catalog list updated when done, and a refused pull's code and message on the page; and the pull
// stream's keep-alives (the gateway's one SSE writer) while a slow download is silent.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { request } from "undici";
import { type FixtureHub, sha256, startFixtureHub } from "../support/fixture-hub.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";

const TOKEN = "pull-page-token";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const noChromium = !existsSync(CHROMIUM) && "no chromium";
const shots = process.env.LLAMA_ORCH_SCREENSHOTS ?? join(tmpdir(), "llama-orch-screenshots");
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
gateway: { sse_keepalive_ms: 100 }
models: { cache_dir: "{data_dir}/pulled" }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 512, threads: 1 }
`;

describe("status page: pull a model", { timeout: 300_000 }, () => {
  let hub: FixtureHub;
  let serve: ServeProcess;
  let browser: Browser;
  let model: Buffer;

  async function signIn(page: Page): Promise<void> {
    await page.goto(serve.http);
    await page.fill("#token", TOKEN);
    await page.click("#auth button[type=submit]");
    await page.locator("#link.up").waitFor();
  }

  before(async () => {
    await mkdir(shots, { recursive: true });
    hub = await startFixtureHub();
    model = await readFile(await tinyModelPath());
    hub.repos.set("org/page-GGUF", {
      commit: "a".repeat(40),
      files: { "page-Q8_0.gguf": { bytes: model } },
    });
    hub.repos.set("org/gated", {
      commit: "b".repeat(40),
      token: "hf_x",
      files: { "g-F16.gguf": { bytes: model } },
    });
    serve = await startServe({
      config,
      env: { AUTH_TOKEN: TOKEN, HF_ENDPOINT: hub.endpoint, HF_TOKEN: "" },
      token: TOKEN,
    });
    if (!noChromium) {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    }
  });
  after(async () => {
    await browser?.close();
    await serve?.stop();
    await hub?.close();
  });

  it("shows bytes, total and rate while downloading, then done, and lists the new entry", {
    skip: noChromium,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page);
    // The list is rendered (the catalog may be empty: configured builtins are not entries).
    await page.locator("#models :is(table, .empty)").waitFor();
    assert.equal(await page.locator("#models [data-model='hf:org/page-GGUF:Q8_0']").count(), 0);
    // A slow CDN keeps the download on screen long enough to be seen.
    hub.chunkDelayMs = 40;
    await page.fill("#pull-ref", "hf:org/page-GGUF:Q8_0");
    await page.fill("#pull-alias", "page-model");
    await page.click("#pull button[type=submit]");
    const progress = page.locator("#pull-progress[data-phase=downloading]");
    await progress.filter({ hasText: / MiB \/ \d+\.\d MiB · .+\/s/ }).waitFor();
    await page.locator("#pull-progress [role=meter]").waitFor();
    await page.screenshot({ path: join(shots, "status-pull-progress.png") });
    hub.chunkDelayMs = 0;
    const done = page.locator("#pull-progress[data-phase=done]");
    await done.waitFor({ timeout: 60_000 });
    assert.equal(await done.textContent(), `done: hf:org/page-GGUF:Q8_0 (sha256:${sha256(model)})`);
    // The catalog list is read again once the pull is done.
    await page.locator("#models [data-model='hf:org/page-GGUF:Q8_0']").waitFor();
    // The page sent its token: the hub saw none of it (the token is ours, not the hub's).
    assert.ok(!hub.hubAuthorizations.some((a) => a?.includes(TOKEN)));
    await page.close();
  });

  it("a refused pull shows the registry code and the actionable message", {
    skip: noChromium,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await signIn(page);
    await page.fill("#pull-ref", "hf:org/gated/g-F16.gguf");
    await page.click("#pull button[type=submit]");
    const failed = page.locator("#pull-progress[data-phase=error]");
    await failed.waitFor();
    assert.match((await failed.textContent()) ?? "", /^MODEL_SOURCE_UNAUTHORIZED: .*HF_TOKEN/);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    await page.close();
  });

  it("the pull stream sends keep-alives while a slow download sends no progress", async () => {
    hub.repos.set("org/slow-GGUF", {
      commit: "c".repeat(40),
      files: { "slow-Q8_0.gguf": { bytes: model } },
    });
    hub.chunkDelayMs = 1000;
    const controller = new AbortController();
    const res = await request(`${serve.http}/v1/models/pull`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ ref: "hf:org/slow-GGUF:Q8_0" }),
      signal: controller.signal,
    });
    assert.equal(res.statusCode, 202);
    let text = "";
    for await (const chunk of res.body) {
      text += String(chunk);
      if (text.includes(": keep-alive\n\n")) break;
    }
    controller.abort();
    hub.chunkDelayMs = 0;
    assert.match(text, /^event: resolving\n/);
    assert.ok(text.includes(": keep-alive\n\n"), text);
  });
});
