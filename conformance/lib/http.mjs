// Minimal HTTP client on node:http, so that every request header (or its
// absence, e.g. no User-Agent) is under the test's control and redirects are
// never followed.
import http from "node:http";

export const USER_AGENT = "gistdesk-conformance";

/**
 * @param {string | URL} url
 * @param {{method?: string, headers?: Record<string,string|undefined>, body?: string | Buffer | object, timeoutMs?: number}} [opts]
 * @returns {Promise<{status: number, headers: Record<string,string>, text: string, json: any}>}
 */
export function request(url, { method = "GET", headers = {}, body, timeoutMs = 15000, expectContinue = false } = {}) {
  const u = new URL(url);
  const hdrs = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) hdrs[k.toLowerCase()] = v;
  let payload;
  if (body !== undefined) {
    if (typeof body === "string" || Buffer.isBuffer(body)) payload = body;
    else {
      payload = JSON.stringify(body);
      hdrs["content-type"] ??= "application/json";
    }
    hdrs["content-length"] = Buffer.byteLength(payload);
    // a server may refuse a body by its announced size (413) without reading it
    if (expectContinue) hdrs.expect = "100-continue";
  }
  return new Promise((resolve, reject) => {
    let gotResponse = false;
    const req = http.request(
      // a fresh connection per request: no request is affected by how the previous one ended
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: hdrs, agent: false },
      (res) => {
        gotResponse = true;
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json;
          if (text.length > 0 && /json/.test(res.headers["content-type"] ?? "")) {
            try {
              json = JSON.parse(text);
            } catch (e) {
              reject(new Error(`${method} ${url}: invalid JSON body (${e.message}): ${text.slice(0, 200)}`));
              return;
            }
          }
          const flat = {};
          for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(", ") : String(v);
          resolve({ status: res.statusCode ?? 0, headers: flat, text, json });
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    // a server that answered (e.g. 413) and closed while the body was still being sent:
    // the answer counts, the failed write does not
    req.on("error", (e) => {
      if (!gotResponse || !["EPIPE", "ECONNRESET"].includes(e.code)) reject(e);
    });
    if (payload !== undefined && expectContinue) {
      req.on("continue", () => req.end(payload));
    } else {
      if (payload !== undefined) req.write(payload);
      req.end();
    }
  });
}

/** Form-encodes an object. */
export function form(obj) {
  return new URLSearchParams(Object.entries(obj).filter(([, v]) => v !== undefined)).toString();
}
