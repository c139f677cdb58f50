/**
 * A run allowed less than -A (`--allow-read=tasks.json`) asks nothing on a terminal: Deno
 * prompts for a permission not granted when standard input and error are terminals, and the
 * run would wait on the prompt. What dagrun reads of its own accord is queried first.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MOD } from "./helpers.ts";
import { findProgram } from "./terminal_helpers.ts";

const script = await findProgram("script");
const PROMPT = "Deno requests";

/**
 * Runs `command` under `script`, on a terminal of its own, and returns what it printed; stops
 * it at once when a permission prompt appears (it would wait for an answer).
 */
async function onTerminal(command: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(script!, {
    args: ["-qec", command, "/dev/null"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A guard against a hang of another kind; the prompt is seen long before.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk, { stream: true });
    if (output.includes(PROMPT)) {
      child.kill("SIGKILL");
      break;
    }
  }
  const { code } = await child.status;
  clearTimeout(guard);
  await child.stderr.cancel();
  return { code, output };
}

/**
 * The command line of a dagrun allowed to read its own source and the task file `tasks`
 * alone (and to run, read the environment and the system's figures), quoted for `sh -c`.
 */
function allowedToReadOnly(tasks: string, ...options: string[]): string {
  const root = new URL("../", import.meta.url).pathname;
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    `--allow-read=${root},${tasks}`,
    "--allow-env",
    "--allow-run",
    "--allow-sys",
    MOD,
    tasks,
    ...options,
  ].map((word) => `'${word}'`).join(" ");
}

Deno.test({
  name: "a run allowed to read its task file alone asks for no permission on a terminal",
  ignore: Deno.build.os !== "linux" || script === undefined,
  async fn(t) {
    const directory = await Deno.makeTempDir({ prefix: "dagrun-prompt-" });
    const tasks = `${directory}/tasks.json`;
    await Deno.writeTextFile(
      tasks,
      JSON.stringify({ tasks: [{ name: "a", type: "exec", arguments: "true" }] }),
    );
    const dagrun = allowedToReadOnly(tasks);
    // Nor the environment: TERM (is the terminal dumb?) and NO_COLOR, looked at for the
    // terminal's status line and colours.
    const withoutEnv = dagrun.replace(" '--allow-env'", "");
    try {
      await t.step("without the environment", async () => {
        const { code, output } = await onTerminal(`${withoutEnv} --no-history`);
        assert.ok(!output.includes(PROMPT), output);
        assert.equal(code, 0, output);
        assert.match(output, /1 task: 1 ok/);
      });
      // /proc/self/status, for the signals ignored at start.
      await t.step("without a history", async () => {
        const { code, output } = await onTerminal(`${dagrun} --no-history`);
        assert.ok(!output.includes(PROMPT), output);
        assert.equal(code, 0, output);
        assert.match(output, /1 task: 1 ok/);
      });
      // And the history's path, for the start order and beside the reports.
      await t.step("with a history it may not read", async () => {
        const { code, output } = await onTerminal(dagrun);
        assert.ok(!output.includes(PROMPT), output);
        assert.equal(code, 0, output);
        assert.match(output, /task durations not recorded in .*: no permission to read and write/);
      });
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

/**
 * Runs a task file of `task` alone under {@linkcode allowedToReadOnly}, without a history, on a
 * terminal ({@linkcode onTerminal}); `directory` is the task file's (removed by then).
 */
async function runTaskOnTerminal(
  task: Record<string, unknown>,
): Promise<{ code: number; output: string; directory: string }> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-prompt-" });
  const tasks = `${directory}/tasks.json`;
  await Deno.writeTextFile(tasks, JSON.stringify({ tasks: [task] }));
  try {
    return { ...await onTerminal(allowedToReadOnly(tasks, "--no-history")), directory };
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
}

Deno.test({
  name: "a task whose command is not found asks for no permission on a terminal",
  ignore: Deno.build.os !== "linux" || script === undefined,
  async fn() {
    // Before the shell is left to say so, its working directory (the task file's, which the
    // run may not read) and the PATH entries (for a `#!` naming a missing interpreter) are
    // looked at.
    const { code, output } = await runTaskOnTerminal(
      { name: "a", type: "exec", arguments: "dagrun-no-such-command" },
    );
    assert.ok(!output.includes(PROMPT), output);
    assert.equal(code, 1, output);
    assert.match(output, /dagrun-no-such-command: (command )?not found/);
  },
});

Deno.test({
  name: "a task whose directory is gone is told so when dagrun may not look at it",
  ignore: Deno.build.os !== "linux" || script === undefined,
  async fn() {
    // Checked neither at load nor at the spawn by dagrun (no read permission for it): the
    // spawn's own check says it, in the words a run allowed to look would have.
    const { code, output, directory } = await runTaskOnTerminal(
      { name: "a", type: "exec", arguments: "true", cwd: "gone" },
    );
    assert.ok(!output.includes(PROMPT), output);
    assert.equal(code, 1, output);
    const expected =
      `first failure: a (cannot start: working directory ${directory}/gone does not exist)`;
    assert.ok(output.includes(expected), output);
  },
});

Deno.test({
  name: "a long script for a shell named without a path asks for no permission on a terminal",
  ignore: Deno.build.os !== "linux" || script === undefined,
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
    const command = [
      Deno.execPath(),
      "run",
      "--quiet",
      "--no-lock",
      `--allow-read=${root},${program}`,
      "--allow-env",
      "--allow-run",
      program,
    ].map((word) => `'${word}'`).join(" ");
    try {
      const { code, output } = await onTerminal(command);
      assert.ok(!output.includes(PROMPT), output);
      assert.equal(code, 0, output);
      assert.match(output, /ran as sh/);
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test({
  name: "an internal error asks for no permission on a terminal when DAGRUN_DEBUG may not be read",
  ignore: Deno.build.os !== "linux" || script === undefined,
  async fn(t) {
    // Whether to add the stack is a look at DAGRUN_DEBUG: without --allow-env, Deno would
    // prompt for it after the error line, and the run would wait for an answer.
    const directory = await Deno.makeTempDir({ prefix: "dagrun-prompt-" });
    const tasks = `${directory}/tasks.json`;
    await Deno.writeTextFile(
      tasks,
      JSON.stringify({ tasks: [{ name: "a", type: "boom", arguments: "" }] }),
    );
    const root = new URL("../", import.meta.url).pathname;
    const command = (plugin: string) =>
      [
        Deno.execPath(),
        "run",
        "--quiet",
        `--allow-read=${root},${directory}`,
        "--allow-run",
        MOD,
        tasks,
        "--no-history",
        "--executor",
        plugin,
      ].map((word) => `'${word}'`).join(" ");
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
        assert.ok(!output.includes(PROMPT), output);
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
        assert.ok(!output.includes(PROMPT), output);
        assert.equal(code, 70, output);
        assert.match(output, /dagrun: internal error: no prepare/);
      });
    } finally {
      await Deno.remove(directory, { recursive: true });
    }
  },
});
