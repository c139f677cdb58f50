/**
 * The duration history's bookkeeping across the ways a run ends (fail-fast, a cancelling
 * signal), and the temporaries a killed run leaves beside it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { run } from "../src/run.ts";
import { historyLocation, readHistory, recordHistory } from "../src/history.ts";
import type { RunReport, TaskReport } from "../src/types.ts";
import { MOD, namesIn, runCli, writeTaskFile } from "./helpers.ts";

/** The history recorded next to `file` for it: task name to milliseconds. */
async function recorded(file: string): Promise<Record<string, number>> {
  const history = file.replace(/tasks\.json$/, ".dagrun_history.json");
  return JSON.parse(await Deno.readTextFile(history)).files["tasks.json"];
}

Deno.test("a --fail-fast run records the failure that stopped it, not the tasks it stopped", async () => {
  // "slow" is still sleeping when "lint" fails: it is stopped, its 0.1 s says nothing. It is
  // listed first, so a summary naming the first failed task in file order would name it.
  const file = await writeTaskFile({
    tasks: [
      { name: "slow", type: "exec", arguments: "sleep 30" },
      { name: "lint", type: "exec", arguments: "exit 1" },
      { name: "after", type: "exec", arguments: "true", dependencies: ["slow"] },
    ],
  });
  try {
    const { code, stdout } = await runCli([file, "--fail-fast", "-q"]);
    assert.equal(code, 1);
    assert.match(stdout, /slow +exec +failed .* cancelled: "lint" failed \(fail-fast\)/);
    // The summary names the failure that stopped the run, not the stopped task listed first.
    assert.match(stdout, /; first failure: lint \(exit code 1\); cancelled\n$/);
    const durations = await recorded(file);
    assert.deepEqual(Object.keys(durations), ["lint"]);
    assert.equal(typeof durations.lint, "number");
  } finally {
    await Deno.remove(file.replace(/\/tasks\.json$/, ""), { recursive: true });
  }
});

