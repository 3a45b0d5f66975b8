// Every REST endpoint and error status the emulator serves, with each JSON body
// validated against GitHub's official OpenAPI description (@octokit/openapi,
// generated/api.github.com.json). The emulator serves REST under /api/v3 (GitHub
// Enterprise Server layout); the prefix is stripped to find the OpenAPI path.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "./lib/emulator.mjs";
import { api, webFlowToken, consentToken, parseLink, REDIRECT_URI } from "./lib/github.mjs";
import { request, form, USER_AGENT } from "./lib/http.mjs";
import { validate, openapiPath } from "./lib/schema.mjs";

/** Every (method, OpenAPI path, status) this suite must have validated. */
const REQUIRED = [
  "GET /user 200", "GET /user 304", "GET /user 401", "GET /user 403",
  "GET /user/emails 200",
  "GET /users/{username} 200", "GET /users/{username} 404",
  "GET /user/orgs 200",
  "GET /user/teams 200",
  "GET /user/memberships/orgs/{org} 200", "GET /user/memberships/orgs/{org} 404",
  "GET /orgs/{org}/members/{username} 204", "GET /orgs/{org}/members/{username} 404",
  "GET /gists 200", "GET /gists 304", "GET /gists 401",
  "GET /gists/starred 200",
  "GET /users/{username}/gists 200", "GET /users/{username}/gists 404",
  "POST /gists 201", "POST /gists 422",
  "GET /gists/{gist_id} 200", "GET /gists/{gist_id} 304", "GET /gists/{gist_id} 404",
  "PATCH /gists/{gist_id} 200", "PATCH /gists/{gist_id} 404", "PATCH /gists/{gist_id} 422",
  "DELETE /gists/{gist_id} 204", "DELETE /gists/{gist_id} 404",
  "PUT /gists/{gist_id}/star 204", "GET /gists/{gist_id}/star 204", "GET /gists/{gist_id}/star 404",
  "DELETE /gists/{gist_id}/star 204",
  "GET /rate_limit 200",
  "POST /applications/{client_id}/token 200", "POST /applications/{client_id}/token 404",
  "POST /applications/{client_id}/token 422",
  "PATCH /applications/{client_id}/token 200",
  "DELETE /applications/{client_id}/token 204",
  "DELETE /applications/{client_id}/grant 204",
  "POST /gists 400", "PATCH /gists/{gist_id} 400", "POST /gists 413",
  "GET /gists/public 200", "GET /gists/public 304", "GET /gists/public 422",
  "GET /gists/{gist_id}/commits 200", "GET /gists/{gist_id}/commits 304", "GET /gists/{gist_id}/commits 404",
  "GET /gists/{gist_id}/{sha} 200", "GET /gists/{gist_id}/{sha} 404",
  "GET /gists/{gist_id}/forks 200", "GET /gists/{gist_id}/forks 404",
  "POST /gists/{gist_id}/forks 201", "POST /gists/{gist_id}/forks 401", "POST /gists/{gist_id}/forks 404",
  "POST /gists/{gist_id}/forks 422",
  "GET /gists/{gist_id}/comments 200", "GET /gists/{gist_id}/comments 304", "GET /gists/{gist_id}/comments 404",
  "POST /gists/{gist_id}/comments 201", "POST /gists/{gist_id}/comments 404", "POST /gists/{gist_id}/comments 422",
  "GET /gists/{gist_id}/comments/{comment_id} 200", "GET /gists/{gist_id}/comments/{comment_id} 404",
  "PATCH /gists/{gist_id}/comments/{comment_id} 200", "PATCH /gists/{gist_id}/comments/{comment_id} 404",
  "DELETE /gists/{gist_id}/comments/{comment_id} 204", "DELETE /gists/{gist_id}/comments/{comment_id} 403",
  "DELETE /gists/{gist_id}/comments/{comment_id} 404",
];
const covered = new Set();
/** Header and schema problems of the running test: collected, so one run lists them all. */
let soft = [];
function softly(fn) {
  try {
    fn();
  } catch (e) {
    soft.push(e.message);
  }
}
/** A test whose envelope/schema problems are reported together at its end. */
function t(name, fn) {
  test(name, async () => {
    soft = [];
    await fn();
    assert.deepEqual(soft, [], `${soft.length} problem(s):\n${soft.join("\n")}`);
  });
}

let emu; // auto-approves as octocat
let emuHubot; // auto-approves as hubot
let limited; // --rate-limit 3
let shared; // no auto-approve: octocat and hubot sign in on its consent page
let callShared;
let octocatShared; // octocat's token there: gist
let hubotShared; // hubot's token there: gist
let call;
let token; // octocat: user gist read:org
let tokenNoScope; // octocat: no scope at all

