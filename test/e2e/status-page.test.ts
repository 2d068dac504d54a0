// The status page in a real browser (Debian's chromium via playwright-core) against a real
// `serve`: token prompt, tasks appearing in the queue and finishing, a cancel and a drain from the
// page, usable at 1280x800 and at phone width. Screenshots go to LLAMA_ORCH_SCREENSHOTS (or a temp
// dir) as test artefacts.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type Browser, chromium, type Page } from "playwright-core";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const TOKEN = "page-test-token";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const shots = process.env.LLAMA_ORCH_SCREENSHOTS ?? join(tmpdir(), "llama-orch-screenshots");
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

let serve: ServeProcess;
let browser: Browser;

async function admit(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${serve.http}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ model_ref: "builtin:tiny", prompt: "Once upon a time", ...body }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return ((await response.json()) as { task_id: string }).task_id;
}

async function signIn(page: Page): Promise<void> {
  await page.goto(serve.http);
  await page.locator("#notice").filter({ hasText: "MISSING_TOKEN" }).waitFor();
  await page.fill("#token", TOKEN);
  await page.click("#auth button[type=submit]");
  await page.locator("#link.up").waitFor();
}

describe("status page in chromium", {
  skip: !existsSync(CHROMIUM) && "no chromium",
  timeout: 300_000,
}, () => {
  before(async () => {
    await mkdir(shots, { recursive: true });
    serve = await startServe({ config, env: { AUTH_TOKEN: TOKEN }, token: TOKEN });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  after(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it("asks for the token, keeps it in session storage only, and goes live", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page);
    await page.locator("[data-pool=cpu-0] .badge.ready").waitFor();
    assert.equal(await page.evaluate(() => document.cookie), "");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("llama-orch-token")), TOKEN);
    assert.ok(!page.url().includes(TOKEN));
    await page.close();
  });

  it("shows queued tasks with positions, runs and finishes them, cancels one from the page", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page);
    const long = await admit({ max_tokens: 3000, ignore_eos: true, priority: "batch" });
    const waiting = await admit({ max_tokens: 3000, ignore_eos: true, priority: "batch" });
    const short = await admit({ max_tokens: 8, priority: "interactive" });
    // The interactive task jumps ahead of the waiting batch task: position 0, the batch one 1.
    await page.locator(`#running [data-task="${long}"]`).waitFor();
    await page
      .locator(`#queue [data-task="${short}"] td:first-child`)
      .filter({ hasText: /^0$/ })
      .waitFor();
    await page
      .locator(`#queue [data-task="${waiting}"] td:first-child`)
      .filter({ hasText: /^1$/ })
      .waitFor();
    await page.screenshot({ path: join(shots, "status-1280x800.png") });

    await page.click(`#queue [data-task="${waiting}"] button`);
    await page.locator(`#recent [data-task="${waiting}"] .badge.cancelled`).waitFor();
    await page.click(`#running [data-task="${long}"] button`);
    await page.locator(`#recent [data-task="${long}"] .badge.cancelled`).waitFor();
    // With the slot free the interactive task runs and finishes on its own.
    await page
      .locator(`#recent [data-task="${short}"] .badge`)
      .filter({ hasText: /finished/ })
      .waitFor();
    await page.locator("#sessions tbody tr").first().waitFor();
    await page.close();
  });

  it("is usable at phone width: no sideways scroll, actions reachable", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await signIn(page);
    await admit({ max_tokens: 2000, ignore_eos: true });
    await page.locator("#running tbody tr").waitFor();
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    const cancel = page.locator("#running button");
    // Each live snapshot re-renders the table, so a row read mid-render has no box yet: read again.
    let box = await cancel.boundingBox();
    for (let i = 0; i < 20 && box === null; i++) {
      await sleep(100);
      box = await cancel.boundingBox();
    }
    assert.ok(box && box.x + box.width <= 390, `Cancel sits off screen: ${JSON.stringify(box)}`);
    await page.screenshot({ path: join(shots, "status-phone.png"), fullPage: true });
    await cancel.click();
    await page.locator("#running .empty").waitFor();
    await page.close();
  });

  it("drains a pool from the page", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(page);
    await page.click("[data-pool=cpu-0] button:text('Drain')");
    await page.locator("[data-pool=cpu-0] .badge.draining").waitFor();
    await page.screenshot({ path: join(shots, "status-draining.png") });
    await page.close();
  });
});
