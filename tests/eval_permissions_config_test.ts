/**
 * Which `deno.json` dagrun reads to tell whether Deno's `--unstable-worker-options` is on: the
 * one Deno reads, found from the main module's directory (not the working directory's) up to
 * the nearest `deno.json`, `deno.jsonc` or `package.json`, or the workspace that lists it; and
 * none for a main module run by URL. Believing the flag on when Deno does not would end the
 * process at the first sandboxed worker with Deno's exit code 70.
 *
 * Each test lays out real directories, puts a small main module among them that starts the
 * command line, and runs it with a real `deno run`.
 */

import assert from "node:assert/strict";
import { serveFiles } from "./plugin_helpers.ts";
import { ROOT, writeTaskFile } from "./helpers.ts";

const ON = JSON.stringify({ unstable: ["worker-options"] });
const HINT = "dagrun: Cannot restrict eval permissions: Deno needs the --unstable-worker-options";

/** Writes `files` (path → content) under a fresh directory; returns the directory. */
async function layout(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "dagrun-config-" });
  for (const [path, content] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
  return root;
}

/** A main module that starts dagrun's command line, as `mod.ts` does. */
const MAIN = `import { runCommandLine } from "${new URL("src/bin.ts", ROOT).href}";\n` +
  "await runCommandLine(Deno.args);\n";

/**
 * Runs `deno run -A MAIN tasks --eval-permissions none` with no flag of its own (but
 * `denoFlags`).
 */
async function sandboxed(main: string, cwd: string, denoFlags: string[] = []) {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "eval", arguments: "1" }] });
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", ...denoFlags, main, file, "--eval-permissions", "none", "-q"],
    cwd,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("a deno.json farther up than the nearest one does not turn the flag on", async () => {
  const root = await layout({ "deno.json": ON, "app/deno.json": "{}", "app/main.ts": MAIN });
  const result = await sandboxed(`${root}/app/main.ts`, `${root}/app`);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`^${HINT}`));
});

Deno.test("a package.json is as near a configuration as a deno.json", async () => {
  const root = await layout({ "deno.json": ON, "app/package.json": "{}", "app/main.ts": MAIN });
  // With a package.json, npm packages come from a node_modules directory: let Deno make one.
  const result = await sandboxed(`${root}/app/main.ts`, `${root}/app`, ["--node-modules-dir=auto"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`^${HINT}`));
});

Deno.test("the nearest deno.json turning the flag on is enough", async () => {
  const root = await layout({ "deno.json": "{}", "app/deno.jsonc": ON, "app/main.ts": MAIN });
  const result = await sandboxed(`${root}/app/main.ts`, root);
  assert.equal(result.code, 0, result.stderr);
});

Deno.test("the working directory's deno.json is not the main module's", async () => {
  const root = await layout({ "here/deno.json": ON, "app/main.ts": MAIN });
  const result = await sandboxed(`${root}/app/main.ts`, `${root}/here`);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`^${HINT}`));
});

Deno.test("a workspace's flag holds for its members", async () => {
  const root = await layout({
    "deno.json": JSON.stringify({ workspace: ["./packages/*"], unstable: ["worker-options"] }),
    "packages/app/deno.json": "{}",
    "packages/app/main.ts": MAIN,
  });
  const result = await sandboxed(`${root}/packages/app/main.ts`, root);
  assert.equal(result.code, 0, result.stderr);
});

Deno.test("a member's own flag does not count in a workspace", async () => {
  const root = await layout({
    "deno.json": JSON.stringify({ workspace: ["./app"] }),
    "app/deno.json": ON,
    "app/main.ts": MAIN,
  });
  const result = await sandboxed(`${root}/app/main.ts`, root);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`^${HINT}`));
});

Deno.test("run by URL, no deno.json counts, not even the working directory's", async () => {
  await using server = serveFiles(new URL(".", ROOT).pathname);
  const here = await layout({ "deno.json": ON });
  const result = await sandboxed(`${server.origin}/mod.ts`, here);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`^${HINT}`));
});

Deno.test("dagrun's own arguments spelled like Deno's flags are not taken for them", async () => {
  const root = await layout({ "app/deno.json": "{}", "app/main.ts": MAIN });
  // A task named like the flag, and asked for by name: an argument of the program, not Deno's.
  const file = await writeTaskFile({
    tasks: [{ name: "--unstable-worker-options", type: "eval", arguments: "1" }],
  });
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      `${root}/app/main.ts`,
      file,
      "--eval-permissions",
      "none",
      "-q",
      "--",
      "--unstable-worker-options",
    ],
    cwd: `${root}/app`,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 2, stderr);
  assert.match(stderr, new RegExp(`^${HINT}`));
});
