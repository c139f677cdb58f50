import assert from "node:assert/strict";
import { criticalPath } from "../src/critical_path.ts";
import { formatPlan, planRun } from "../src/format/plan.ts";
import type { TaskSpec } from "../src/types.ts";
import { graph, runCli, writeTaskFile, writeTrueTasks } from "./helpers.ts";

Deno.test("criticalPath() follows the longest chain by duration", () => {
  const tasks = graph({ a: [], b: ["a"], c: [], d: ["b", "c"], e: ["c"] });
  const durations = new Map([["a", 1], ["b", 1], ["c", 5], ["d", 1], ["e", 0.5]]);
  assert.deepEqual(criticalPath(tasks, durations), { tasks: ["c", "d"], length: 6 });
  durations.set("a", 10);
  assert.deepEqual(criticalPath(tasks, durations), { tasks: ["a", "b", "d"], length: 12 });
});

Deno.test("planRun() simulates starts under the concurrency limit with known durations", async () => {
  const tasks = graph({ a: [], b: [], c: [], d: ["a"] });
  const durations = new Map([["a", 100], ["b", 300], ["c", 50], ["d", 20]]);
  const plan = await planRun(tasks, { concurrency: 2, durations });
  assert.deepEqual(plan.starts.map((s) => [s.task, s.start]), [
    ["a", 0],
    ["b", 0],
    ["c", 100],
    ["d", 150],
  ]);
  assert.equal(plan.makespan, 300);
  assert.deepEqual(plan.criticalPath, { tasks: ["b"], length: 300 });
  assert.equal(plan.timed, true);
});

Deno.test("planRun() follows the scheduler's priority", async () => {
  const tasks = graph({ a: [], b: [], c: [] });
  const plan = await planRun(tasks, { concurrency: 1, priority: [0, 1, 2] });
  assert.deepEqual(plan.starts.map((s) => s.task), ["c", "b", "a"]);
});

Deno.test("planRun() counts one step per task when no duration is known", async () => {
  const plan = await planRun(graph({ a: [], b: ["a"], c: ["b"], d: [] }));
  assert.deepEqual(plan.starts.map((s) => [s.task, s.start]), [["a", 0], ["d", 0], [
    "b",
    1,
  ], ["c", 2]]);
  assert.equal(plan.timed, false);
  assert.match(formatPlan(plan, undefined), /^Longest chain: a -> b -> c \(3 tasks\)$/m);
});

Deno.test("planRun() handles a 10,000-task graph", async () => {
  const tasks = Array.from({ length: 10_000 }, (_, i): TaskSpec => ({
    name: `t${i}`,
    type: "exec",
    arguments: "",
    dependencies: i < 100 ? [] : [`t${i - 100}`],
  }));
  const plan = await planRun(tasks, { concurrency: 8 });
  assert.equal(plan.starts.length, 10_000);
});

Deno.test("formatPlan() prints a plan of 300,000 starts without overflowing the stack", () => {
  // The column width was Math.max(...starts): past about 120,000 arguments, a RangeError
  // that the command line reported as an internal error.
  const starts = Array.from(
    { length: 300_000 },
    (_, i) => ({ task: `t${i}`, start: 0, duration: 1 }),
  );
  const text = formatPlan({
    starts,
    timed: false,
    known: 0,
    makespan: 1,
    criticalPath: { tasks: ["t0"], length: 1 },
  }, undefined);
  assert.match(text, /^Plan: 300000 tasks, /);
  assert.ok(text.includes("\n300000. step 1  t299999\n"));
});

Deno.test("formatPlan() says 1 task, and names no chain for no tasks", async () => {
  assert.match(formatPlan(await planRun(graph({ a: [] })), undefined), /^Plan: 1 task, /);
  assert.equal(
    formatPlan(await planRun([]), 2),
    "Plan: 0 tasks, concurrency 2, durations unknown (one step each)\n" +
      "Longest chain: none\nNothing was run (--dry-run).\n",
  );
});

