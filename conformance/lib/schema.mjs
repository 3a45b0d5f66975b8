// Validates emulator responses against GitHub's official OpenAPI description
// (@octokit/openapi, generated/api.github.com.json). $refs are resolved by Ajv
// against the document's components; OpenAPI 3.0's `nullable` is honoured, so a
// key listed in `required` must be present even when its value may be null.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const SPEC_PATH = fileURLToPath(
  new URL("../node_modules/@octokit/openapi/generated/api.github.com.json", import.meta.url),
);
export const spec = JSON.parse(readFileSync(SPEC_PATH, "utf8"));
const SPEC_ID = "https://gistdesk.invalid/api.github.com.json";

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
for (const f of ["int32", "int64", "double", "repo.nwo", "binary", "timestamp"]) ajv.addFormat(f, true);
ajv.addSchema({ $id: SPEC_ID, components: spec.components });

/** Rewrites local refs ("#/components/...") so they point into the registered document. */
function rebase(node) {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === "object") {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `${SPEC_ID}${v}` : rebase(v);
    }
    return out;
  }
  return node;
}

function deref(obj) {
  let cur = obj;
  for (let i = 0; cur && cur.$ref && i < 10; i++) {
    const parts = cur.$ref.replace(/^#\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    cur = parts.reduce((o, p) => o?.[p], spec);
  }
  return cur;
}

const templates = Object.keys(spec.paths).map((t) => ({
  template: t,
  re: new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+").replace(/\{[^}]+\}/g, "[^/]+")}$`),
  literal: !t.includes("{"),
}));

/** "/gists/abc/star" → "/gists/{gist_id}/star" (a literal path wins over a template). */
export function openapiPath(path) {
  const p = path.split("?")[0].replace(/^\/api\/v3/, "");
  const hits = templates.filter((t) => t.re.test(p));
  hits.sort((a, b) => Number(b.literal) - Number(a.literal) || a.template.split("{").length - b.template.split("{").length);
  return hits[0]?.template;
}

/** When an operation lists no body for an error status, GitHub's common error responses apply. */
const FALLBACK = {
  400: "bad_request",
  401: "requires_authentication",
  403: "forbidden",
  404: "not_found",
  413: "too_large",
  422: "validation_failed",
};

const compiled = new Map();

/**
 * The JSON schema for method + path + status, or null when the spec documents
 * no body for it. Throws when the spec does not know the operation at all.
 * @returns {{schema: object|null, source: string}}
 */
export function responseSchema(method, path, status) {
  const template = openapiPath(path);
  if (!template) throw new Error(`no OpenAPI path matches ${path}`);
  const op = spec.paths[template][method.toLowerCase()];
  if (!op) throw new Error(`OpenAPI has no ${method.toUpperCase()} ${template}`);
  let resp = op.responses[String(status)];
  let source = `${method.toUpperCase()} ${template} ${status}`;
  if (!resp && FALLBACK[status]) {
    resp = spec.components.responses[FALLBACK[status]];
    source += ` (not listed for this operation; components/responses/${FALLBACK[status]})`;
  }
  if (!resp) throw new Error(`OpenAPI documents no ${status} for ${method.toUpperCase()} ${template}`);
  resp = deref(resp);
  const schema = resp.content?.["application/json"]?.schema ?? null;
  return { schema, source };
}

/**
 * Validates a response ({status, json, text}) for method + path. Returns a list
 * of problems (empty when it conforms).
 */
export function validate(method, path, res) {
  const { schema, source } = responseSchema(method, path, res.status);
  if (schema === null) {
    if (res.text.length > 0 && res.status !== 404) {
      return [`${source}: the spec documents no body, the emulator sent ${res.text.slice(0, 120)}`];
    }
    return [];
  }
  if (res.json === undefined) return [`${source}: expected a JSON body, got ${JSON.stringify(res.text.slice(0, 120))}`];
  let fn = compiled.get(source);
  if (!fn) {
    fn = ajv.compile(rebase(schema));
    compiled.set(source, fn);
  }
  if (fn(res.json)) return [];
  return fn.errors.slice(0, 20).map((e) => `${source}: ${e.instancePath || "(root)"} ${e.message}${e.params?.missingProperty ? "" : ` ${JSON.stringify(e.params)}`}`);
}

/** Property names a schema (following $ref/allOf/oneOf/anyOf) declares. */
export function declaredProperties(schemaOrRef) {
  const names = new Set();
  const walk = (s, depth) => {
    s = deref(s);
    if (!s || depth > 8) return;
    for (const k of Object.keys(s.properties ?? {})) names.add(k);
    for (const key of ["allOf", "oneOf", "anyOf"]) for (const sub of s[key] ?? []) walk(sub, depth + 1);
  };
  walk(typeof schemaOrRef === "string" ? { $ref: `#/components/schemas/${schemaOrRef}` } : schemaOrRef, 0);
  return names;
}
