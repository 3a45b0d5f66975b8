// The emulator's GraphQL schema, read by introspection, against GitHub's published one
// (@octokit/graphql-schema, schema.json): every type it serves exists in GitHub's with the
// same kind, and every field and argument it serves exists there with the same type.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startEmulator } from "./lib/emulator.mjs";

// The package exports no path to the file; it sits in node_modules after `npm ci`.
const schemaFile = fileURLToPath(new URL("./node_modules/@octokit/graphql-schema/schema.json", import.meta.url));
const github = JSON.parse(readFileSync(schemaFile, "utf8"));
const githubTypes = new Map((github.data?.__schema ?? github.__schema).types.map((t) => [t.name, t]));

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
const INTROSPECTION = `{ __schema { queryType { name } types { kind name interfaces { name }
  fields(includeDeprecated: true) { name args { name type { ${TYPE_REF} } } type { ${TYPE_REF} } }
  inputFields { name type { ${TYPE_REF} } }
  enumValues(includeDeprecated: true) { name } } } }`;

const show = (t) => (t.kind === "NON_NULL" ? `${show(t.ofType)}!` : t.kind === "LIST" ? `[${show(t.ofType)}]` : t.name);

test("every type, field and argument the emulator serves is GitHub's", async () => {
  const emu2 = await startEmulator(["--control", "127.0.0.1:0"]);
  try {
    const control = emu2.vars.control_url;
    assert.ok(control, `no control_url in ${emu2.output.join("\n")}`);
    const { token } = await (await fetch(`${control}tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "octocat", scopes: ["gist"] }),
    })).json();
    const res = await fetch(`${emu2.base}/api/graphql`, {
      method: "POST",
      headers: { authorization: `bearer ${token}`, "content-type": "application/json", "user-agent": "conformance" },
      body: JSON.stringify({ query: INTROSPECTION }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const schema = body.data.__schema;
    assert.equal(schema.queryType.name, "Query");
    const checked = [];
    for (const t of schema.types) {
      if (t.name.startsWith("__") || ["String", "Int", "Boolean", "ID", "Float"].includes(t.name)) continue;
      const theirs = githubTypes.get(t.name);
      assert.ok(theirs, `GitHub has no type ${t.name}`);
      assert.equal(t.kind, theirs.kind, `${t.name} is a ${theirs.kind} on GitHub`);
      for (const i of t.interfaces ?? []) {
        assert.ok(theirs.interfaces?.some((x) => x.name === i.name), `GitHub's ${t.name} does not implement ${i.name}`);
      }
      for (const f of t.fields ?? []) {
        const g = theirs.fields?.find((x) => x.name === f.name);
        assert.ok(g, `GitHub's ${t.name} has no field ${f.name}`);
        assert.equal(show(f.type), show(g.type), `${t.name}.${f.name}`);
        for (const a of f.args) {
          const ga = g.args.find((x) => x.name === a.name);
          assert.ok(ga, `GitHub's ${t.name}.${f.name} has no argument ${a.name}`);
          assert.equal(show(a.type), show(ga.type), `${t.name}.${f.name}(${a.name}:)`);
        }
        checked.push(`${t.name}.${f.name}`);
      }
      for (const f of t.inputFields ?? []) {
        const g = theirs.inputFields?.find((x) => x.name === f.name);
        assert.ok(g, `GitHub's ${t.name} has no input field ${f.name}`);
        assert.equal(show(f.type), show(g.type), `${t.name}.${f.name}`);
      }
      for (const v of t.enumValues ?? []) {
        assert.ok(theirs.enumValues.some((x) => x.name === v.name), `GitHub's ${t.name} has no value ${v.name}`);
      }
    }
    // The fields the issue names are among those checked.
    for (const f of ["Query.viewer", "Query.user", "Query.rateLimit", "User.gists", "GistConnection.pageInfo",
      "GistConnection.totalCount", "Gist.stargazerCount", "GistFile.text", "GistFile.encodedName", "Gist.owner",
      "Query.node", "Query.nodes", "Gist.isFork", "Node.id"]) {
      assert.ok(checked.includes(f), `${f} is not served`);
    }
  } finally {
    await emu2.stop();
  }
});
