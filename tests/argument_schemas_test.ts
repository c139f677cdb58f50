/**
 * Executors' `argumentsSchema`s as plugin authors write them: an `$id` that two schemas share,
 * and the words of a failed check for a limit the built-in types never set.
 */

import assert from "node:assert/strict";
import { createDefaultRegistry, run } from "../src/run.ts";
import { TaskFileError } from "../src/errors.ts";
import type { Executor } from "../src/types.ts";
import { runCli } from "./helpers.ts";

async function directoryWith(files: Record<string, string>): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-argument-schemas-" });
  for (const [path, content] of Object.entries(files)) {
    await Deno.writeTextFile(`${directory}/${path}`, content);
  }
  return directory;
}

/** A plugin module of `type` whose schema has the `$id` every copy of a template would have. */
function pluginWithId(type: string, valueType: string): string {
  return `export default {
  type: ${JSON.stringify(type)},
  argumentsSchema: { $id: "https://example.com/arguments.schema.json", type: ${
    JSON.stringify(valueType)
  } },
  run: () => Promise.resolve({ ok: true }),
};
`;
}

Deno.test("two plugins whose argument schemas share an $id both load and check their own tasks", async () => {
  const cwd = await directoryWith({
    "one.ts": pluginWithId("one", "string"),
    "two.ts": pluginWithId("two", "number"),
    "good.json": JSON.stringify({
      tasks: [
        { name: "a", type: "one", arguments: "text" },
        { name: "b", type: "two", arguments: 2 },
      ],
    }),
    "bad.json": JSON.stringify({ tasks: [{ name: "b", type: "two", arguments: "2" }] }),
  });
  const plugins = ["--executor", "./one.ts", "--executor", "./two.ts"];
  const good = await runCli([...plugins, "good.json", "-q"], { cwd });
  assert.equal(good.stderr, "");
  assert.equal(good.code, 0);
  const bad = await runCli([...plugins, "bad.json", "-q"], { cwd });
  assert.equal(
    bad.stderr,
    'dagrun: bad.json:1:48: task "b": "arguments" must be a number, not a string ("2")\n',
  );
  assert.equal(bad.code, 2);
});

Deno.test("run() twice with a fresh executor whose schema has an $id checks its tasks both times", async () => {
  // A library's factory makes a new executor (and schema object) for each run.
  const makeExecutor = (): Executor => ({
    type: "deploy",
    argumentsSchema: {
      $id: "https://example.com/deploy.schema.json",
      type: "object",
      required: ["target"],
    },
    run: () => Promise.resolve({ ok: true }),
  });
  for (let attempt = 1; attempt <= 2; attempt++) {
    const registry = createDefaultRegistry().register(makeExecutor());
    const report = await run([{ name: "d", type: "deploy", arguments: { target: "eu" } }], {
      registry,
    });
    assert.equal(report.ok, true, `run ${attempt}`);
    await assert.rejects(
      run([{ name: "d", type: "deploy", arguments: {} }], { registry }),
      (error) =>
        error instanceof TaskFileError &&
        error.message.endsWith('task "d": "arguments" is missing required field "target"'),
      `run ${attempt}`,
    );
  }
});

Deno.test("a minLength above 1 is worded with its limit, not as 'must not be empty'", async () => {
  const registry = createDefaultRegistry().register({
    type: "tag",
    argumentsSchema: {
      type: "object",
      properties: {
        name: { type: "string", minLength: 3 },
        note: { type: "string", minLength: 1 },
      },
    },
    run: () => Promise.resolve({ ok: true }),
  });
  const failure = async (args: Record<string, unknown>) => {
    try {
      await run([{ name: "t", type: "tag", arguments: args }], { registry });
    } catch (error) {
      return (error as Error).message.replace(/^.*task "t": /, "");
    }
    return "no error";
  };
  assert.equal(
    await failure({ name: "ab" }),
    '"arguments.name" must be at least 3 characters long, not "ab"',
  );
  assert.equal(
    await failure({ name: "" }),
    '"arguments.name" must be at least 3 characters long, not ""',
  );
  assert.equal(await failure({ note: "" }), '"arguments.note" must not be empty');
  assert.equal(await failure({ name: "abc", note: "x" }), "no error");
});
