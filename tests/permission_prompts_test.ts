/**
 * A run allowed less than -A (`--allow-read=tasks.json`) asks nothing on a terminal: Deno
 * prompts for a permission not granted when standard input and error are terminals, and the
 * run would wait on the prompt. What dagrun reads of its own accord is queried first.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { writeTaskFile } from "./helpers.ts";
import {
  allowedToReadOnly,
  assertAskedNothing,
  dagrunOnTerminal,
  denoCommandLine,
  hasTerminal,
  onTerminal,
  runAllowed,
} from "./terminal_helpers.ts";

Deno.test({
  name: "a run allowed to read its task file alone asks for no permission on a terminal",
  ignore: !hasTerminal,
  async fn(t) {
    const tasks = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
    const directory = dirname(tasks);
    const allowed = allowedToReadOnly(tasks);
    // Nor the environment: TERM (is the terminal dumb?) and NO_COLOR, looked at for the
    // terminal's status line and colours.
    const withoutEnv = { ...allowed, whole: allowed.whole.filter((name) => name !== "env") };
    try {
      await t.step("without the environment", async () => {
        const { code, output } = await dagrunOnTerminal(withoutEnv, tasks, "--no-history");
        assertAskedNothing(output);
        assert.equal(code, 0, output);
        assert.match(output, /1 task: 1 ok/);
      });
      // /proc/self/status, for the signals ignored at start.
      await t.step("without a history", async () => {
        const { code, output } = await dagrunOnTerminal(allowed, tasks, "--no-history");
        assertAskedNothing(output);
        assert.equal(code, 0, output);
        assert.match(output, /1 task: 1 ok/);
      });
      // And the history's path, for the start order and beside the reports.
      await t.step("with a history it may not read", async () => {
        const { code, output } = await dagrunOnTerminal(allowed, tasks);
        assertAskedNothing(output);
        assert.equal(code, 0, output);
        assert.match(output, /task durations not recorded in .*: no permission to read and write/);
      });
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

/**
 * Runs a task file of `task` alone as {@linkcode allowedToReadOnly} allows, without a history, on a
 * terminal ({@linkcode dagrunOnTerminal}); `directory` is the task file's (removed by then).
 */
async function runTaskOnTerminal(
  task: Record<string, unknown>,
): Promise<{ code: number; output: string; directory: string }> {
  const tasks = await writeTaskFile({ tasks: [task] });
  const directory = dirname(tasks);
  try {
    return {
      ...await dagrunOnTerminal(allowedToReadOnly(tasks), tasks, "--no-history"),
      directory,
    };
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
}

Deno.test({
  name: "a task whose command is not found asks for no permission on a terminal",
  ignore: !hasTerminal,
  async fn() {
    // Before the shell is left to say so, its working directory (the task file's, which the
    // run may not read) and the PATH entries (for a `#!` naming a missing interpreter) are
    // looked at.
    const { code, output } = await runTaskOnTerminal(
      { name: "a", type: "exec", arguments: "dagrun-no-such-command" },
    );
    assertAskedNothing(output);
    assert.equal(code, 1, output);
    assert.match(output, /dagrun-no-such-command: (command )?not found/);
  },
});

Deno.test({
  name: "a task whose directory is gone is told so when dagrun may not look at it",
  ignore: !hasTerminal,
  async fn() {
    // Checked neither at load nor at the spawn by dagrun (no read permission for it): the
    // spawn's own check says it, in the words a run allowed to look would have.
    const { code, output, directory } = await runTaskOnTerminal(
      { name: "a", type: "exec", arguments: "true", cwd: "gone" },
    );
    assertAskedNothing(output);
    assert.equal(code, 1, output);
    const expected =
      `first failure: a (cannot start: working directory ${directory}/gone does not exist)`;
    assert.ok(output.includes(expected), output);
  },
});

Deno.test({
  name: "a long script for a shell named without a path asks for no permission on a terminal",
  ignore: !hasTerminal,
  async fn() {
    const directory = await Deno.makeTempDir({ prefix: "dagrun-prompt-" });
    const program = `${directory}/long_script.ts`;
    // Cut into pieces, a long script gets the path the shell is found at in PATH as its $0:
    // a directory the program may not read is not looked in.
    const exec = new URL("../executors/exec.ts", import.meta.url).href;
    await Deno.writeTextFile(
      program,
      `import { createExecExecutor } from ${JSON.stringify(exec)};
const result = await createExecExecutor({ shell: "sh" }).run(
  { name: "t", type: "exec", arguments: ": ${
        "p".repeat(200_000)
      }\\necho \\"ran as $0\\"", dependencies: [] },
  {
    signal: new AbortController().signal,
    timeoutMs: undefined,
    env: { PATH: "/usr/bin:/bin" },
    cwd: ${JSON.stringify(directory)},
    baseDir: ${JSON.stringify(directory)},
    output: (_stream, text) => console.log(text),
  },
);
console.log(JSON.stringify(result));
`,
    );
    const root = new URL("../", import.meta.url).pathname;
    const command = denoCommandLine([
      "run",
      "--quiet",
      "--no-lock",
      `--allow-read=${root},${program}`,
      "--allow-env",
      "--allow-run",
      program,
    ]);
    try {
      const { code, output } = await onTerminal(command);
      assertAskedNothing(output);
      assert.equal(code, 0, output);
      assert.match(output, /ran as sh/);
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test({
  name: "an internal error asks for no permission on a terminal when DAGRUN_DEBUG may not be read",
  ignore: !hasTerminal,
  async fn(t) {
    // Whether to add the stack is a look at DAGRUN_DEBUG: without --allow-env, Deno would
    // prompt for it after the error line, and the run would wait for an answer.
    const tasks = await writeTaskFile({ tasks: [{ name: "a", type: "boom", arguments: "" }] });
    const directory = dirname(tasks);
    const command = (plugin: string) =>
      denoCommandLine(
        runAllowed(
          { read: [directory], whole: ["run"] },
          tasks,
          "--no-history",
          "--executor",
          plugin,
        ),
      );
    try {
      await t.step("an error a plugin leaves uncaught", async () => {
        const plugin = `${directory}/uncaught.ts`;
        await Deno.writeTextFile(
          plugin,
          `export default { type: "boom", run() {
            setTimeout(() => { throw new Error("boom"); }, 10);
            return new Promise(() => {});
          } };`,
        );
        const { code, output } = await onTerminal(command(plugin));
        assertAskedNothing(output);
        assert.equal(code, 70, output);
        assert.match(output, /dagrun: internal error: uncaught Error: boom/);
      });
      await t.step("an error a command meets", async () => {
        const plugin = `${directory}/getter.ts`;
        await Deno.writeTextFile(
          plugin,
          `export default { type: "boom", run: () => ({ ok: true }),
            get prepare() { throw new Error("no prepare"); } };`,
        );
        const { code, output } = await onTerminal(command(plugin));
        assertAskedNothing(output);
        assert.equal(code, 70, output);
        assert.match(output, /dagrun: internal error: no prepare/);
      });
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});
