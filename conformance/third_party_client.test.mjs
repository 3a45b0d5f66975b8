// A client nobody here wrote, used as its authors document it, pointed at the
// emulator as at a GitHub Enterprise Server: @octokit/oauth-methods for the web
// flow and token management, @octokit/rest for the REST API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request as octokitRequest } from "@octokit/request";
import { Octokit } from "@octokit/rest";
import {
  getWebFlowAuthorizationUrl,
  exchangeWebFlowCode,
  checkToken,
  resetToken,
  deleteToken,
  deleteAuthorization,
  refreshToken,
} from "@octokit/oauth-methods";
import { startEmulator } from "./lib/emulator.mjs";

const REDIRECT = "http://127.0.0.1:9/auth/callback";
const UA = "gistdesk-conformance-octokit";

let emu;
let request;

before(async () => {
  emu = await startEmulator(["--auto-approve", "octocat"]);
  request = octokitRequest.defaults({ baseUrl: emu.api, headers: { "user-agent": UA } });
});
after(async () => emu?.stop());

/** Opens the authorize URL as a browser would and follows the auto-approved redirect by hand. */
async function consent(url, state, redirect = REDIRECT) {
  const res = await fetch(url, { redirect: "manual", headers: { "user-agent": UA } });
  assert.ok([302, 303].includes(res.status), `authorize answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const loc = new URL(res.headers.get("location"));
  if (redirect) assert.equal(`${loc.origin}${loc.pathname}`, redirect);
  assert.equal(loc.searchParams.get("state"), state);
  const code = loc.searchParams.get("code");
  assert.ok(code, `no code in ${loc}`);
  return code;
}

async function signIn(scopes) {
  const state = randomBytes(16).toString("hex");
  const { url } = getWebFlowAuthorizationUrl({
    clientType: "oauth-app",
    clientId: emu.clientId,
    redirectUrl: REDIRECT,
    scopes,
    state,
    request,
  });
  assert.ok(url.startsWith(`${emu.base}/login/oauth/authorize?`), url);
  const code = await consent(url, state);
  const { authentication } = await exchangeWebFlowCode({
    clientType: "oauth-app",
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    code,
    redirectUrl: REDIRECT,
    request,
  });
  return authentication;
}

function octokitFor(token) {
  return new Octokit({ auth: token, baseUrl: emu.api, userAgent: UA });
}

test("@octokit/oauth-methods web flow, then @octokit/rest: user, paginated gists, gist lifecycle", async () => {
  const auth = await signIn(["gist", "read:user"]);
  assert.match(auth.token, /^gho_/);
  const octokit = octokitFor(auth.token);

  const { data: me } = await octokit.rest.users.getAuthenticated();
  assert.equal(me.login, "octocat");
  assert.equal(me.id, 583231);

  const all = await octokit.paginate(octokit.rest.gists.list, { per_page: 30 });
  assert.ok(all.length >= 75, `paginate followed Link to the end: ${all.length} gists`);
  assert.equal(new Set(all.map((g) => g.id)).size, all.length, "no gist twice across pages");

  const { data: created } = await octokit.rest.gists.create({
    description: "from octokit",
    public: false,
    files: { "notes.md": { content: "# Notes\n" } },
  });
  assert.equal(created.files["notes.md"].content, "# Notes\n");
  const { data: updated } = await octokit.rest.gists.update({
    gist_id: created.id,
    description: "from octokit, edited",
    files: { "notes.md": { content: "# Notes\n\nmore\n" }, "extra.txt": { content: "x" } },
  });
  assert.equal(updated.description, "from octokit, edited");
  assert.deepEqual(Object.keys(updated.files).sort(), ["extra.txt", "notes.md"]);

  await octokit.rest.gists.star({ gist_id: created.id });
  const starred = await octokit.rest.gists.checkIsStarred({ gist_id: created.id });
  assert.equal(starred.status, 204);
  const starredList = await octokit.paginate(octokit.rest.gists.listStarred, { per_page: 100 });
  assert.ok(starredList.some((g) => g.id === created.id));
  await octokit.rest.gists.unstar({ gist_id: created.id });
  await assert.rejects(octokit.rest.gists.checkIsStarred({ gist_id: created.id }), (e) => e.status === 404);

  await octokit.rest.gists.delete({ gist_id: created.id });
  await assert.rejects(octokit.rest.gists.get({ gist_id: created.id }), (e) => e.status === 404);

  const { data: mine } = await octokit.rest.gists.listForUser({ username: "octocat", per_page: 5 });
  assert.equal(mine.length, 5);
  const limits = await octokit.rest.rateLimit.get();
  assert.equal(limits.data.resources.core.limit, 5000);
});

test("@octokit/oauth-methods token management: checkToken, resetToken, deleteToken, deleteAuthorization", async () => {
  const auth = await signIn(["gist"]);
  const app = { clientType: "oauth-app", clientId: emu.clientId, clientSecret: emu.clientSecret, request };

  const checked = await checkToken({ ...app, token: auth.token });
  assert.equal(checked.data.user.login, "octocat");
  assert.deepEqual(checked.authentication.scopes, ["gist"]);

  const reset = await resetToken({ ...app, token: auth.token });
  const fresh = reset.authentication.token;
  assert.notEqual(fresh, auth.token);
  await assert.rejects(octokitFor(auth.token).rest.users.getAuthenticated(), (e) => e.status === 401);
  assert.equal((await octokitFor(fresh).rest.users.getAuthenticated()).data.login, "octocat");

  await deleteToken({ ...app, token: fresh });
  await assert.rejects(octokitFor(fresh).rest.users.getAuthenticated(), (e) => e.status === 401);

  const again = await signIn(["gist"]);
  await deleteAuthorization({ ...app, token: again.token });
  await assert.rejects(octokitFor(again.token).rest.users.getAuthenticated(), (e) => e.status === 401);
});

test("@octokit/oauth-methods with the built-in GitHub App: expiring ghu_ token, refreshToken", async () => {
  const clientId = emu.vars.github_app_client_id;
  const clientSecret = emu.vars.github_app_client_secret;
  assert.ok(clientId && clientSecret, `the emulator prints github_app_client_id/secret: ${emu.output.join(" | ")}`);
  const state = randomBytes(16).toString("hex");
  const { url } = getWebFlowAuthorizationUrl({ clientType: "github-app", clientId, state, request });
  const code = await consent(url, state, null);
  const { authentication } = await exchangeWebFlowCode({ clientType: "github-app", clientId, clientSecret, code, request });
  assert.match(authentication.token, /^ghu_/);
  assert.match(authentication.refreshToken, /^ghr_/);
  assert.ok(Date.parse(authentication.expiresAt) > Date.now(), `expiresAt ${authentication.expiresAt}`);
  assert.ok(Date.parse(authentication.refreshTokenExpiresAt) > Date.parse(authentication.expiresAt));

  const refreshed = await refreshToken({ clientType: "github-app", clientId, clientSecret, refreshToken: authentication.refreshToken, request });
  assert.match(refreshed.authentication.token, /^ghu_/);
  assert.notEqual(refreshed.authentication.token, authentication.token);
  assert.equal((await octokitFor(refreshed.authentication.token).rest.users.getAuthenticated()).data.login, "octocat");
  await assert.rejects(
    refreshToken({ clientType: "github-app", clientId, clientSecret, refreshToken: authentication.refreshToken, request }),
    (e) => /bad_refresh_token/.test(e.message),
    "a refresh token is single-use",
  );
});