Deno.test("run(): a failure before the run's signal cancelled it is recorded, a stopped task is not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const location = historyLocation(`${dir}/tasks.json`);
    const controller = new AbortController();
    const report = await run([
      { name: "quick", type: "exec", arguments: "exit 2" },
      { name: "slow", type: "exec", arguments: "sleep 30" },
    ], {
      history: location,
      signal: controller.signal,
      // Cancelled once "quick" has failed by itself, while "slow" still runs.
      onEvent: (event) => {
        if (event.event === "task_ended" && event.task === "quick") controller.abort("stop now");
      },
    });
    assert.equal(report.cancelled, true);
    assert.equal(report.tasks[1]!.error, "stop now");
    assert.deepEqual([...(await readHistory(location)).keys()], ["quick"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recordHistory() tells a cancelled run's stopped tasks by their error", async () => {
  const task = (name: string, error: string): TaskReport => ({
    name,
    type: "exec",
    status: "failed",
    durationMs: 10,
    error,
  });
  const report: RunReport = {
    ok: false,
    cancelled: true,
    counts: { ok: 0, failed: 4, skipped: 0 },
    durationMs: 10,
    tasks: [
      task("own", "exit code 1"),
      task("ctrl-c", "interrupted"),
      task("fail-fast", 'cancelled: "own" failed (fail-fast)'),
      task("signal", "The signal has been aborted"),
    ],
  };
  const dir = await Deno.makeTempDir();
  try {
    const location = historyLocation(`${dir}/tasks.json`);
    const controller = new AbortController();
    controller.abort();
    await recordHistory(location, report, controller.signal);
    assert.deepEqual([...(await readHistory(location)).keys()], ["own"]);
    // Not cancelled, every failure ran, whatever its error says.
    await Deno.remove(location.path);
    await recordHistory(location, { ...report, cancelled: false });
    assert.equal((await readHistory(location)).size, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The PID of a process that was killed with SIGKILL and has been reaped: gone. */
async function killedPid(): Promise<number> {
  const child = new Deno.Command("sleep", { args: ["60"] }).spawn();
  child.kill("SIGKILL");
  await child.status;
  return child.pid;
}

Deno.test("a run removes the history temporaries of killed runs, and only those", async () => {
  const dir = await Deno.makeTempDir();
  const live = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    const location = historyLocation(`${dir}/tasks.json`);
    const [dead, deadToo] = [await killedPid(), await killedPid()];
    const temporary = (pid: number | string) => `.dagrun_history.json.${pid}.tmp`;
    const names = {
      // A run killed between its write and its rename, a minute ago and more.
      stale: temporary(dead),
      // A live run's, about to be renamed (as old: a run stopped with SIGSTOP, say).
      live: temporary(live.pid),
      // Dead, but just written: maybe a run this process cannot see (another PID namespace).
      recent: temporary(deadToo),
      // Not the pattern exactly.
      unlike: [
        `${temporary(dead)}.bak`,
        `x${temporary(dead)}`,
        temporary(`0${dead}`),
        temporary("abc"),
        `.dagrun_history.json..tmp`,
      ],
    };
    const old = new Date(Date.now() - 3_600_000);
    for (const name of [names.stale, names.live, ...names.unlike]) {
      await Deno.writeTextFile(`${dir}/${name}`, "{");
      await Deno.utime(`${dir}/${name}`, old, old);
    }
    await Deno.writeTextFile(`${dir}/${names.recent}`, "{");
    await recordHistory(location, {
      ok: true,
      cancelled: false,
      counts: { ok: 1, failed: 0, skipped: 0 },
      durationMs: 5,
      tasks: [{ name: "a", type: "exec", status: "ok", durationMs: 5 }],
    });
    const left = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
    assert.deepEqual(
      left,
      [".dagrun_history.json", names.live, names.recent, ...names.unlike].sort(),
    );
    assert.deepEqual([...(await readHistory(location)).keys()], ["a"]);
  } finally {
    live.kill("SIGKILL");
    await live.status;
    await Deno.remove(dir, { recursive: true });
  }
});

/** The permissions a run needs besides the file system's, for runs allowed less than -A. */
const BESIDE_FILES = ["--allow-run", "--allow-env", "--allow-sys"];

/** Runs the command line on `file` quietly, with `deno run` flags `permissions`. */
async function quietRun(file: string, permissions = ["-A"]) {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, "--quiet", MOD, file, "-q"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("a history that cannot be written is warned of once, and the run goes on", async (t) => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "true" },
      { name: "b", type: "exec", arguments: "true", dependencies: ["a"] },
    ],
  });
  const dir = file.replace(/\/tasks\.json$/, "");
  const history = `${dir}/.dagrun_history.json`;
  try {
    await t.step("a directory in its place", async () => {
      await Deno.mkdir(history);
      const { code, stderr } = await quietRun(file);
      assert.equal(code, 0);
      assert.equal(
        stderr,
        `dagrun: warning: task durations not recorded in ${history}: it is a directory\n`,
      );
      await Deno.remove(history);
    });
    await t.step("no write permission (Deno's): no prompt, a warning", async () => {
      const { code, stderr } = await quietRun(file, ["--allow-read", ...BESIDE_FILES]);
      assert.equal(code, 0);
      assert.equal(
        stderr,
        `dagrun: warning: task durations not recorded in ${history}: no permission to read and write ${dir} (--allow-read, --allow-write)\n`,
      );
      await assert.rejects(Deno.lstat(history), Deno.errors.NotFound);
    });
    await t.step(
      "a read-only history in a writable directory is left as it is, with a warning",
      async () => {
        // It was replaced by the rename, with mode 644: the protection the user gave it lost.
        const text = '{"version":1,"files":{"tasks.json":{"a":7}}}';
        await Deno.writeTextFile(history, text);
        await Deno.chmod(history, 0o444);
        const { code, stderr } = await quietRun(file);
        assert.equal(code, 0);
        assert.equal(
          stderr,
          `dagrun: warning: task durations not recorded in ${history}: it is read-only; left as it is\n`,
        );
        assert.equal(await Deno.readTextFile(history), text);
        assert.equal((await Deno.stat(history)).mode! & 0o777, 0o444);
        // Still read: the plan takes its durations.
        const plan = await runCli([file, "--dry-run"]);
        assert.match(plan.stdout, /durations from earlier runs \(1 known\)/);
        await Deno.remove(history);
      },
    );
    await t.step(
      "a history the run creates read-only (umask 222) is recorded, not left empty",
      async () => {
        // It was called read-only and left empty, its creation taken for the user's protection.
        const output = await new Deno.Command("sh", {
          args: ["-c", `umask 222; exec '${Deno.execPath()}' run -A --quiet '${MOD}' '${file}' -q`],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).output();
        try {
          assert.equal(output.code, 0);
          assert.equal(new TextDecoder().decode(output.stderr), "");
          assert.deepEqual(Object.keys(await recorded(file)).sort(), ["a", "b"]);
        } finally {
          await Deno.remove(history).catch(() => {});
        }
      },
    );
    // A write the system refuses, as a full disk does, once the file the lock needs exists:
    // past `ulimit -f` (SIGXFSZ ignored, so that the write fails with EFBIG rather than killing
    // dagrun), which needs neither root nor a full file system.
    const limited = (limit: number) =>
      new Deno.Command("sh", {
        args: [
          "-c",
          `trap '' XFSZ; ulimit -f ${limit}; exec '${Deno.execPath()}' run -A --quiet '${MOD}' '${file}' -q`,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output().then(({ code, stderr }) => ({ code, stderr: new TextDecoder().decode(stderr) }));
    const tooLarge = `dagrun: warning: task durations not recorded in ${history}: file too large\n`;
    await t.step("a write refused (a full disk): no empty history is left behind", async () => {
      // The lock's file was left, empty: later runs ignored it, but it was litter.
      const { code, stderr } = await limited(0);
      assert.equal(code, 0);
      assert.equal(stderr, tooLarge);
      await assert.rejects(Deno.lstat(history), Deno.errors.NotFound);
      assert.deepEqual(await namesIn(dir), ["tasks.json"]);
    });
    await t.step("a write refused: a history there before is left as it was", async () => {
      const text = '{"version":1,"files":{"tasks.json":{"a":7}}}';
      await Deno.writeTextFile(history, text);
      const { code, stderr } = await limited(0);
      assert.equal(code, 0);
      assert.equal(stderr, tooLarge);
      assert.equal(await Deno.readTextFile(history), text);
      // An empty one, which no run wrote (a user's `touch`), stays too.
      await Deno.writeTextFile(history, "");
      assert.equal((await limited(0)).stderr, tooLarge);
      assert.equal((await Deno.stat(history)).size, 0);
      await Deno.remove(history);
    });
    await t.step({
      name: "a read-only directory",
      // Root writes into a directory whatever its mode.
      ignore: Deno.uid() === 0,
      fn: async () => {
        await Deno.chmod(dir, 0o555);
        try {
          const { code, stderr } = await quietRun(file);
          assert.equal(code, 0);
          assert.equal(
            stderr,
            `dagrun: warning: task durations not recorded in ${history}: permission denied\n`,
          );
        } finally {
          await Deno.chmod(dir, 0o755);
        }
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a history larger than 32 MiB is not read but replaced, and none is written larger", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const location = historyLocation(`${dir}/tasks.json`);
    // 40 MiB of well-formed history, with a record of this file: ignored for its size.
    const padding: Record<string, number> = {};
    for (let i = 0; i < 1_200_000; i++) padding[`padding-task-number-${i}`] = 1;
    const big = JSON.stringify({ version: 1, files: { "tasks.json": { a: 5 }, big: padding } });
    assert.ok(big.length > 32 * 2 ** 20);
    await Deno.writeTextFile(location.path, big);
    assert.deepEqual(await readHistory(location), new Map());
    const ran = (name: string): RunReport => ({
      ok: true,
      cancelled: false,
      counts: { ok: 1, failed: 0, skipped: 0 },
      durationMs: 3,
      tasks: [{ name, type: "exec", status: "ok", durationMs: 3 }],
    });
    assert.equal(await recordHistory(location, ran("a")), undefined);
    assert.deepEqual(await readHistory(location), new Map([["a", 3]]));
    // Written big again (from under the limit, by another file's run), then recorded to:
    // the least recent file goes, the rest stays readable.
    const near: Record<string, number> = {};
    for (let i = 0; i < 900_000; i++) near[`padding-task-number-${i}`] = 1;
    const written = JSON.stringify({ version: 1, files: { big: near, "tasks.json": { a: 3 } } });
    assert.ok(written.length < 32 * 2 ** 20);
    await Deno.writeTextFile(location.path, written);
    const other = historyLocation(`${dir}/other.json`);
    const huge = ran("x");
    const tasks = Array.from({ length: 400_000 }, (_, i) => ({
      ...huge.tasks[0]!,
      name: `other-task-${i}`,
    }));
    assert.equal(await recordHistory(other, { ...huge, tasks }), undefined);
    assert.ok((await Deno.stat(location.path)).size <= 32 * 2 ** 20);
    assert.equal((await readHistory(other)).size, 400_000);
    assert.deepEqual(await readHistory(location), new Map([["a", 3]]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a history that is a symbolic link is written where it leads, never over another file", async (t) => {
  const file = await writeTaskFile({ tasks: [{ name: "t", type: "exec", arguments: "true" }] });
  const dir = file.replace(/\/tasks\.json$/, "");
  const history = `${dir}/.dagrun_history.json`;
  const cache = `${dir}/cache`;
  await Deno.mkdir(cache);
  const recordedIn = async (path: string) =>
    Object.keys(JSON.parse(await Deno.readTextFile(path)).files["tasks.json"]);
  try {
    await t.step("to a history: updated there, the link kept", async () => {
      await Deno.writeTextFile(`${cache}/h.json`, '{"version":1,"files":{"other.json":{"x":1}}}');
      await Deno.symlink("cache/h.json", history);
      const { code, stderr } = await quietRun(file);
      assert.equal(code, 0);
      assert.equal(stderr, "");
      assert.ok((await Deno.lstat(history)).isSymlink);
      assert.deepEqual(await recordedIn(`${cache}/h.json`), ["t"]);
      const other = JSON.parse(await Deno.readTextFile(`${cache}/h.json`)).files["other.json"];
      assert.deepEqual(other, { x: 1 });
      assert.deepEqual([...Deno.readDirSync(cache)].map((entry) => entry.name), ["h.json"]);
      await Deno.remove(history);
    });
    await t.step("dangling: its target is created", async () => {
      await Deno.symlink(`${cache}/new.json`, history);
      const { code, stderr } = await quietRun(file);
      assert.equal(code, 0);
      assert.equal(stderr, "");
      assert.ok((await Deno.lstat(history)).isSymlink);
      assert.deepEqual(await recordedIn(`${cache}/new.json`), ["t"]);
      await Deno.remove(history);
    });
    await t.step("to a directory not granted: no prompt, a warning naming it", async () => {
      const elsewhere = await Deno.makeTempDir();
      try {
        await Deno.symlink(`${elsewhere}/h.json`, history);
        const { code, stderr } = await quietRun(file, [
          `--allow-read=${dir}`,
          `--allow-write=${dir}`,
          ...BESIDE_FILES,
        ]);
        assert.equal(code, 0);
        assert.equal(
          stderr,
          `dagrun: warning: task durations not recorded in ${history}: no permission to read and write ${elsewhere} (--allow-read, --allow-write)\n`,
        );
        assert.deepEqual([...Deno.readDirSync(elsewhere)], []);
      } finally {
        await Deno.remove(history);
        await Deno.remove(elsewhere, { recursive: true });
      }
    });
    await t.step("to a file that is no history: left as it is, and said", async () => {
      await Deno.writeTextFile(`${cache}/notes.txt`, "my notes\n");
      await Deno.symlink("cache/notes.txt", history);
      const { code, stderr } = await quietRun(file);
      assert.equal(code, 0);
      assert.equal(
        stderr,
        `dagrun: warning: task durations not recorded in ${history}: it links to ${
          Deno.realPathSync(cache)
        }/notes.txt, which is not a dagrun history; left as it is\n`,
      );
      assert.equal(await Deno.readTextFile(`${cache}/notes.txt`), "my notes\n");
      assert.ok((await Deno.lstat(history)).isSymlink);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task file named .dagrun_history.json, or linked to it, is never replaced by a history", async () => {
  const text = JSON.stringify({ tasks: [{ name: "t", type: "exec", arguments: "true" }] });
  const file = await writeTaskFile(text, ".dagrun_history.json");
  const dir = file.replace(/\/\.dagrun_history\.json$/, "");
  const warning =
    `dagrun: warning: task durations not recorded in ${file}: it is the task file itself; left as it is\n`;
  try {
    for (const taskFile of [file, `${dir}/tasks.json`]) {
      if (taskFile !== file) await Deno.symlink(".dagrun_history.json", taskFile);
      const { code, stderr } = await quietRun(taskFile);
      assert.equal(code, 0);
      assert.equal(stderr, warning);
      assert.equal(await Deno.readTextFile(file), text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the history of a task file in / is /.dagrun_history.json, with one slash", () => {
  assert.deepEqual(historyLocation("/tasks.json"), {
    path: "/.dagrun_history.json",
    key: "tasks.json",
  });
  assert.deepEqual(historyLocation("tasks.json"), {
    path: "./.dagrun_history.json",
    key: "tasks.json",
  });
  assert.deepEqual(historyLocation("/ci/tasks.json"), {
    path: "/ci/.dagrun_history.json",
    key: "tasks.json",
  });
});
