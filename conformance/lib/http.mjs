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
export function request(url, { method = "GET", headers = {}, body, timeoutMs = 15000 } = {}) {
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
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: hdrs },
      (res) => {
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
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Form-encodes an object. */
export function form(obj) {
  return new URLSearchParams(Object.entries(obj).filter(([, v]) => v !== undefined)).toString();
}
