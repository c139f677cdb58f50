import assert from "node:assert/strict";
import { criticalPathPriority } from "../src/critical_path.ts";
import { run } from "../src/run.ts";
import { ExecutorRegistry } from "../src/registry.ts";
import { historyLocation, readHistory, recordHistory } from "../src/history.ts";
import type { RunReport, TaskSpec } from "../src/types.ts";
import { FakeExecutor, MOD, runCli, writeTaskFile } from "./helpers.ts";

// a and e stand alone; b -> c -> d is a chain, so b has the longest path ahead of it.
const TASKS: TaskSpec[] = [
  { name: "a", type: "fake", arguments: "", dependencies: [] },
  { name: "b", type: "fake", arguments: "", dependencies: [] },
  { name: "c", type: "fake", arguments: "", dependencies: ["b"] },
  { name: "d", type: "fake", arguments: "", dependencies: ["c"] },
  { name: "e", type: "fake", arguments: "", dependencies: [] },
];

async function startOrder(
  concurrency: number,
  history?: Record<string, number>,
): Promise<string[]> {
  const executor = new FakeExecutor();
  const dir = await Deno.makeTempDir();
  try {
    const location = historyLocation(`${dir}/tasks.json`);
    if (history) {
      await Deno.writeTextFile(
        location.path,
        JSON.stringify({ version: 1, files: { "tasks.json": history } }),
      );
    }
    await run(TASKS, {
      registry: new ExecutorRegistry().register(executor),
      concurrency,
      history: location,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return executor.started;
}

Deno.test("criticalPathPriority() ranks by the longest path ahead, then by dependents", () => {
  const priority = criticalPathPriority(TASKS);
  assert.equal(Math.floor(priority[1]!), 3); // b, c, d
  assert.equal(Math.floor(priority[2]!), 2);
  assert.equal(Math.floor(priority[3]!), 1);
  assert.ok(priority[1]! > priority[0]! && priority[0]! === priority[4]!);
  // A fan-out: x has more tasks waiting on it than y, at equal depth.
  const fan = criticalPathPriority([
    { name: "x", type: "t", arguments: "", dependencies: [] },
    { name: "y", type: "t", arguments: "", dependencies: [] },
    { name: "x1", type: "t", arguments: "", dependencies: ["x"] },
    { name: "x2", type: "t", arguments: "", dependencies: ["x"] },
    { name: "y1", type: "t", arguments: "", dependencies: ["y"] },
  ]);
  assert.ok(fan[0]! > fan[1]!);
});

Deno.test("criticalPathPriority() weights by recorded durations, unknown tasks by their mean", () => {
  const priority = criticalPathPriority(
    TASKS,
    new Map([["a", 100], ["b", 1], ["c", 1], ["d", 10], ["x", 5]]),
  );
  // e is unknown: it weighs the mean of a, b, c and d (28), not x's.
  assert.deepEqual([...priority], [100, 12, 11, 10, 28]);
});

Deno.test("criticalPathPriority() handles a 100,000-task chain without recursion", () => {
  const chain: TaskSpec[] = Array.from({ length: 100_000 }, (_, i) => ({
    name: `t${i}`,
    type: "t",
    arguments: "",
    dependencies: i === 0 ? [] : [`t${i - 1}`],
  }));
  assert.equal(Math.floor(criticalPathPriority(chain)[0]!), 100_000);
});

Deno.test("run() starts the task with the longest path first at -j 1 and -j 2", async () => {
  // File order alone would be a, b, e, c, d.
  assert.deepEqual(await startOrder(1), ["b", "c", "a", "d", "e"]);
  assert.deepEqual((await startOrder(2)).slice(0, 2), ["b", "a"]);
});

Deno.test("run() follows recorded durations over task counts", async () => {
  const history = { a: 100, b: 1, c: 1, d: 1, e: 50 };
  assert.deepEqual(await startOrder(1, history), ["a", "e", "b", "c", "d"]);
  assert.deepEqual((await startOrder(2, history)).slice(0, 2), ["a", "e"]);
});

function report(tasks: [string, "ok" | "failed" | "skipped", number][]): RunReport {
  return {
    ok: false,
    cancelled: false,
    counts: { ok: 0, failed: 0, skipped: 0 },
    durationMs: 0,
    tasks: tasks.map(([name, status, durationMs]) => ({ name, type: "t", status, durationMs })),
  };
}

Deno.test("history round-trips, blends runs and records only tasks that ran", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const location = historyLocation(`${dir}/tasks.json`);
    assert.equal(location.path, `${dir}/.dagrun_history.json`);
    assert.deepEqual(await readHistory(location), new Map());
    await recordHistory(
      location,
      report([["a", "ok", 100], ["b", "failed", 20], ["c", "skipped", 0]]),
    );
    assert.deepEqual(await readHistory(location), new Map([["a", 100], ["b", 20]]));
    await recordHistory(location, report([["a", "ok", 200], ["c", "ok", 5]]));
    // b is no longer in the file; a moved half-way to its new duration.
    assert.deepEqual(await readHistory(location), new Map([["a", 150], ["c", 5]]));
    // Another task file in the same directory keeps its own entries.
    const other = historyLocation(`${dir}/other.json`);
    await recordHistory(other, report([["a", "ok", 1]]));
    assert.deepEqual(await readHistory(other), new Map([["a", 1]]));
    assert.equal((await readHistory(location)).get("a"), 150);
    // A resumed task did not run: its 0 ms would halve the record at every resume.
    const resumed = report([["a", "ok", 0], ["c", "ok", 7]]);
    await recordHistory(location, {
      ...resumed,
      tasks: [{ ...resumed.tasks[0]!, resumed: true }, resumed.tasks[1]!],
    });
    assert.deepEqual(await readHistory(location), new Map([["a", 150], ["c", 6]]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("history ignores a corrupt file or entries and rewrites it whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const location = historyLocation(`${dir}/tasks.json`);
    for (const garbage of ["{not json", "[]", '{"version":2,"files":{}}', "\u0000\u0001"]) {
      await Deno.writeTextFile(location.path, garbage);
      assert.deepEqual(await readHistory(location), new Map(), garbage);
    }
    await Deno.writeTextFile(
      location.path,
      JSON.stringify({
        version: 1,
        files: {
          "tasks.json": { a: 5, b: -1, c: "7", d: null, e: 1e400, f: 1e308, g: NaN },
          "x.json": [],
        },
      }),
    );
    assert.deepEqual(await readHistory(location), new Map([["a", 5]]));
    await Deno.writeTextFile(location.path, "{truncated");
    await recordHistory(location, report([["a", "ok", 3]]));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(location.path)), {
      version: 1,
      files: { "tasks.json": { a: 3 } },
    });
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), [
      ".dagrun_history.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("history records tasks and files named like Object.prototype's keys", async () => {
  // Looked up in a plain object, "toString" found a function and wrote null; "__proto__"
  // set the prototype instead of a record, and a file named "constructor" read Object's keys.
  const dir = await Deno.makeTempDir();
  try {
    const names = ["toString", "__proto__", "constructor", "hasOwnProperty", "valueOf"];
    for (const file of ["tasks.json", "constructor", "__proto__"]) {
      const location = historyLocation(`${dir}/${file}`);
      await recordHistory(location, report(names.map((name) => [name, "ok", 100])));
      await recordHistory(location, report(names.map((name) => [name, "ok", 200])));
      // Blended half-way: the first run's record was read back.
      assert.deepEqual(await readHistory(location), new Map(names.map((name) => [name, 150])));
      assert.deepEqual(
        await readHistory({ ...location, key: "name" }),
        new Map(),
        "a file without a record has none, whatever its name",
      );
    }
    const written = JSON.parse(await Deno.readTextFile(`${dir}/.dagrun_history.json`));
    assert.deepEqual(Object.keys(written.files).sort(), ["__proto__", "constructor", "tasks.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI records a history next to the task file unless --no-history", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "t", type: "exec", arguments: "sh -c :" }] });
  const history = file.replace(/tasks\.json$/, ".dagrun_history.json");
  try {
    assert.equal((await runCli([file, "--no-history"])).code, 0);
    await assert.rejects(Deno.stat(history));
    assert.equal((await runCli([file, "-j", "2"])).code, 0);
    const recorded = JSON.parse(await Deno.readTextFile(history));
    assert.equal(typeof recorded.files["tasks.json"].t, "number");
  } finally {
    await Deno.remove(file.replace(/\/tasks\.json$/, ""), { recursive: true });
  }
});

Deno.test("a FIFO at the history's path is passed over, not read (a read would wait for ever)", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "t", type: "exec", arguments: "true" }] });
  const history = file.replace(/tasks\.json$/, ".dagrun_history.json");
  try {
    const made = await new Deno.Command("mkfifo", { args: [history] }).output();
    assert.equal(made.code, 0);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MOD, file, "-q"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    // Killed if it hangs, so that the test fails rather than waits: with SIGKILL, as a main
    // thread blocked in a read never runs dagrun's SIGTERM handler.
    const hang = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const status = await child.status;
    clearTimeout(hang);
    assert.equal(status.code, 0, "dagrun did not end by itself: it read the FIFO");
    // The run's durations take the FIFO's place.
    assert.ok((await Deno.lstat(history)).isFile);
  } finally {
    await Deno.remove(file.replace(/\/tasks\.json$/, ""), { recursive: true });
  }
});