before(async () => {
  [emu, emuHubot, limited, shared] = await Promise.all([
    startEmulator(["--auto-approve", "octocat"]),
    startEmulator(["--auto-approve", "hubot"]),
    startEmulator(["--auto-approve", "octocat", "--rate-limit", "3"]),
    startEmulator([]),
  ]);
  callShared = api(shared);
  octocatShared = (await consentToken(shared, "octocat", { scope: "gist" })).access_token;
  hubotShared = (await consentToken(shared, "hubot", { scope: "gist" })).access_token;
  call = api(emu);
  token = (await webFlowToken(emu, { scope: "user gist read:org" })).access_token;
  tokenNoScope = (await webFlowToken(emu, { scope: "" })).access_token;
});

after(async () => {
  await Promise.all([emu?.stop(), emuHubot?.stop(), limited?.stop(), shared?.stop()]);
});

/**
 * Asserts the status, GitHub's envelope headers and the body's schema, and
 * records the (method, path, status) as covered.
 */
function check(method, path, res, status, { authenticated = true } = {}) {
  const where = `${method} ${path}`;
  assert.equal(res.status, status, `${where}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  const h = res.headers;
  for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset"]) {
    softly(() => assert.match(h[name] ?? "", /^\d+$/, `${where}: header ${name} missing or not a number (${h[name]})`));
  }
  softly(() => assert.ok(h["x-ratelimit-resource"], `${where}: header x-ratelimit-resource missing`));
  softly(() => assert.ok(h["x-github-request-id"], `${where}: header x-github-request-id missing`));
  if (authenticated) {
    softly(() => assert.ok("x-oauth-scopes" in h, `${where}: header x-oauth-scopes missing`));
    softly(() => assert.ok("x-accepted-oauth-scopes" in h, `${where}: header x-accepted-oauth-scopes missing`));
  }
  if (res.text.length > 0) {
    softly(() => assert.equal(h["content-type"], "application/json; charset=utf-8", `${where}: content-type`));
  }
  if (method === "GET" && status === 200) softly(() => assert.ok(h.etag, `${where}: GET 200 without an ETag`));
  if (status === 304) softly(() => assert.equal(res.text, "", `${where}: a 304 has no body`));
  if (status >= 400 && !(status === 404 && res.text === "{}")) {
    softly(() => assert.equal(typeof res.json?.message, "string", `${where}: error without a message: ${res.text.slice(0, 200)}`));
    softly(() => assert.equal(typeof res.json?.documentation_url, "string", `${where}: error without documentation_url`));
  }
  for (const p of validate(method, path, res)) soft.push(`${where}: ${p}  [body: ${res.text.slice(0, 300)}]`);
  covered.add(`${method} ${openapiPath(path)} ${status}`);
  return res;
}

/** A 304 for a conditional GET, costing no rate-limit unit (GET /rate_limit is free too). */
async function checkNotModified(path, first, tok = token) {
  const used = async () => Number((await call("GET", "/rate_limit", { token: tok })).json.resources.core.used);
  const before = await used();
  const res = await call("GET", path, { token: tok, headers: { "if-none-match": first.headers.etag } });
  check("GET", path, res, 304);
  const after = await used();
  assert.equal(after, before, `a 304 on ${path} counted against the rate limit (used ${before} before, ${after} after)`);
}

t("GET /user: private view, 304, token scheme, 401s", async () => {
  const res = check("GET", "/user", await call("GET", "/user", { token }), 200);
  assert.equal(res.json.login, "octocat");
  assert.equal(res.json.id, 583231);
  assert.equal(res.json.email, "octocat@github.com");
  // the spec's discriminator maps "private" to private-user: a client that honours it
  // would reject private fields under "public" (public-user has additionalProperties: false)
  softly(() => assert.equal(res.json.user_view_type, "private", "GET /user for the token's own user: user_view_type"));
  check("GET", "/user", await call("GET", "/user", { token, scheme: "token" }), 200);
  await checkNotModified("/user", res);

  const none = check("GET", "/user", await call("GET", "/user"), 401, { authenticated: false });
  assert.equal(none.json.message, "Requires authentication");
  const bad = check("GET", "/user", await call("GET", "/user", { token: "gho_notarealtoken000000000000000000000000" }), 401, {
    authenticated: false,
  });
  assert.equal(bad.json.message, "Bad credentials");
  assert.equal(bad.json.status, "401");
});

t("GET /user for a user whose email is private: email is null, not missing", async () => {
  const t = (await webFlowToken(emuHubot, { scope: "user" })).access_token;
  const res = check("GET", "/user", await api(emuHubot)("GET", "/user", { token: t }), 200);
  assert.equal(res.json.login, "hubot");
  assert.ok("email" in res.json, "email key missing");
  assert.equal(res.json.email, null);
  const emails = check("GET", "/user/emails", await api(emuHubot)("GET", "/user/emails", { token: t }), 200);
  assert.ok(emails.json.length >= 1);
  assert.ok(emails.json.some((e) => e.primary && e.verified && e.visibility === "private"), JSON.stringify(emails.json));
});

t("GET /users/{username}: the public view of anyone", async () => {
  const res = check("GET", "/users/hubot", await call("GET", "/users/hubot", { token }), 200);
  assert.equal(res.json.login, "hubot");
  assert.ok(!("plan" in res.json) && !("private_gists" in res.json), "no private fields of someone else");
  softly(() => assert.equal(res.json.user_view_type, "public", "GET /users/{username}: user_view_type"));
  check("GET", "/users/octocat", await call("GET", "/users/octocat"), 200, { authenticated: false });
  check("GET", "/users/no-such-user-xyz", await call("GET", "/users/no-such-user-xyz", { token }), 404);
});

t("GET /user/emails: needs user or user:email", async () => {
  const res = check("GET", "/user/emails", await call("GET", "/user/emails", { token }), 200);
  assert.ok(res.json.some((e) => e.email === "octocat@github.com" && e.primary && e.verified));
  const denied = await call("GET", "/user/emails", { token: tokenNoScope });
  assert.ok([403, 404].includes(denied.status), `without scope: ${denied.status} ${denied.text}`);
  check("GET", "/user/emails", denied, denied.status);
});

t("GET /user/orgs, /user/teams, /user/memberships/orgs/{org}, /orgs/{org}/members/{username}", async () => {
  const orgs = check("GET", "/user/orgs", await call("GET", "/user/orgs", { token }), 200);
  assert.ok(orgs.json.some((o) => o.login === "github"), JSON.stringify(orgs.json));
  const teams = check("GET", "/user/teams", await call("GET", "/user/teams", { token }), 200);
  assert.ok(teams.json.some((t) => t.slug === "justice-league" && t.organization?.login === "github"));
  const m = check("GET", "/user/memberships/orgs/github", await call("GET", "/user/memberships/orgs/github", { token }), 200);
  assert.equal(m.json.state, "active");
  check("GET", "/user/memberships/orgs/no-such-org-xyz", await call("GET", "/user/memberships/orgs/no-such-org-xyz", { token }), 404);
  check("GET", "/orgs/github/members/octocat", await call("GET", "/orgs/github/members/octocat", { token }), 204);
  check(
    "GET",
    "/orgs/github/members/no-such-user-xyz",
    await call("GET", "/orgs/github/members/no-such-user-xyz", { token }),
    404,
  );
});

t("GET /gists: default page of 30, Link pagination, per_page, since, 304, 401", async () => {
  const first = check("GET", "/gists", await call("GET", "/gists", { token }), 200);
  assert.equal(first.json.length, 30, "GitHub's default page size is 30");
  const link = parseLink(first.headers.link);
  assert.deepEqual(Object.keys(link).sort(), ["last", "next"], `first page Link: ${first.headers.link}`);
  const next = new URL(link.next);
  assert.equal(next.origin, new URL(emu.base).origin, "Link URLs are absolute, on the emulator's own base");
  assert.equal(next.pathname, "/api/v3/gists");
  assert.equal(next.searchParams.get("page"), "2");
  const relative = link.next.slice(emu.api.length);
  const second = check("GET", relative, await call("GET", relative, { token }), 200);
  const rels = Object.keys(parseLink(second.headers.link));
  for (const rel of ["prev", "first", "last"]) assert.ok(rels.includes(rel), `page 2 Link lacks rel="${rel}": ${second.headers.link}`);
  const big = check("GET", "/gists?per_page=100", await call("GET", "/gists?per_page=100", { token }), 200);
  assert.ok(big.json.length >= 75, `octocat has at least 75 gists, got ${big.json.length}`);
  const capped = check("GET", "/gists?per_page=500", await call("GET", "/gists?per_page=500", { token }), 200);
  assert.ok(capped.json.length <= 100, "per_page is capped at 100");
  const since = check("GET", "/gists?since=2100-01-01T00:00:00Z", await call("GET", "/gists?since=2100-01-01T00:00:00Z", { token }), 200);
  assert.deepEqual(since.json, []);
  await checkNotModified("/gists", first);
  check("GET", "/gists", await call("GET", "/gists", { token: "gho_notarealtoken000000000000000000000000" }), 401, {
    authenticated: false,
  });
});

t("GET /gists/starred and GET /users/{username}/gists", async () => {
  check("GET", "/gists/starred", await call("GET", "/gists/starred", { token }), 200);
  const mine = check("GET", "/users/octocat/gists", await call("GET", "/users/octocat/gists", { token }), 200);
  assert.ok(mine.json.length > 0 && mine.json.every((g) => g.owner.login === "octocat"));
  const anon = check("GET", "/users/hubot/gists", await call("GET", "/users/hubot/gists"), 200, { authenticated: false });
  assert.ok(anon.json.length > 0 && anon.json.every((g) => g.owner.login === "hubot" && g.public === true), "anonymous: public gists only");
  check("GET", "/users/no-such-user-xyz/gists", await call("GET", "/users/no-such-user-xyz/gists", { token }), 404);
});

t("gist lifecycle: create, get, 304, patch (edit, rename, add, delete file), star, delete", async () => {
  const created = check(
    "POST",
    "/gists",
    await call("POST", "/gists", {
      token,
      body: {
        description: "conformance gist",
        public: false,
        files: { "hello.md": { content: "# Hello\n" }, "b.txt": { content: "b" } },
      },
    }),
    201,
  );
  const id = created.json.id;
  assert.equal(created.headers.location, `${emu.api}/gists/${id}`, "POST /gists answers with Location");
  assert.equal(created.json.public, false);
  assert.equal(created.json.files["hello.md"].content, "# Hello\n");
  assert.equal(created.json.files["hello.md"].language, "Markdown");

  const got = check("GET", `/gists/${id}`, await call("GET", `/gists/${id}`, { token }), 200);
  await checkNotModified(`/gists/${id}`, got);

  const patched = check(
    "PATCH",
    `/gists/${id}`,
    await call("PATCH", `/gists/${id}`, {
      token,
      body: {
        description: "edited",
        files: {
          "hello.md": { content: "# Hello again\n", filename: "renamed.md" },
          "b.txt": null,
          "new.py": { content: "print(1)\n" },
        },
      },
    }),
    200,
  );
  assert.equal(patched.json.description, "edited");
  assert.deepEqual(Object.keys(patched.json.files).sort(), ["new.py", "renamed.md"]);
  assert.equal(patched.json.files["renamed.md"].content, "# Hello again\n");
  assert.ok(patched.json.history.length >= 2, "history grows with each edit");
  check("PATCH", `/gists/${id}`, await call("PATCH", `/gists/${id}`, { token, body: { files: "not an object" } }), 422);

  check("GET", `/gists/${id}/star`, await call("GET", `/gists/${id}/star`, { token }), 404);
  check("PUT", `/gists/${id}/star`, await call("PUT", `/gists/${id}/star`, { token }), 204);
  check("GET", `/gists/${id}/star`, await call("GET", `/gists/${id}/star`, { token }), 204);
  const starred = check("GET", "/gists/starred", await call("GET", "/gists/starred", { token }), 200);
  assert.ok(starred.json.some((g) => g.id === id), "a starred gist is listed in /gists/starred");
  check("DELETE", `/gists/${id}/star`, await call("DELETE", `/gists/${id}/star`, { token }), 204);

  check("DELETE", `/gists/${id}`, await call("DELETE", `/gists/${id}`, { token }), 204);
  check("GET", `/gists/${id}`, await call("GET", `/gists/${id}`, { token }), 404);
  check("DELETE", `/gists/${id}`, await call("DELETE", `/gists/${id}`, { token }), 404);
  check("PATCH", `/gists/${id}`, await call("PATCH", `/gists/${id}`, { token, body: { description: "x" } }), 404);
});

t("POST /gists: 422 in GitHub's validation shape", async () => {
  const noFiles = check("POST", "/gists", await call("POST", "/gists", { token, body: { description: "x", files: {} } }), 422);
  assert.equal(noFiles.json.message, "Validation Failed");
  const emptyContent = check(
    "POST",
    "/gists",
    await call("POST", "/gists", { token, body: { files: { "a.txt": { content: "" } } } }),
    422,
  );
  assert.ok(Array.isArray(emptyContent.json.errors), "422 carries an errors array");
});

t("gists without the gist scope answer 404, not 403", async () => {
  const list = await call("GET", "/gists?per_page=1", { token });
  const id = list.json[0].id;
  const res = check("GET", `/gists/${id}`, await call("GET", `/gists/${id}`, { token: tokenNoScope }), 200);
  assert.equal(res.json.id, id, "reading a public gist needs no scope");
  check("POST", "/gists", await call("POST", "/gists", { token: tokenNoScope, body: { files: { "a.txt": { content: "a" } } } }), 404);
  check("PUT", `/gists/${id}/star`, await call("PUT", `/gists/${id}/star`, { token: tokenNoScope }), 404);
});

t("a file over 1 MB comes back truncated with a working raw_url", async () => {
  const big = "x".repeat(1024 * 1024 + 10) + "\n";
  const created = check("POST", "/gists", await call("POST", "/gists", { token, body: { files: { "big.txt": { content: big } } } }), 201);
  const got = check("GET", `/gists/${created.json.id}`, await call("GET", `/gists/${created.json.id}`, { token }), 200);
  const f = got.json.files["big.txt"];
  assert.equal(f.truncated, true);
  assert.ok(f.content.length < big.length);
  const raw = await request(f.raw_url, { headers: { "user-agent": USER_AGENT } });
  assert.equal(raw.status, 200);
  assert.equal(raw.text, big);
  check("DELETE", `/gists/${created.json.id}`, await call("DELETE", `/gists/${created.json.id}`, { token }), 204);
});

t("GET /rate_limit", async () => {
  const res = check("GET", "/rate_limit", await call("GET", "/rate_limit", { token }), 200);
  assert.equal(res.json.resources.core.limit, 5000);
  assert.deepEqual(res.json.rate, res.json.resources.core);
});

t("an exhausted primary rate limit answers 403 with x-ratelimit-remaining: 0", async () => {
  const t = (await webFlowToken(limited, { scope: "gist" })).access_token;
  const c = api(limited);
  let last;
  for (let i = 0; i < 4; i++) last = await c("GET", "/user", { token: t });
  check("GET", "/user", last, 403);
  assert.equal(last.headers["x-ratelimit-remaining"], "0");
  assert.match(last.json.message, /rate limit exceeded/i);
});

t("GitHub's envelope: no User-Agent → 403, ?access_token= → 400, bad API version → 400, unknown route → 404", async () => {
  const noUa = await request(`${emu.api}/user`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" },
  });
  assert.equal(noUa.status, 403, `no User-Agent: ${noUa.status} ${noUa.text.slice(0, 200)}`);
  if (noUa.json !== undefined) assert.deepEqual(validate("GET", "/user", noUa), []);

  const query = await request(`${emu.api}/user?access_token=${token}`, { headers: { "user-agent": USER_AGENT } });
  assert.equal(query.status, 400, `?access_token=: ${query.status} ${query.text}`);
  assert.equal(query.headers["content-type"], "application/json; charset=utf-8");
  assert.deepEqual(validate("GET", "/user", query), []);

  const version = await call("GET", "/user", { token, headers: { "x-github-api-version": "1999-01-01" } });
  assert.equal(version.status, 400, `bad X-GitHub-Api-Version: ${version.status} ${version.text}`);
  assert.deepEqual(validate("GET", "/user", version), []);
  for (const ok of ["2022-11-28", "2026-03-10"]) {
    assert.equal((await call("GET", "/user", { token, headers: { "x-github-api-version": ok } })).status, 200, ok);
  }

  const unknown = await call("GET", "/no/such/route", { token });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers["content-type"], "application/json; charset=utf-8");
  assert.equal(unknown.json.message, "Not Found");
  assert.equal(typeof unknown.json.documentation_url, "string");
});

t("bad input gets GitHub's error shape: malformed JSON and bad UTF-8 → 400, an oversized body → 413", async () => {
  const raw = (method, path, body, ct = "application/json") =>
    request(`${emu.api}${path}`, {
      expectContinue: true,
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/vnd.github+json",
        "user-agent": USER_AGENT,
        "content-type": ct,
      },
      body,
    });
  const bad = check("POST", "/gists", await raw("POST", "/gists", '{"files": {'), 400);
  assert.equal(bad.json.message, "Problems parsing JSON");
  check("POST", "/gists", await raw("POST", "/gists", "[1, 2, 3]"), 400);
  check("POST", "/gists", await raw("POST", "/gists", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400);
  const id = (await call("GET", "/gists?per_page=1", { token })).json[0].id;
  check("PATCH", `/gists/${id}`, await raw("PATCH", `/gists/${id}`, "not json at all"), 400);
  const huge = JSON.stringify({ files: { "big.txt": { content: "x".repeat(11 * 1024 * 1024) } } });
  check("POST", "/gists", await raw("POST", "/gists", huge), 413);
  assert.equal((await call("GET", "/user", { token })).status, 200, "the emulator is still up");
});

t("/applications/{client_id}/token and /grant: check, reset, revoke, delete grant (HTTP Basic)", async () => {
  const basic = [emu.clientId, emu.clientSecret];
  const path = `/applications/${emu.clientId}/token`;
  const t = (await webFlowToken(emu, { scope: "gist" })).access_token;
  const checked = check("POST", path, await call("POST", path, { basic, body: { access_token: t } }), 200, { authenticated: false });
  assert.equal(checked.json.token, t);
  assert.equal(checked.json.user.login, "octocat");
  assert.deepEqual(checked.json.scopes, ["gist"]);
  assert.equal(checked.json.app.client_id, emu.clientId);
  check("POST", path, await call("POST", path, { basic, body: { access_token: "gho_unknown0000000000000000000000000000" } }), 404, {
    authenticated: false,
  });
  check("POST", path, await call("POST", path, { basic, body: {} }), 422, { authenticated: false });
  const wrongSecret = await call("POST", path, { basic: [emu.clientId, "wrong"], body: { access_token: t } });
  assert.ok([401, 404].includes(wrongSecret.status), `wrong client secret: ${wrongSecret.status}`);
  check("POST", path, wrongSecret, wrongSecret.status, { authenticated: false });

  const reset = check("PATCH", path, await call("PATCH", path, { basic, body: { access_token: t } }), 200, { authenticated: false });
  const t2 = reset.json.token;
  assert.notEqual(t2, t, "reset returns a new token");
  assert.equal((await call("GET", "/user", { token: t })).status, 401, "the old token is dead after a reset");
  assert.equal((await call("GET", "/user", { token: t2 })).status, 200);

  check("DELETE", path, await call("DELETE", path, { basic, body: { access_token: t2 } }), 204, { authenticated: false });
  assert.equal((await call("GET", "/user", { token: t2 })).status, 401, "a revoked token is dead");

  const t3 = (await webFlowToken(emu, { scope: "gist" })).access_token;
  const grant = `/applications/${emu.clientId}/grant`;
  check("DELETE", grant, await call("DELETE", grant, { basic, body: { access_token: t3 } }), 204, { authenticated: false });
  assert.equal((await call("GET", "/user", { token: t3 })).status, 401, "revoking the grant kills its tokens");
});

t("token endpoint: GitHub's documented fields (JSON, form, errors with HTTP 200)", async () => {
  const tokenUrl = `${emu.base}/login/oauth/access_token`;
  const json = await webFlowToken(emu, { scope: "user:email gist user" });
  assert.deepEqual(Object.keys(json).sort(), ["access_token", "scope", "token_type"]);
  assert.equal(json.token_type, "bearer");
  assert.match(json.access_token, /^gho_/);
  assert.deepEqual(json.scope.split(",").sort(), ["gist", "user"], `scope normalised and comma-separated: ${json.scope}`);

  // form-encoded when the client does not ask for JSON
  const { authorizeCode } = await import("./lib/github.mjs");
  const c = await authorizeCode(emu, { scope: "gist" });
  const formRes = await request(tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": USER_AGENT },
    body: form({ client_id: emu.clientId, client_secret: emu.clientSecret, code: c.code, redirect_uri: REDIRECT_URI, code_verifier: c.verifier }),
  });
  assert.equal(formRes.status, 200);
  assert.match(formRes.headers["content-type"], /^application\/x-www-form-urlencoded/);
  const parsed = Object.fromEntries(new URLSearchParams(formRes.text));
  assert.deepEqual(Object.keys(parsed).sort(), ["access_token", "scope", "token_type"]);

  // the same code again: bad_verification_code, HTTP 200, GitHub's three fields
  const reuse = await request(tokenUrl, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", "user-agent": USER_AGENT },
    body: form({ client_id: emu.clientId, client_secret: emu.clientSecret, code: c.code, code_verifier: c.verifier }),
  });
  assert.equal(reuse.status, 200);
  assert.deepEqual(Object.keys(reuse.json).sort(), ["error", "error_description", "error_uri"]);
  assert.equal(reuse.json.error, "bad_verification_code");

  const c2 = await authorizeCode(emu, { scope: "gist" });
  const badSecret = await request(tokenUrl, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", "user-agent": USER_AGENT },
    body: form({ client_id: emu.clientId, client_secret: "wrong", code: c2.code, code_verifier: c2.verifier }),
  });
  assert.equal(badSecret.status, 200);
  assert.equal(badSecret.json.error, "incorrect_client_credentials");
  assert.deepEqual(Object.keys(badSecret.json).sort(), ["error", "error_description", "error_uri"]);

  const c3 = await authorizeCode(emu, { scope: "gist" });
  const badVerifier = await request(tokenUrl, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", "user-agent": USER_AGENT },
    body: form({ client_id: emu.clientId, client_secret: emu.clientSecret, code: c3.code, code_verifier: "x".repeat(43) }),
  });
  assert.equal(badVerifier.json.error, "bad_verification_code", "a wrong PKCE verifier is a bad code");
});

t("device flow: GitHub's documented fields for the code and for polling", async () => {
  const post = (path, params) =>
    request(`${emu.base}${path}`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", "user-agent": USER_AGENT },
      body: form(params),
    });
  const code = await post("/login/device/code", { client_id: emu.clientId, scope: "gist" });
  assert.equal(code.status, 200);
  assert.deepEqual(Object.keys(code.json).sort(), ["device_code", "expires_in", "interval", "user_code", "verification_uri"]);
  assert.match(code.json.user_code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  assert.equal(code.json.verification_uri, `${emu.base}/login/device`);
  assert.equal(typeof code.json.expires_in, "number");
  assert.equal(typeof code.json.interval, "number");
  const poll = () =>
    post("/login/oauth/access_token", {
      client_id: emu.clientId,
      device_code: code.json.device_code,
      grant_type: "urn:ietf:params:oauth:grant-type:device_code",
    });
  const pending = await poll();
  assert.equal(pending.status, 200);
  assert.deepEqual(Object.keys(pending.json).sort(), ["error", "error_description", "error_uri"]);
  assert.equal(pending.json.error, "authorization_pending");
  const fast = await poll();
  assert.equal(fast.json.error, "slow_down", "polling again at once is too fast");
  assert.equal(fast.json.interval, code.json.interval + 5, "slow_down adds 5 s to the interval and says so");
  const wrong = await post("/login/oauth/access_token", {
    client_id: emu.clientId,
    device_code: "0".repeat(40),
    grant_type: "urn:ietf:params:oauth:grant-type:device_code",
  });
  assert.equal(wrong.json.error, "incorrect_device_code");
});

t("authorize errors go back to the callback with error, error_description, error_uri and state", async () => {
  const q = { client_id: emu.clientId, redirect_uri: "http://evil.example/cb", scope: "gist", state: "s1" };
  const res = await request(`${emu.base}/login/oauth/authorize?${form(q)}`, { headers: { "user-agent": USER_AGENT } });
  assert.ok([302, 303].includes(res.status), `redirect_uri on another host: ${res.status} ${res.text.slice(0, 200)}`);
  const loc = new URL(res.headers.location);
  assert.equal(loc.hostname, "127.0.0.1", `sent to the registered callback, never to the foreign host: ${loc}`);
  assert.equal(loc.searchParams.get("error"), "redirect_uri_mismatch");
  assert.ok(loc.searchParams.get("error_description"));
  assert.ok(loc.searchParams.get("error_uri"));
  assert.equal(loc.searchParams.get("state"), "s1");
  const unknown = await request(`${emu.base}/login/oauth/authorize?${form({ ...q, client_id: "Ov23linosuchapp000000" })}`, {
    headers: { "user-agent": USER_AGENT },
  });
  assert.equal(unknown.status, 404, "an unknown client_id gets a 404 page");
});

t("GET /gists/public: anyone, newest first, since, 304, 422", async () => {
  // a token of its own: earlier tests reset and revoke the shared one
  const token = (await webFlowToken(emu, { scope: "gist" })).access_token;
  const first = check("GET", "/gists/public", await call("GET", "/gists/public"), 200, { authenticated: false });
  assert.ok(first.json.length > 0 && first.json.every((g) => g.public === true), "public gists only");
  const times = first.json.map((g) => g.updated_at);
  assert.deepEqual(times, [...times].sort().reverse(), "most recently updated first");
  assert.equal(first.headers["x-ratelimit-limit"], "60", "anonymous: the anonymous budget");
  check("GET", "/gists/public", await call("GET", "/gists/public", { token }), 200);
  const later = check("GET", "/gists/public?since=2100-01-01T00:00:00Z", await call("GET", "/gists/public?since=2100-01-01T00:00:00Z"), 200, {
    authenticated: false,
  });
  assert.deepEqual(later.json, []);
  check("GET", "/gists/public?since=soon", await call("GET", "/gists/public?since=soon"), 422, { authenticated: false });
  await checkNotModified("/gists/public", await call("GET", "/gists/public", { token }), token);
});

t("anonymous reads: a secret gist by its id, a user's public gists", async () => {
  const token = (await webFlowToken(emu, { scope: "gist" })).access_token;
  const created = await call("POST", "/gists", { token, body: { public: false, files: { "s.txt": { content: "secret" } } } });
  const id = created.json.id;
  const res = check("GET", `/gists/${id}`, await call("GET", `/gists/${id}`), 200, { authenticated: false });
  assert.equal(res.json.files["s.txt"].content, "secret");
  const theirs = check("GET", "/users/octocat/gists?per_page=100", await call("GET", "/users/octocat/gists?per_page=100"), 200, {
    authenticated: false,
  });
  assert.ok(!theirs.json.some((g) => g.id === id), "a secret gist is not listed to others");
  await call("DELETE", `/gists/${id}`, { token });
});

t("revisions: history, GET /gists/{id}/commits, GET /gists/{id}/{sha}, raw files per revision", async () => {
  const token = (await webFlowToken(emu, { scope: "gist" })).access_token;
  const created = await call("POST", "/gists", { token, body: { public: true, files: { "r.txt": { content: "one\n" } } } });
  const id = created.json.id;
  const firstRaw = created.json.files["r.txt"].raw_url;
  const edited = check(
    "PATCH",
    `/gists/${id}`,
    await call("PATCH", `/gists/${id}`, { token, body: { files: { "r.txt": { content: "two\n" } } } }),
    200,
  );
  assert.equal(edited.json.history.length, 2, "an edit of a file is a revision");
  const commits = check("GET", `/gists/${id}/commits`, await call("GET", `/gists/${id}/commits`, { token }), 200);
  assert.deepEqual(commits.json.map((c) => c.version), edited.json.history.map((h) => h.version));
  check("GET", `/gists/${id}/commits`, await call("GET", `/gists/${id}/commits`), 200, { authenticated: false });
  await checkNotModified(`/gists/${id}/commits`, commits, token);
  const paged = await call("GET", `/gists/${id}/commits?per_page=1`, { token });
  assert.ok(parseLink(paged.headers.link).next, "commits are paginated with Link");
  const oldest = commits.json[1].version;
  const then = check("GET", `/gists/${id}/${oldest}`, await call("GET", `/gists/${id}/${oldest}`, { token }), 200);
  assert.equal(then.json.files["r.txt"].content, "one\n");
  assert.equal(then.json.files["r.txt"].raw_url, firstRaw);
  const raw = await request(firstRaw, { headers: { "user-agent": USER_AGENT } });
  assert.equal(raw.text, "one\n", "a revision's raw_url keeps its content after later edits");
  check("GET", `/gists/${id}/${"0".repeat(40)}`, await call("GET", `/gists/${id}/${"0".repeat(40)}`, { token }), 404);
  check("GET", `/gists/${"f".repeat(32)}/commits`, await call("GET", `/gists/${"f".repeat(32)}/commits`, { token }), 404);
  await call("DELETE", `/gists/${id}`, { token });
});

t("forks: POST and GET /gists/{id}/forks, fork_of, forks; one's own gist is a 422", async () => {
  const created = await callShared("POST", "/gists", {
    token: hubotShared,
    body: { public: true, files: { "f.txt": { content: "fork me" } } },
  });
  const id = created.json.id;
  const own = check("POST", `/gists/${id}/forks`, await callShared("POST", `/gists/${id}/forks`, { token: hubotShared }), 422);
  assert.equal(own.json.message, "You cannot fork your own gist.");
  const forked = check("POST", `/gists/${id}/forks`, await callShared("POST", `/gists/${id}/forks`, { token: octocatShared }), 201);
  assert.equal(forked.headers.location, `${shared.api}/gists/${forked.json.id}`);
  const fork = check("GET", `/gists/${forked.json.id}`, await callShared("GET", `/gists/${forked.json.id}`, { token: octocatShared }), 200);
  assert.equal(fork.json.fork_of.id, id);
  const original = check("GET", `/gists/${id}`, await callShared("GET", `/gists/${id}`), 200, { authenticated: false });
  assert.equal(original.json.forks[0].id, forked.json.id);
  assert.equal(original.json.forks[0].user.login, "octocat");
  const list = check("GET", `/gists/${id}/forks`, await callShared("GET", `/gists/${id}/forks`), 200, { authenticated: false });
  assert.deepEqual(list.json.map((g) => g.id), [forked.json.id]);
  check("POST", `/gists/${id}/forks`, await callShared("POST", `/gists/${id}/forks`), 401, { authenticated: false });
  const none = `/gists/${"f".repeat(32)}/forks`;
  check("POST", none, await callShared("POST", none, { token: octocatShared }), 404);
  check("GET", none, await callShared("GET", none, { token: octocatShared }), 404);
});

t("comments: list, create, get, edit by the author, delete by the author or the gist's owner", async () => {
  const created = await callShared("POST", "/gists", {
    token: octocatShared,
    body: { public: false, files: { "c.txt": { content: "comment on me" } } },
  });
  const id = created.json.id;
  const path = `/gists/${id}/comments`;
  const theirs = check("POST", path, await callShared("POST", path, { token: hubotShared, body: { body: "hubot was here" } }), 201);
  assert.equal(theirs.headers.location, `${shared.api}${path}/${theirs.json.id}`);
  assert.equal(theirs.json.author_association, "NONE");
  const mine = check("POST", path, await callShared("POST", path, { token: octocatShared, body: { body: "**thanks**" } }), 201);
  assert.equal(mine.json.author_association, "OWNER");
  check("POST", path, await callShared("POST", path, { token: hubotShared, body: {} }), 422);
  const list = check("GET", path, await callShared("GET", path, { token: octocatShared }), 200);
  assert.deepEqual(list.json.map((c) => c.body), ["hubot was here", "**thanks**"]);
  check("GET", path, await callShared("GET", path), 200, { authenticated: false });
  await checkNotModifiedOn(callShared, path, list, octocatShared);
  const gist = await callShared("GET", `/gists/${id}`, { token: octocatShared });
  assert.equal(gist.json.comments, 2);

  const one = `${path}/${theirs.json.id}`;
  check("GET", one, await callShared("GET", one, { token: octocatShared }), 200);
  check("PATCH", one, await callShared("PATCH", one, { token: octocatShared, body: { body: "not yours" } }), 404);
  const edited = check("PATCH", one, await callShared("PATCH", one, { token: hubotShared, body: { body: "edited" } }), 200);
  assert.equal(edited.json.body, "edited");
  const ownersComment = `${path}/${mine.json.id}`;
  check("DELETE", ownersComment, await callShared("DELETE", ownersComment, { token: hubotShared }), 403);
  check("DELETE", one, await callShared("DELETE", one, { token: octocatShared }), 204);
  check("GET", one, await callShared("GET", one, { token: octocatShared }), 404);
  check("DELETE", one, await callShared("DELETE", one, { token: octocatShared }), 404);
  const none = `/gists/${"f".repeat(32)}/comments`;
  check("GET", none, await callShared("GET", none, { token: octocatShared }), 404);
  check("POST", none, await callShared("POST", none, { token: octocatShared, body: { body: "x" } }), 404);
});

/** checkNotModified against another emulator's client. */
async function checkNotModifiedOn(client, path, first, tok) {
  const used = async () => Number((await client("GET", "/rate_limit", { token: tok })).json.resources.core.used);
  const before = await used();
  const res = await client("GET", path, { token: tok, headers: { "if-none-match": first.headers.etag } });
  check("GET", path, res, 304);
  assert.equal(await used(), before, `a 304 on ${path} counted against the rate limit`);
}

t("every endpoint and status was validated", () => {
  const missing = REQUIRED.filter((k) => !covered.has(k));
  assert.deepEqual(missing, [], `not validated: ${missing.join("; ")}`);
});