Deno.test("--dry-run prints the plan and runs nothing", async () => {
  const marker = `${await Deno.makeTempDir()}/ran`;
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: `touch ${marker}` },
      { name: "b", type: "exec", arguments: `touch ${marker}`, dependencies: ["a"] },
    ],
  });
  const { code, stdout } = await runCli([file, "--dry-run"]);
  assert.equal(code, 0);
  assert.equal(
    stdout,
    "Plan: 2 tasks, concurrency unlimited, durations unknown (one step each)\n" +
      "1. step 1  a\n2. step 2  b\nLongest chain: a -> b (2 tasks)\nNothing was run (--dry-run).\n",
  );
  await assert.rejects(Deno.stat(marker));
});

Deno.test("--dry-run plans under the task file's own concurrency", async () => {
  const file = await writeTaskFile({
    concurrency: 1,
    tasks: [
      { name: "a", type: "exec", arguments: "true" },
      { name: "b", type: "exec", arguments: "true" },
    ],
  });
  const { code, stdout } = await runCli([file, "--dry-run"]);
  assert.equal(code, 0);
  assert.equal(
    stdout,
    "Plan: 2 tasks, concurrency 1, durations unknown (one step each)\n" +
      "1. step 1  a\n2. step 2  b\nLongest chain: a (1 task)\nNothing was run (--dry-run).\n",
  );
});

Deno.test("--dry-run --from-report takes durations from a previous NDJSON run", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "sleep 0.3" },
      { name: "b", type: "exec", arguments: "true" },
      { name: "c", type: "exec", arguments: "true", dependencies: ["a"] },
    ],
  });
  const previous = await runCli([file, "--format", "ndjson"]);
  const report = file.replace(/tasks\.json$/, "run.ndjson");
  await Deno.writeTextFile(report, previous.stdout);
  const { code, stdout } = await runCli([file, "--dry-run", "-j", "1", "--from-report", report]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /durations from earlier runs \(3 known\)/);
  assert.match(stdout, /^1\. \+0ms +a$/m);
  assert.match(stdout, /^Critical path: a -> c \(\d+ms\); estimated run \d+ms$/m);
});

Deno.test("planRun() simulates 20,000 running tasks with distinct durations, ending at the longest", async () => {
  const tasks = Array.from({ length: 20_000 }, (_, i): TaskSpec => ({
    name: `t${i}`,
    type: "exec",
    arguments: "",
    dependencies: [],
  }));
  const durations = new Map(tasks.map((task, i) => [task.name, 20_000 - i]));
  const plan = await planRun(tasks, { durations });
  assert.equal(plan.makespan, 20_000);
  assert.equal(plan.starts.length, 20_000);
});

Deno.test("--dry-run refuses --format ndjson and the report files, which it would ignore", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  for (
    const [flags, named] of [
      [["--format", "ndjson"], "--format ndjson"],
      [["--report", `${file}.ndjson`], "--report"],
      [["--report-html", `${file}.html`], "--report-html"],
      [["--trace", `${file}.trace`], "--trace"],
    ] as const
  ) {
    const result = await runCli([file, "--dry-run", "--no-history", ...flags]);
    assert.equal(result.code, 2, named);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`^dagrun: Cannot use ${named} with --dry-run: `));
  }
  for (const extension of ["ndjson", "html", "trace"]) {
    assert.equal(await Deno.stat(`${file}.${extension}`).then(() => true, () => false), false);
  }
});

Deno.test("--dry-run refuses --resume (which it would ignore) and a --from-report that is no report", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  const empty = `${file}.ndjson`;
  await Deno.writeTextFile(empty, "");
  const resume = await runCli([file, "--dry-run", "--resume", empty]);
  assert.equal(resume.code, 2);
  assert.match(resume.stderr, /^dagrun: Cannot use --resume with --dry-run: /);
  const fromEmpty = await runCli([file, "--dry-run", "--from-report", empty]);
  assert.equal(fromEmpty.code, 2);
  assert.equal(
    fromEmpty.stderr,
    `dagrun: ${empty}: not a dagrun NDJSON report: it has no run_started event\n`,
  );
});

