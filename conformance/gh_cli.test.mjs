// GitHub's own CLI, `gh` (Debian's package), against the emulator as a GitHub Enterprise
// host behind a TLS proxy (nginx, with a self-signed certificate this suite makes and `gh`
// trusts through SSL_CERT_FILE). Each result is checked against the emulator's REST answers.
// Needs: gh, nginx, openssl on PATH, and the right to listen on 127.0.0.7:443 (root in CI):
// `gh` takes no port in a host name.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "./lib/emulator.mjs";

const HOST = "127.0.0.7";
const dir = mkdtempSync(join(tmpdir(), "gh-suite-"));
let emu;
let nginx;
let token; // the emulator's own view, for checking gh's results

const env = () => ({
  ...process.env,
  GH_CONFIG_DIR: join(dir, "gh"),
  SSL_CERT_FILE: join(dir, "cert.pem"),
  GH_HOST: HOST,
  GH_PROMPT_DISABLED: "1",
  GH_NO_UPDATE_NOTIFIER: "1",
  GH_BROWSER: "true",
  BROWSER: "true",
  NO_COLOR: "1",
});

/** Runs gh; resolves with {code, stdout, stderr}. `onStderr` sees stderr as it comes. */
function gh(args, { input, onStderr } = {}) {
  return new Promise((resolve) => {
    const child = spawn("gh", args, { env: env(), cwd: dir });
    let stdout = "", stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => {
      stderr += c;
      onStderr?.(stderr);
    });
    child.stdin.end(input ?? "");
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args, opts) {
  const r = await gh(args, opts);
  assert.equal(r.code, 0, `gh ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function rest(path, init = {}) {
  const res = await fetch(`${emu.api}${path}`, {
    ...init,
    headers: { authorization: `bearer ${token}`, "user-agent": "gh-suite", ...(init.headers ?? {}) },
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function control(path, body) {
  const res = await fetch(`${emu.vars.control_url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

before(async () => {
  // gh's own OAuth app (its client id and secret are public, in gh's source).
  emu = await startEmulator([
    "--control", "127.0.0.1:0",
    "--oauth-app", "178c6fc778ccc68e1d6a:34ddeff2b558a23d38fba8a6de74f086ede1cc0b:http://127.0.0.1/callback",
  ]);
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    "-subj", `/CN=${HOST}`, "-addext", `subjectAltName=IP:${HOST}`], { stdio: "ignore" });
  const t = (n) => join(dir, n);
  writeFileSync(t("nginx.conf"), `daemon off; pid ${t("nginx.pid")}; error_log ${t("nginx-error.log")};
events {}
http {
  access_log ${t("access.log")};
  client_body_temp_path ${t("body")}; proxy_temp_path ${t("proxy")};
  fastcgi_temp_path ${t("fcgi")}; uwsgi_temp_path ${t("uwsgi")}; scgi_temp_path ${t("scgi")};
  server {
    listen ${HOST}:443 ssl;
    ssl_certificate ${t("cert.pem")}; ssl_certificate_key ${t("key.pem")};
    client_max_body_size 20m;
    location / {
      proxy_pass ${emu.base};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
`);
  nginx = spawn("nginx", ["-c", t("nginx.conf")], { stdio: "ignore" });
  for (let i = 0; ; i++) {
    const up = await fetch(`${emu.base}/`).then(() => true).catch(() => false);
    const r = await gh(["api", "/"]).catch(() => null);
    if (up && r && !/connection refused/.test(r.stderr)) break;
    if (i > 50) throw new Error(`nginx did not come up: ${readFileSync(t("nginx-error.log"), "utf8")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  token = (await control("tokens", { login: "octocat", scopes: ["gist"] })).body.token;
});

after(async () => {
  nginx?.kill("SIGTERM");
  await emu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("gh auth login: the device flow, approved by the suite", async () => {
  let approved = false;
  const r = await gh(["auth", "login", "--hostname", HOST, "--web", "-p", "https"], {
    onStderr: (err) => {
      // gh writes the code and the page to open in separate writes: both are waited for.
      const code = err.match(/one-time code: ([0-9A-Z]{4}-[0-9A-Z]{4})/);
      const page = err.match(/(\S+\/login\/device)\b/);
      if (code && page && !approved) {
        approved = true;
        assert.equal(page[1], `https://${HOST}/login/device`, `the proxy's device page: ${err}`);
        control("device/approve", { user_code: code[1], login: "octocat" });
      }
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(approved);
  assert.match(r.stderr, /Logged in as octocat/);
});

test("gh auth status: the login and the scopes, from /api/v3/", async () => {
  const r = await gh(["auth", "status"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Logged in to ${HOST.replaceAll(".", "\\.")} as octocat`));
  assert.match(r.stderr, /Token scopes: .*gist/);
});

test("gh api --paginate: every page through the proxy", async () => {
  const out = await ok(["api", "--paginate", "gists?per_page=7", "--jq", ".[].id"]);
  const ids = out.trim().split("\n");
  const all = (await rest("/gists?per_page=100")).body.map((g) => g.id);
  assert.deepEqual(ids, all);
  assert.ok(ids.length > 7, "more than one page");
  const log = readFileSync(join(dir, "access.log"), "utf8");
  assert.match(log, /GET \/api\/v3\/gists\?per_page=7&page=2 /, "page 2 came through the proxy");
});

test("gh gist list: counts against the seed", async () => {
  const all = (await rest("/gists?per_page=100")).body;
  const lines = (await ok(["gist", "list", "-L", "1000"])).trim().split("\n");
  assert.equal(lines.length, all.length);
  const pub = (await ok(["gist", "list", "--public", "-L", "1000"])).trim().split("\n");
  assert.equal(pub.length, all.filter((g) => g.public).length);
  const sec = (await ok(["gist", "list", "--secret", "-L", "1000"])).trim().split("\n");
  assert.equal(sec.length, all.filter((g) => !g.public).length);
  assert.equal(lines[0].split("\t")[0], [...all].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id))[0].id);
});

test("gh gist create, view, edit and delete", async () => {
  writeFileSync(join(dir, "one.txt"), "hello\n");
  writeFileSync(join(dir, "two.md"), "# two\n");
  const single = (await ok(["gist", "create", "-d", "one file", "one.txt"])).trim();
  const singleId = single.split("/").pop();
  assert.equal(single, `https://${HOST}/gist/octocat/${singleId}`);
  assert.deepEqual(Object.keys((await rest(`/gists/${singleId}`)).body.files), ["one.txt"]);

  const url = (await ok(["gist", "create", "--public", "-d", "made by gh", "one.txt", "two.md"])).trim();
  const id = url.split("/").pop();
  let g = (await rest(`/gists/${id}`)).body;
  assert.equal(g.public, true);
  assert.equal(g.description, "made by gh");
  assert.deepEqual(Object.keys(g.files).sort(), ["one.txt", "two.md"]);

  const raw = await ok(["gist", "view", id, "--raw"]);
  assert.ok(raw.includes("made by gh") && raw.includes("hello") && raw.includes("# two"), raw);
  assert.deepEqual((await ok(["gist", "view", id, "--files"])).trim().split("\n"), ["one.txt", "two.md"]);
  assert.equal(await ok(["gist", "view", id, "--filename", "two.md", "--raw"]), g.files["two.md"].content);

  await ok(["gist", "edit", id, "-f", "one.txt", "-d", "changed by gh", "-"], { input: "from stdin\n" });
  g = (await rest(`/gists/${id}`)).body;
  assert.equal(g.files["one.txt"].content, "from stdin\n");
  assert.equal(g.description, "changed by gh");

  writeFileSync(join(dir, "three.txt"), "three\n");
  await ok(["gist", "edit", id, "-a", "three.txt"]);
  g = (await rest(`/gists/${id}`)).body;
  assert.deepEqual(Object.keys(g.files).sort(), ["one.txt", "three.txt", "two.md"]);
  assert.equal(g.files["three.txt"].content, "three\n");

  await ok(["gist", "delete", id]);
  assert.equal((await rest(`/gists/${id}`)).status, 404);
  await ok(["gist", "delete", singleId]);
});
