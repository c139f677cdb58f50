/**
 * `--resume` and `--from-report` (`--dry-run`, `dagrun graph`) tell a report of another task
 * file by one rule: the same cases, one answer and one message for all three.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli } from "./helpers.ts";

const task = (name: string) => ({ name, type: "exec", arguments: "true" });

/** Writes `tasks` to `dir/name` as a task file; returns its path. */
async function taskFile(dir: string, name: string, names: string[]): Promise<string> {
  await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify({ tasks: names.map(task) }));
  return `${dir}/${name}`;
}

/** Each command given the report `report` for the task file `file`: its exit code and stderr. */
async function each(file: string, report: string, cwd: string) {
  const quiet = ["-q", "--no-history"];
  const results = await Promise.all([
    runCli([file, "--resume", report, ...quiet], { cwd }),
    runCli([file, "--dry-run", "--from-report", report], { cwd }),
    runCli(["graph", file, "--from-report", report], { cwd }),
  ]);
  return results.map(({ code, stderr }) => ({ code, stderr }));
}

const uses = ["resume", "plan", "colour the graph"];

Deno.test("--resume, --dry-run and graph take or refuse a report of another task file alike", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "a15-report-identity-" }));
  try {
    const ran = await taskFile(dir, "tasks.json", ["a", "b"]);
    assert.equal(
      (await runCli([ran, "--report", "run.ndjson", "-q", "--no-history"], {
        cwd: dir,
      })).code,
      0,
    );
    const taken = { code: 0, stderr: "" };
    // The same file, edited at its path so that no task keeps its name: taken (renamed tasks
    // run under their new names), as ninja keeps its log when targets are renamed.
    const edited = await taskFile(dir, "tasks.json", ["c"]);
    assert.deepEqual(await each(edited, "run.ndjson", dir), [taken, taken, taken]);
    // Moved (the same tasks at another path): taken.
    await Deno.mkdir(`${dir}/moved`);
    const moved = await taskFile(`${dir}/moved`, "renamed.json", ["a", "b"]);
    assert.deepEqual(await each(moved, "run.ndjson", dir), [taken, taken, taken]);
    // Moved and edited (a task added, one removed): taken, task by task. `--resume` refused
    // it, its path and task names both differing, where `--from-report` took it.
    const movedEdited = await taskFile(`${dir}/moved`, "edited.json", ["a", "c"]);
    assert.deepEqual(await each(movedEdited, "run.ndjson", dir), [taken, taken, taken]);
    // The same with only the new task chosen (`graph` has no `--only`): the rule looks at the
    // whole file, not at the tasks chosen to run, so a choice does not make it another file.
    const onlyNew = ["--only", "c", "-q", "--no-history"];
    const chosen = await Promise.all([
      runCli([movedEdited, "--resume", "run.ndjson", ...onlyNew], { cwd: dir }),
      runCli([movedEdited, "--dry-run", "--from-report", "run.ndjson", ...onlyNew], { cwd: dir }),
    ]);
    assert.deepEqual(chosen.map(({ code, stderr }) => ({ code, stderr })), [taken, taken]);
    // Another file that shares no task name with the report's: refused, in one wording.
    const other = await taskFile(dir, "other.json", ["x", "y"]);
    assert.deepEqual(
      await each(other, "run.ndjson", dir),
      uses.map((use) => ({
        code: 2,
        stderr:
          `dagrun: run.ndjson: is a report of another task file (${ran}): none of its 2 tasks is in ${other}; refusing to ${use} from it\n`,
      })),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
