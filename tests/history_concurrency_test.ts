/**
 * Runs of one task file that end at the same moment each record their durations: the
 * history is merged under a lock, not overwritten by whichever run renames its copy last.
 *
 * @module
 */

import assert from "node:assert/strict";

const BIN = new URL("../src/bin.ts", import.meta.url).pathname;

/** How many runs end at once each round, and how many rounds. */
const RUNS = 4;
const ROUNDS = 6;

Deno.test("runs of one task file ending at once all keep their durations in the history", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dagrun-history-race-" });
  try {
    const fifo = `${dir}/gate`;
    const names = Array.from({ length: RUNS }, (_, i) => `t${i}`);
    // Each task opens the gate (the test holds it open for writing, so the open does not
    // wait), says so, then reads it until the test closes its end: every task ends at once.
    await Deno.writeTextFile(
      `${dir}/tasks.json`,
      JSON.stringify({
        tasks: names.map((name) => ({
          name,
          type: "exec",
          arguments: `exec 3< gate; : > ready.${name}; cat <&3`,
        })),
      }),
    );
    let lost = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await Deno.remove(`${dir}/.dagrun_history.json`).catch(() => {});
      // A history of other task files, as a directory used for long has: its read and
      // write take a while, which makes runs ending together overlap in them.
      await Deno.writeTextFile(`${dir}/.dagrun_history.json`, JSON.stringify(otherFiles()));
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      // Read and write: a FIFO opened so does not wait for the other end.
      const gate = await Deno.open(fifo, { read: true, write: true });
      const runs = names.map((name) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", BIN, "tasks.json", name, "-q"],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).spawn()
      );
      try {
        await allExist(names.map((name) => `${dir}/ready.${name}`));
      } finally {
        gate.close();
      }
      for (const [i, child] of runs.entries()) {
        const { code, stderr } = await child.output();
        assert.equal(code, 0, `run ${names[i]}: ${new TextDecoder().decode(stderr)}`);
      }
      const history = JSON.parse(await Deno.readTextFile(`${dir}/.dagrun_history.json`));
      const recorded = Object.keys(history.files["tasks.json"] ?? {}).sort();
      if (recorded.length !== RUNS) lost++;
      // The other files' records are all still there.
      assert.equal(Object.keys(history.files).length, 41);
      for (const name of names) await Deno.remove(`${dir}/ready.${name}`);
      await Deno.remove(fifo);
    }
    assert.equal(lost, 0, `${lost} of ${ROUNDS} rounds lost a run's durations`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A history of 40 other task files of 2,000 tasks each. */
function otherFiles() {
  const files: Record<string, Record<string, number>> = {};
  for (let f = 0; f < 40; f++) {
    const tasks: Record<string, number> = {};
    for (let t = 0; t < 2_000; t++) tasks[`task-${t}`] = 100 + t;
    files[`other-${f}.json`] = tasks;
  }
  return { version: 1, files };
}

/** Waits until every path exists, polling: the runs start at their own pace. */
async function allExist(paths: readonly string[]): Promise<void> {
  for (;;) {
    const missing = paths.filter((path) => {
      try {
        Deno.statSync(path);
        return false;
      } catch {
        return true;
      }
    });
    if (missing.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A task file of one task in a fresh directory, and its history's path. */
async function oneTaskProject(): Promise<{ dir: string; history: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dagrun-history-lock-" });
  await Deno.writeTextFile(
    `${dir}/tasks.json`,
    JSON.stringify({ tasks: [{ name: "t", type: "exec", arguments: "true" }] }),
  );
  return { dir, history: `${dir}/.dagrun_history.json` };
}

/** Runs dagrun on the project's task file, quietly. */
async function runQuietly(dir: string): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", BIN, "tasks.json", "-q"],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("the lock of a run killed while it held it is no obstacle: the kernel released it", async () => {
  const { dir, history } = await oneTaskProject();
  try {
    // A process takes the lock as a run does, says so, and is killed holding it.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = Deno.openSync(${
          JSON.stringify(history)
        }, { read: true, write: true, create: true });
         f.lockSync(true); console.log("locked"); setTimeout(() => {}, 600_000);`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = holder.stdout.getReader();
    const { value } = await reader.read();
    assert.equal(new TextDecoder().decode(value).trim(), "locked");
    holder.kill("SIGKILL");
    await holder.status;
    reader.releaseLock();
    await holder.stdout.cancel();
    const { code } = await runQuietly(dir);
    assert.equal(code, 0);
    const recorded = JSON.parse(await Deno.readTextFile(history)).files["tasks.json"];
    assert.deepEqual(Object.keys(recorded), ["t"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a run finding the history locked for long gives up recording, and ends", async () => {
  const { dir, history } = await oneTaskProject();
  // As a run stopped with Ctrl-Z while it recorded would: this process holds the lock.
  const held = Deno.openSync(history, { read: true, write: true, create: true });
  held.lockSync(true);
  try {
    await Deno.writeTextFile(history, '{"version":1,"files":{"other.json":{"x":1}}}\n');
    const { code, stderr } = await runQuietly(dir);
    assert.equal(code, 0);
    assert.equal(
      stderr,
      `dagrun: warning: task durations not recorded in ${history}: another run held it locked for 5 s\n`,
    );
    // Untouched: the run neither waited for ever nor wrote past the lock.
    assert.equal(
      await Deno.readTextFile(history),
      '{"version":1,"files":{"other.json":{"x":1}}}\n',
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name).sort(), [
      ".dagrun_history.json",
      "tasks.json",
    ]);
  } finally {
    held.close();
    await Deno.remove(dir, { recursive: true });
  }
});
