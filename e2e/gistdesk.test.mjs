// The whole product in a real browser: playwright-core driving Debian's
// Chromium against `gistdesk serve` with its built-in GitHub emulator.
// Screenshots of every step go to artifacts/e2e/NN-step.png; the gist list is
// also saved, as the browser window shows it, to docs/screenshots/gists.png, and
// a gist with code, Markdown, CSV and a notebook, light, dark and 375 px wide, to
// docs/screenshots/gist-*.png (the README shows them).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SHOTS = join(ROOT, "artifacts", "e2e");
const README_SHOT = join(ROOT, "docs", "screenshots", "gists.png");
const DOC_SHOTS = join(ROOT, "docs", "screenshots");
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

let server;
let appUrl;
let emulatorUrl;
let context;
let page;
let shot = 0;
const scratch = mkdtempSync(join(tmpdir(), "gistdesk-e2e-"));

function gistdeskBin() {
  const bin = process.env.GISTDESK_BIN;
  if (!bin) throw new Error("GISTDESK_BIN is not set: point it at the gistdesk binary (cargo build --release -p gistdesk)");
  if (!existsSync(bin)) throw new Error(`GISTDESK_BIN=${bin} does not exist`);
  return bin;
}

function chromiumPath() {
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("chromium is not installed (apt-get install chromium)");
  }
}

