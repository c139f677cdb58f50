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
    const root = new URL("../", import.meta.url).pathname;
    const dagrun = [
      Deno.execPath(),
      "run",
      "--quiet",
      `--allow-read=${root},${tasks}`,
      "--allow-env",
      "--allow-run",
      "--allow-sys",
      MOD,
      tasks,
    ].map((word) => `'${word}'`).join(" ");
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