Deno.test("--dry-run --from-report leaves out durations no run could have recorded", async () => {
  // A report edited by hand or damaged: an infinite, negative or absurd duration would be
  // planned as "+InfinitymNaNs" or "+-5000ms"; it is taken as unknown, like a missing one.
  const file = await writeTaskFile({
    tasks: ["a", "b", "c", "d", "e"].map((name) => ({ name, type: "exec", arguments: "true" })),
  });
  const report = `${file}.ndjson`;
  await Deno.writeTextFile(
    report,
    [
      '{"event":"run_started","total":5,"time":1}',
      '{"event":"task_ended","task":"a","status":"ok","durationMs":1e400,"time":2}',
      '{"event":"task_ended","task":"b","status":"ok","durationMs":-5000,"time":2}',
      '{"event":"task_ended","task":"c","status":"ok","durationMs":1e300,"time":2}',
      '{"event":"task_ended","task":"d","status":"ok","durationMs":40,"time":2}',
      '{"event":"run_ended","tasks":[{"name":"e","status":"ok","durationMs":-1}],"time":3}',
    ].join("\n") + "\n",
  );
  const plan = await runCli([file, "--dry-run", "-j", "1", "--from-report", report]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /durations from earlier runs \(1 known\)/);
  assert.doesNotMatch(plan.stdout, /Infinity|NaN|\+-/);
  assert.match(plan.stdout, /estimated run 200ms/);
});

Deno.test("--dry-run and graph refuse a --from-report of another task file; a report of another subset is fine", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "true" },
      { name: "b", type: "exec", arguments: "true" },
    ],
  });
  const dir = file.replace(/\/tasks\.json$/, "");
  const other = `${dir}/other.json`;
  await Deno.writeTextFile(
    other,
    JSON.stringify({ tasks: [{ name: "x", type: "exec", arguments: "true" }] }),
  );
  const report = `${dir}/run.ndjson`;
  try {
    // A run of the subset "a" alone.
    assert.equal((await runCli([file, "a", "--report", report, "-q", "--no-history"])).code, 0);
    const refusal = (use: string) =>
      `dagrun: ${report}: is a report of another task file (${file}): its one task is not in ${other}; refusing to ${use} from it\n`;
    const plan = await runCli([other, "--dry-run", "--from-report", report]);
    assert.equal(plan.code, 2);
    assert.equal(plan.stdout, "");
    assert.equal(plan.stderr, refusal("plan"));
    const graph = await runCli(["graph", other, "--from-report", report]);
    assert.equal(graph.code, 2);
    assert.equal(graph.stdout, "");
    assert.equal(graph.stderr, refusal("colour the graph"));
    // Another subset of the same file: the plan of "b" has no duration for it, but is made.
    const subset = await runCli([file, "b", "--dry-run", "--from-report", report]);
    assert.equal(subset.code, 0);
    assert.match(subset.stdout, /^Plan: 1 task, /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--from-report of another task file names both files escaped once, whatever their names hold", async () => {
  const dir = await Deno.makeTempDir();
  // A control character in each path: the one the report names and the one given.
  const ran = `${dir}/ran\u0007.json`, other = `${dir}/other\u0001.json`;
  const report = `${dir}/run.ndjson`;
  try {
    await writeTrueTasks(ran, ["a"]);
    await writeTrueTasks(other, ["x"]);
    assert.equal((await runCli([ran, "--report", report, "-q", "--no-history"])).code, 0);
    const plan = await runCli([other, "--dry-run", "--from-report", report]);
    assert.equal(plan.code, 2);
    assert.equal(
      plan.stderr,
      `dagrun: ${report}: is a report of another task file (${dir}/ran\\u0007.json): its one task is not in ${dir}/other\\u0001.json; refusing to plan from it\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