/** Starts `gistdesk serve` with no GitHub credentials: it runs the emulator in process and prints the URL to open. */
async function startServer() {
  const env = { ...process.env, BIND: "127.0.0.1:0", DATA_DIR: join(scratch, "data"), RUST_LOG: "warn" };
  for (const k of ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITHUB_URL", "GITHUB_API_URL", "PUBLIC_URL", "SESSION_STORE"]) {
    delete env[k];
  }
  const child = spawn(gistdeskBin(), ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const lines = [];
  const errors = [];
  child.stderr.on("data", (c) => errors.push(String(c)));
  const rl = createInterface({ input: child.stdout });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gistdesk serve printed no URL within 30 s: ${lines.join("\n")} ${errors.join("")}`)), 30000);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gistdesk serve exited (${code ?? signal}): ${lines.join("\n")} ${errors.join("")}`));
    });
    rl.on("line", (line) => {
      lines.push(line);
      const open = line.match(/\bopen (https?:\/\/[^\s;,]+)/);
      const emu = line.match(/emulator at (https?:\/\/[^\s;,]+)/);
      if (emu) emulatorUrl = emu[1].replace(/\/$/, "");
      if (open) {
        appUrl = open[1].replace(/\/$/, "");
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    lines,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function snap(name) {
  shot += 1;
  const file = join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer();
  context = await chromium.launchPersistentContext(join(scratch, "profile"), {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
});

after(async () => {
  await context?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const GIST_TITLE = "Browser test notes";
/** The public "Rendering tour" gist's address, opened again signed out at the end. */
let tourUrl;

const TOUR_FILES = [
  ["tour.ts", "interface Point { x: number; y: number }\nconst url = `https://${host}/points`;\nexport function norm(p: Point): number {\n  return Math.hypot(p.x, p.y); // length\n}\n"],
  ["README.md", "# About this tour\n\n- [Usage](#usage)\n\n> [!NOTE]\n> Everything here renders without JavaScript :sparkles:\n\n## Usage\n\n```rust\nfn main() {\n    println!(\"hello\");\n}\n```\n\n- [x] code\n- [ ] more\n"],
  ["cities.csv", "city,country,people\nParis,France,2100000\nRome,Italy,2800000\nBerlin,Germany,3600000\n"],
  ["analysis.ipynb", JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: { language_info: { name: "python" } },
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["## Totals\n", "Sum of the **people** column."] },
      { cell_type: "code", execution_count: 1, metadata: {}, source: ["people = [2100000, 2800000, 3600000]\n", "print(sum(people))"],
        outputs: [{ output_type: "stream", name: "stdout", text: ["8500000\n"] }] },
    ],
  }, null, 1)],
];


/** Saves the page to docs/screenshots/NAME.png, and dark at 375 px to NAME-dark-375.png. */
async function docShots(name) {
  mkdirSync(DOC_SHOTS, { recursive: true });
  await page.screenshot({ path: join(DOC_SHOTS, `${name}.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: join(DOC_SHOTS, `${name}-dark-375.png`), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.emulateMedia({ colorScheme: "light" });
  assert.ok(overflow <= 0, `${name}: nothing wider than a 375 px screen (${overflow} px over)`);
}

/** One step of the walk-through; on failure, a screenshot of what the browser showed. */
function step(t, name, fn) {
  return t.test(name, async () => {
    try {
      await fn();
    } catch (e) {
      const file = await snap(`FAILED-${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40)}`).catch(() => "(no screenshot)");
      e.message += `\n  page: ${page.url()}\n  screenshot: ${file}`;
      throw e;
    }
  });
}

test("sign in with GitHub, manage a gist, sign out", async (t) => {
  await step(t, "an anonymous visit to /gists is sent to GitHub's consent page", async () => {
    await page.goto(`${appUrl}/gists`);
    await page.waitForURL(/\/login\/oauth\/authorize/);
    if (emulatorUrl) assert.ok(page.url().startsWith(emulatorUrl), `consent page on the emulator: ${page.url()}`);
    await page.getByRole("heading", { name: /^Authorize / }).waitFor();
    await snap("consent");
    if (emulatorUrl) {
      await page.emulateMedia({ colorScheme: "dark" });
      const text = await page.evaluate(() => getComputedStyle(document.body).color);
      assert.notEqual(text, "rgb(0, 0, 0)", "the emulator's consent page follows dark mode");
      await page.emulateMedia({ colorScheme: "light" });
    }
  });

  await step(t, "choosing octocat and pressing Authorize comes back to /gists with the seeded gists", async () => {
    await page.getByRole("radio", { name: /octocat/ }).check();
    await page.getByRole("button", { name: /^Authorize / }).click();
    await page.waitForURL(`${appUrl}/gists`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    const items = page.locator("ul.gists > li");
    assert.equal(await items.count(), 30, "a page of 30 gists, as GitHub pages them");
    await page.getByRole("link", { name: "octocat" }).waitFor();
    await page.getByRole("link", { name: /Older/ }).waitFor();
    await snap("gists");
    // the README's picture: what a person sees on opening the list (not the whole page)
    mkdirSync(join(ROOT, "docs", "screenshots"), { recursive: true });
    await page.screenshot({ path: README_SHOT });
    // the whole list, and dark at 375 px: rows with their counts must fit a phone
    await docShots("list");
  });

  await step(t, "create a secret gist with a Markdown file and see it rendered", async () => {
    await page.getByRole("link", { name: "New gist" }).first().click();
    await page.getByLabel("Description").fill(GIST_TITLE);
    await page.getByLabel(/^Secret/).check();
    await page.getByLabel("File name, with extension").first().fill("notes.md");
    await page
      .getByLabel("Content")
      .first()
      .fill("# Shopping list\n\nThings to buy:\n\n- **apples**\n- pears\n\n[GitHub](https://github.com)\n");
    await snap("new-gist-form");
    await page.getByRole("button", { name: /create/i }).click();
    await page.waitForURL(/\/gists\/[0-9a-f]+$/);
    await page.getByRole("heading", { level: 1, name: GIST_TITLE }).waitFor();
    const file = page.getByRole("region", { name: "notes.md" });
    await file.getByRole("heading", { name: "Shopping list" }).waitFor();
    assert.equal(await file.getByRole("listitem").count(), 2);
    assert.equal(await file.locator("strong").innerText(), "apples");
    assert.equal(await file.getByText("# Shopping list").count(), 0, "Markdown is rendered, not shown as text");
    await page.getByText("secret", { exact: true }).first().waitFor();
    await page.getByRole("status").filter({ hasText: /created/i }).waitFor();
    await snap("gist-rendered");
    const here = page.url();
    await page.getByRole("link", { name: "Your gists" }).click();
    const newest = page.locator("ul.gists > li").first();
    await newest.getByRole("link", { name: GIST_TITLE }).waitFor();
    await newest.getByText("notes.md").waitFor();
    await page.goto(here);
  });

  await step(t, "edit the gist", async () => {
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Description").fill(`${GIST_TITLE}, edited`);
    await page.getByLabel("Content").first().fill("# Shopping list\n\n- apples\n- pears\n- *plums*\n");
    await snap("edit-form");
    await page.getByRole("button", { name: /save/i }).click();
    await page.waitForURL(/\/gists\/[0-9a-f]+$/);
    await page.getByRole("heading", { level: 1, name: `${GIST_TITLE}, edited` }).waitFor();
    const file = page.getByRole("region", { name: "notes.md" });
    assert.equal(await file.getByRole("listitem").count(), 3);
    assert.equal(await file.locator("em").innerText(), "plums");
    await snap("gist-edited");
  });

  await step(t, "a gist with code, Markdown, CSV and a notebook, added a file at a time", async () => {
    const back = page.url();
    await page.getByRole("link", { name: "New gist" }).first().click();
    await page.getByLabel("Description").fill("Rendering tour");
    await page.getByLabel(/^Public/).check();
    for (const [i, [name, content]] of TOUR_FILES.entries()) {
      if (i > 0) {
        await page.getByRole("button", { name: "Add another file" }).click();
        await page.locator(`#file-${i}`).waitFor();
        const focused = await page.evaluate(() => document.activeElement?.id);
        assert.equal(focused, `file-${i}-name`, "the new slot has the focus");
        const box = await page.locator(`#file-${i}-name`).boundingBox();
        const height = page.viewportSize().height;
        assert.ok(box && box.y >= 0 && box.y < height, `the new slot is in view (${box?.y} of ${height})`);
      }
      await page.locator(`#file-${i}-name`).fill(name);
      await page.locator(`#file-${i}-content`).fill(content);
    }
    await page.getByRole("button", { name: /create/i }).click();
    await page.waitForURL(/\/gists\/[0-9a-f]+$/);
    await page.getByRole("heading", { level: 1, name: "Rendering tour" }).waitFor();
    tourUrl = page.url();
    const ts = page.getByRole("region", { name: "tour.ts" });
    assert.ok((await ts.locator("span[class^=hl-]").count()) > 3, "TypeScript highlighted");
    const md = page.getByRole("region", { name: "README.md" });
    await md.locator(".markdown-alert-note").waitFor();
    const csv = page.getByRole("region", { name: "cities.csv" });
    assert.equal(await csv.locator("table.csv tbody tr").count(), 3);
    const nb = page.getByRole("region", { name: "analysis.ipynb" });
    await nb.getByText("In [1]:").waitFor();

    // The table of contents reaches its heading, and a line link marks its line, without script.
    await md.getByRole("link", { name: "Usage" }).click();
    assert.match(page.url(), /#user-content-usage$/);
    await page.goto(`${page.url().split("#")[0]}#file-tour-ts-L2`);
    const marked = await page.locator("#file-tour-ts-L2").evaluate((row) => getComputedStyle(row).backgroundColor);
    const plain = await page.locator("#file-tour-ts-L1").evaluate((row) => getComputedStyle(row).backgroundColor);
    assert.notEqual(marked, plain, "the linked line is marked");
    await page.goto(page.url().split("#")[0]);

    mkdirSync(DOC_SHOTS, { recursive: true });
    await page.screenshot({ path: join(DOC_SHOTS, "gist-light.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    const codeBackground = await ts.locator("table.lines").evaluate((t) => getComputedStyle(t).backgroundColor);
    const pageBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(codeBackground, "rgb(255, 255, 255)", "highlighted code follows dark mode");
    assert.notEqual(pageBackground, "rgb(255, 255, 255)", "the page follows dark mode");
    await page.screenshot({ path: join(DOC_SHOTS, "gist-dark.png"), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `nothing wider than a 375 px screen (${overflow} px over)`);
    await page.screenshot({ path: join(DOC_SHOTS, "gist-dark-375.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "light" });
    await page.screenshot({ path: join(DOC_SHOTS, "gist-375.png"), fullPage: true });
    await page.setViewportSize({ width: 1100, height: 900 });
    await snap("rendering-tour");
    await page.goto(back);
  });

  await step(t, "star it", async () => {
    await page.getByRole("button", { name: /Star$/ }).click();
    await page.getByRole("button", { name: /Unstar/ }).waitFor();
    await snap("gist-starred");
    const here = page.url();
    await page.getByRole("link", { name: "Starred", exact: true }).click();
    await page.getByRole("link", { name: `${GIST_TITLE}, edited` }).waitFor();
    await snap("starred-list");
    await page.goto(here);
  });

  await step(t, "the gist's revisions and the diff of its last change", async () => {
    const here = page.url();
    await page.getByRole("link", { name: "Revisions (2)" }).click();
    await page.getByRole("heading", { level: 1, name: "Revisions" }).waitFor();
    assert.equal(await page.locator("ol.history > li").count(), 2, "created, then edited");
    await snap("revisions");
    await docShots("revisions");
    await page.getByRole("link", { name: "Changes" }).first().click();
    await page.getByRole("heading", { level: 1, name: /^Changes in/ }).waitFor();
    assert.ok((await page.locator(".diff .add").count()) > 0, "added lines are marked");
    assert.ok((await page.locator(".diff .del").count()) > 0, "removed lines are marked");
    await snap("diff");
    await docShots("diff");
    await page.goto(here);
  });

  await step(t, "comment, edit the comment, delete it", async () => {
    await page.getByLabel("Add a comment").fill("Looks **good**");
    await page.getByRole("button", { name: "Comment", exact: true }).click();
    const comment = page.locator("article.comment").first();
    await comment.locator("p strong", { hasText: "good" }).waitFor();
    await snap("commented");
    await comment.getByRole("link", { name: "Edit", exact: true }).click();
    await page.getByLabel("Comment", { exact: true }).fill("Looks *great*");
    await page.getByRole("button", { name: "Save" }).click();
    const edited = page.locator("article.comment").first();
    await edited.locator("em", { hasText: "great" }).waitFor();
    await docShots("comments");
    await edited.getByRole("button", { name: /^Delete the comment/ }).click();
    await page.getByRole("heading", { name: /^0 comments/ }).waitFor();
    assert.equal(await page.locator("article.comment").count(), 0, "the comment is gone");
    await snap("comment-deleted");
  });

  await step(t, "search finds a line and its link marks it on the gist page", async () => {
    const here = page.url();
    await page.goto(`${appUrl}/gists/search?q=${encodeURIComponent("hypot")}`);
    // The first search builds the index; the page reloads itself until the results are in.
    const hit = page.locator("ol.lines a").first();
    await hit.waitFor({ timeout: 60000 });
    await hit.locator("mark", { hasText: "hypot" }).waitFor();
    await snap("search");
    await docShots("search");
    await hit.click();
    await page.waitForURL(/#file-tour-ts-L4$/);
    const marked = await page.locator("#file-tour-ts-L4").evaluate((row) => getComputedStyle(row).backgroundColor);
    const plain = await page.locator("#file-tour-ts-L1").evaluate((row) => getComputedStyle(row).backgroundColor);
    assert.notEqual(marked, plain, "the found line is marked");
    await page.goto(here);
  });

  await step(t, "fork someone else's gist from their page", async () => {
    const here = page.url();
    await page.getByRole("link", { name: "Discover" }).click();
    await page.getByRole("heading", { level: 1, name: "Discover gists" }).waitFor();
    await page.goto(`${appUrl}/hubot`);
    await page.getByRole("link", { name: "Greeting" }).click();
    await page.waitForURL(/\/gists\/[0-9a-f]+$/);
    assert.equal(await page.getByRole("link", { name: "Edit", exact: true }).count(), 0, "no Edit on someone else's gist");
    await page.getByRole("button", { name: "Fork", exact: true }).click();
    await page.locator("p.forked", { hasText: "forked from hubot/Greeting" }).waitFor();
    await page.getByRole("link", { name: "Edit", exact: true }).waitFor();
    await snap("forked");
    await page.goto(here);
  });

  await step(t, "delete it, after confirming", async () => {
    await page.getByRole("link", { name: /^Delete/ }).click();
    await page.getByRole("heading", { name: "Delete this gist?" }).waitFor();
    await snap("delete-confirm");
    await page.getByRole("button", { name: "Delete it" }).click();
    await page.waitForURL(`${appUrl}/gists`);
    await page.getByRole("status").filter({ hasText: /deleted/i }).waitFor();
    assert.equal(await page.getByRole("link", { name: `${GIST_TITLE}, edited` }).count(), 0, "the gist is gone from the list");
    await snap("gist-deleted");
  });

  await step(t, "sign out; /gists asks to sign in again", async () => {
    await page.getByRole("link", { name: "octocat" }).first().click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForLoadState();
    assert.equal(await page.getByRole("link", { name: "Your gists" }).count(), 0, "no signed-in navigation after sign-out");
    await page.getByRole("link", { name: "Sign in with GitHub" }).waitFor();
    await snap("signed-out");
    await page.goto(`${appUrl}/gists`);
    await page.waitForURL(/\/login\/oauth\/authorize/);
    await page.getByRole("heading", { name: /^Authorize / }).waitFor();
    await snap("sign-in-again");
  });

  await step(t, "a shared link opens signed out, without a sign-in", async () => {
    await page.goto(tourUrl);
    await page.getByRole("heading", { level: 1, name: "Rendering tour" }).waitFor();
    assert.equal(page.url(), tourUrl, "no detour through GitHub");
    await page.getByRole("link", { name: /^Sign in to star/ }).waitFor();
    await page.getByRole("region", { name: "tour.ts" }).waitFor();
    await snap("shared-link-signed-out");
    await docShots("shared-signed-out");
  });
});