Deno.test("running a subset keeps the history of the tasks it leaves out", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "true" },
      { name: "b", type: "exec", arguments: "true" },
    ],
  });
  const history = file.replace(/tasks\.json$/, ".dagrun_history.json");
  try {
    assert.equal((await runCli([file])).code, 0);
    assert.equal((await runCli([file, "a"])).code, 0);
    const recorded = JSON.parse(await Deno.readTextFile(history)).files["tasks.json"];
    assert.deepEqual(Object.keys(recorded).sort(), ["a", "b"]);
  } finally {
    await Deno.remove(file.replace(/\/tasks\.json$/, ""), { recursive: true });
  }
});

Deno.test("criticalPathPriority() gives the same figures whatever the file order", () => {
  // A random DAG written in dependency order, then the same tasks reversed (no longer so).
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const inOrder: TaskSpec[] = Array.from({ length: 300 }, (_, i) => {
    const dependencies = new Set<string>();
    for (let d = 0; d < Math.min(i, 3); d++) dependencies.add(`t${Math.floor(next() * i)}`);
    return { name: `t${i}`, type: "fake", arguments: "", dependencies: [...dependencies] };
  });
  const durations = new Map(inOrder.map((task, i) => [task.name, (i * 37) % 11]));
  for (const history of [undefined, durations]) {
    const forward = criticalPathPriority(inOrder, history);
    const backward = criticalPathPriority(inOrder.toReversed(), history);
    assert.deepEqual([...backward].reverse(), [...forward]);
  }
});
