/**
 * The single binary: `deno task compile` must produce a `dagrun` that runs exec and eval
 * tasks (the eval worker is embedded) and loads a plugin from a path at run time.
 *
 * Compiling needs Deno's runtime for binaries, `denort`: `DENORT_BIN` naming it, or the copy
 * `deno compile` downloads once into Deno's cache. Where neither is present (a machine
 * without access to Deno's download server), the test is reported as ignored, never passed.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };
import { runCommand } from "./plugin_helpers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Where `deno compile` will find denort, or `undefined` when it would have to download it. */
async function findCompileRuntime(): Promise<string | undefined> {
  const explicit = Deno.env.get("DENORT_BIN");
  if (explicit) return await isFile(explicit) ? explicit : undefined;
  const info = await runCommand(Deno.execPath(), ["info", "--json"]);
  if (info.code !== 0) return undefined;
  const denoDir: string = JSON.parse(info.stdout).denoDir;
  const cached = `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return await isFile(cached) ? cached : undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** `deno task compile`'s own command line, writing the binary to `output` instead. */
export function compileArgs(task: string, output: string): string[] {
  const words = task.trim().split(/\s+/);
  assert.equal(words.shift(), "deno", `the compile task must run deno: ${task}`);
  const at = words.indexOf("--output");
  assert.ok(at !== -1 && at + 1 < words.length, `the compile task must name --output: ${task}`);
  words[at + 1] = output;
  return words;
}

const runtime = await findCompileRuntime();

Deno.test("compileArgs() keeps the compile task's flags and includes the eval worker", () => {
  const args = compileArgs(denoJson.tasks.compile, "/tmp/x/dagrun");
  assert.equal(args[0], "compile");
  assert.ok(args.includes("--include") && args.includes("executors/eval_worker.ts"));
  assert.equal(args[args.indexOf("--output") + 1], "/tmp/x/dagrun");
  assert.equal(args.at(-1), "mod.ts");
});

Deno.test({
  name: "deno task compile builds a dagrun that runs exec, eval and a plugin from a path",
  ignore: runtime === undefined,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "dagrun-compile-" });
    const binary = `${directory}/dagrun`;
    const env: Record<string, string> = runtime?.endsWith(".zip") ? {} : { DENORT_BIN: runtime! };
    const built = await runCommand(
      Deno.execPath(),
      compileArgs(denoJson.tasks.compile, binary),
      { cwd: ROOT, env },
    );
    assert.equal(built.code, 0, built.stderr);

    // A TypeScript plugin the binary has never seen, loaded from disk at run time.
    await Deno.writeTextFile(
      `${directory}/shout.ts`,
      `const shout: { type: string; run: Function } = {
  type: "shout",
  run(task: { arguments: string }, context: { output(s: string, t: string): void }) {
    context.output("stdout", task.arguments.toUpperCase());
    return Promise.resolve({ ok: true });
  },
};
export default shout;
`,
    );
    await Deno.writeTextFile(
      `${directory}/tasks.json`,
      JSON.stringify({
        tasks: [
          { name: "exec", type: "exec", arguments: "echo from sh" },
          { name: "eval", type: "eval", arguments: "const n: number = 6; console.log(n * 7)" },
          { name: "loud", type: "shout", arguments: "quiet", dependencies: ["exec", "eval"] },
        ],
      }),
    );
    const result = await runCommand(binary, ["--executor", "shout.ts", "tasks.json"], {
      cwd: directory,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\[exec\] from sh$/m);
    assert.match(result.stdout, /^\[eval\] 42$/m);
    assert.match(result.stdout, /^\[loud\] QUIET$/m);

    const version = await runCommand(binary, ["--version"]);
    assert.equal(version.stdout.trim(), denoJson.version);
  },
});
