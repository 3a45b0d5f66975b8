// Starts `gistdesk emulator` as a child process on port 0 and reads its base URL
// and the default OAuth app's credentials from the first lines it prints.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";

export function gistdeskBin() {
  const bin = process.env.GISTDESK_BIN;
  if (!bin) throw new Error("GISTDESK_BIN is not set: point it at the gistdesk binary (cargo build --release -p gistdesk)");
  if (!existsSync(bin)) throw new Error(`GISTDESK_BIN=${bin} does not exist`);
  return bin;
}

/**
 * @param {string[]} args extra flags for `gistdesk emulator`
 * @returns {Promise<{base: string, api: string, clientId: string, clientSecret: string, vars: Record<string,string>, output: string[], stop: () => Promise<void>}>}
 *   base: "http://127.0.0.1:PORT" (no trailing slash), api: base + "/api/v3"
 */
export async function startEmulator(args = []) {
  const bin = gistdeskBin();
  const child = spawn(bin, ["emulator", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  const output = [];
  const stderr = [];
  child.stderr.on("data", (c) => {
    stderr.push(String(c));
    if (stderr.length > 200) stderr.shift();
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  };
  const found = {};
  /** every `key=value` line the emulator printed (api_url, github_app_client_id, ...) */
  const vars = {};
  const rl = createInterface({ input: child.stdout });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`emulator printed no base URL and credentials within 20 s; stdout: ${output.join("\n")}; stderr: ${stderr.join("")}`)),
        20000,
      );
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`emulator exited early (code ${code}, signal ${signal}); stdout: ${output.join("\n")}; stderr: ${stderr.join("")}`));
      });
      rl.on("line", (line) => {
        output.push(line);
        const kv = line.match(/^([a-z_]+)=(\S+)$/);
        if (kv) vars[kv[1]] ??= kv[2];
        const url = line.match(/(https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+)/);
        if (url && !found.base) found.base = url[1];
        const id = line.match(/(?:^|\s)client_id=([^\s,;]+)/);
        if (id && !found.clientId) found.clientId = id[1];
        const secret = line.match(/(?:^|\s)client_secret=([^\s,;]+)/);
        if (secret && !found.clientSecret) found.clientSecret = secret[1];
        if (found.base && found.clientId && found.clientSecret) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  // keep draining stdout so the child never blocks on a full pipe
  rl.on("line", (line) => {
    output.push(line);
    if (output.length > 500) output.shift();
  });
  // the remaining key=value lines follow the credentials at once; give them a moment
  await new Promise((r) => setTimeout(r, 50));
  return { ...found, api: `${found.base}/api/v3`, vars, output, stop };
}
