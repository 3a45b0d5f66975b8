// Talking to the emulator as a GitHub client would: the OAuth web flow
// (auto-approved consent) and REST calls under /api/v3.
import { createHash, randomBytes } from "node:crypto";
import { request, form, USER_AGENT } from "./http.mjs";

export const API_VERSION = "2022-11-28";
/** Any loopback port and any path is a valid callback for the default app. */
export const REDIRECT_URI = "http://127.0.0.1:9/callback";

/**
 * Runs the web flow against an emulator started with --auto-approve LOGIN and
 * returns the token endpoint's JSON answer ({access_token, token_type, scope}).
 */
export async function webFlowToken(emu, { scope = "", redirectUri = REDIRECT_URI, pkce = true } = {}) {
  const code = await authorizeCode(emu, { scope, redirectUri, pkce });
  const res = await request(`${emu.base}/login/oauth/access_token`, {
    method: "POST",
    headers: {
      accept: "application/json",
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": USER_AGENT,
    },
    body: form({
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      code: code.code,
      redirect_uri: redirectUri,
      code_verifier: code.verifier,
    }),
  });
  if (res.status !== 200 || !res.json?.access_token) {
    throw new Error(`token exchange failed: ${res.status} ${res.text.slice(0, 300)}`);
  }
  return res.json;
}

/** GET /login/oauth/authorize and follow the auto-approved redirect to the callback by hand. */
export async function authorizeCode(emu, { scope = "", redirectUri = REDIRECT_URI, pkce = true } = {}) {
  const state = randomBytes(16).toString("hex");
  const verifier = pkce ? randomBytes(32).toString("base64url") : undefined;
  const q = { client_id: emu.clientId, redirect_uri: redirectUri, scope, state };
  if (pkce) {
    q.code_challenge = createHash("sha256").update(verifier).digest("base64url");
    q.code_challenge_method = "S256";
  }
  const res = await request(`${emu.base}/login/oauth/authorize?${form(q)}`, {
    headers: { "user-agent": USER_AGENT, accept: "text/html" },
  });
  if (res.status < 300 || res.status > 399 || !res.headers.location) {
    throw new Error(
      `authorize did not redirect (is the emulator started with --auto-approve?): ${res.status} ${res.text.slice(0, 200)}`,
    );
  }
  const loc = new URL(res.headers.location, emu.base);
  const expected = new URL(redirectUri);
  if (loc.origin !== expected.origin || loc.pathname !== expected.pathname) {
    throw new Error(`authorize redirected to ${loc}, not to the callback ${redirectUri}`);
  }
  if (loc.searchParams.get("state") !== state) throw new Error(`state not echoed back: ${loc}`);
  const code = loc.searchParams.get("code");
  if (!code) throw new Error(`no code in the callback redirect: ${loc}`);
  return { code, state, verifier, location: loc };
}

/** A REST client for one emulator: `call(method, "/user", {token})` → {status, headers, json, text}. */
export function api(emu) {
  return function call(method, path, { token, scheme = "Bearer", basic, body, headers = {} } = {}) {
    const h = {
      accept: "application/vnd.github+json",
      "user-agent": USER_AGENT,
      "x-github-api-version": API_VERSION,
      ...headers,
    };
    if (token) h.authorization = `${scheme} ${token}`;
    if (basic) h.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString("base64")}`;
    return request(`${emu.api}${path}`, { method, headers: h, body });
  };
}

/** Parses a Link header into {rel: url}. */
export function parseLink(header) {
  const out = {};
  if (!header) return out;
  for (const part of header.split(",")) {
    const m = part.trim().match(/^<([^>]+)>;\s*rel="([^"]+)"$/);
    if (!m) throw new Error(`malformed Link header part: ${part}`);
    out[m[2]] = m[1];
  }
  return out;
}

/**
 * The web flow through the consent page of an emulator started without --auto-approve,
 * signing in as `login` there: the token endpoint's JSON answer. Lets one emulator
 * hand out tokens of several people (a comment by one, refused to another).
 */
export async function consentToken(emu, login, { scope = "" } = {}) {
  const state = randomBytes(16).toString("hex");
  const q = { client_id: emu.clientId, redirect_uri: REDIRECT_URI, scope, state };
  const page = await request(`${emu.base}/login/oauth/authorize?${form(q)}`, {
    headers: { "user-agent": USER_AGENT, accept: "text/html" },
  });
  if (page.status !== 200) throw new Error(`no consent page: ${page.status} ${page.text.slice(0, 200)}`);
  const hidden = (name) => page.text.match(new RegExp(`name="${name}" value="([^"]+)"`))?.[1];
  const setCookie = [].concat(page.headers["set-cookie"] ?? []).map((c) => c.split(";")[0]).join("; ");
  const answer = await request(`${emu.base}/login/oauth/authorize`, {
    method: "POST",
    headers: { "user-agent": USER_AGENT, "content-type": "application/x-www-form-urlencoded", cookie: setCookie },
    body: form({ authenticity_token: hidden("authenticity_token"), consent: hidden("consent"), login, authorize: "1" }),
  });
  const loc = answer.headers.location && new URL(answer.headers.location, emu.base);
  const code = loc?.searchParams.get("code");
  if (!code) throw new Error(`consent as ${login} gave no code: ${answer.status} ${answer.text.slice(0, 200)}`);
  const res = await request(`${emu.base}/login/oauth/access_token`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded", "user-agent": USER_AGENT },
    body: form({ client_id: emu.clientId, client_secret: emu.clientSecret, code, redirect_uri: REDIRECT_URI }),
  });
  if (!res.json?.access_token) throw new Error(`token exchange failed: ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}
