import assert from "node:assert/strict";
import { createDenoExecutor, denoArgs } from "../executors/deno.ts";
import type { TaskSpec } from "../src/types.ts";
import { testContext } from "./plugin_helpers.ts";

const deno = createDenoExecutor({ graceMs: 500 });

function task(args: unknown): TaskSpec {
  return { name: "script", type: "deno", arguments: args, dependencies: [] };
}

async function scriptDir(files: Record<string, string>): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-deno-" });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${directory}/${name}`, text);
  }
  return directory;
}

Deno.test("denoArgs() turns permissions into --allow flags and resolves the file", () => {
  assert.deepEqual(
    denoArgs({ file: "x.ts", permissions: ["read", "net=127.0.0.1", "all"], args: ["-v"] }, "/w"),
    ["run", "--no-prompt", "--allow-read", "--allow-net=127.0.0.1", "--allow-all", "/w/x.ts", "-v"],
  );
});

Deno.test("deno runs a TypeScript file relative to the task file with the permissions granted", async () => {
  const baseDir = await scriptDir({
    "read.ts": "const text: string = await Deno.readTextFile(Deno.args[0]!);\n" +
      "console.log(text.trim());\nconsole.error('to stderr');\n",
    "data.txt": "hello from a file\n",
  });
  const { context, lines } = testContext({ baseDir, cwd: baseDir });
  const result = await deno.run(
    task({ file: "read.ts", permissions: [`read=${baseDir}`], args: ["data.txt"] }),
    context,
  );
  assert.deepEqual(result, { ok: true, exitCode: 0 });
  // The two streams are read concurrently, so only each stream's own order is defined.
  const sorted = lines.toSorted((x, y) => x.stream.localeCompare(y.stream));
  assert.deepEqual(sorted, [
    { stream: "stderr", text: "to stderr" },
    { stream: "stdout", text: "hello from a file" },
  ]);
});

Deno.test("deno fails a task whose script needs a permission it was not given", async () => {
  const baseDir = await scriptDir({ "env.ts": "console.log(Deno.env.get('HOME'));\n" });
  const { context, lines } = testContext({ baseDir });
  const result = await deno.run(task({ file: "env.ts", permissions: ["read"] }), context);
  assert.equal(result.ok, false);
  assert.equal(result.exitCode, 1);
  assert.ok(
    lines.some((line) =>
      line.stream === "stderr" && /NotCapable|Requires env access/.test(line.text)
    ),
    JSON.stringify(lines),
  );
});

Deno.test("deno passes the task's env and cwd to the script", async () => {
  const baseDir = await scriptDir({
    "where.ts": "console.log(Deno.cwd(), Deno.env.get('GREETING'));\n",
  });
  const cwd = await Deno.makeTempDir();
  const { context, lines } = testContext({ baseDir, cwd, env: { GREETING: "hi" } });
  const result = await deno.run(
    task({ file: "where.ts", permissions: ["read", "env=GREETING"] }),
    context,
  );
  assert.equal(result.ok, true);
  assert.deepEqual(lines, [{ stream: "stdout", text: `${await Deno.realPath(cwd)} hi` }]);
});

Deno.test("deno stops a running script when the task is aborted", async () => {
  const baseDir = await scriptDir({
    "forever.ts": "console.log('started');\nsetInterval(() => {}, 1000);\n",
  });
  const controller = new AbortController();
  const { context, lines } = testContext({
    baseDir,
    signal: controller.signal,
    output: (_stream, text) => {
      lines.push({ stream: "stdout", text });
      if (text === "started") controller.abort("interrupted");
    },
  });
  const result = await deno.run(task({ file: "forever.ts" }), context);
  assert.equal(result.ok, false);
  assert.equal(result.signal, "SIGTERM");
});

Deno.test("deno that cannot be started says why as every OS error is worded", async () => {
  const baseDir = await scriptDir({ "x.ts": "" });
  try {
    const { context } = testContext({ baseDir, cwd: baseDir });
    const missing = createDenoExecutor({ deno: `${baseDir}/no-deno` });
    const result = await missing.run(task({ file: "x.ts" }), context);
    // Not Deno's "Failed to spawn '…': No such file or directory (os error 2)", which names
    // the program a second time.
    assert.deepEqual(result, {
      ok: false,
      error: `cannot start ${baseDir}/no-deno: no such file or directory`,
    });
  } finally {
    await Deno.remove(baseDir, { recursive: true });
  }
});
