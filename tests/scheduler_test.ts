import assert from "node:assert/strict";
import { schedule } from "../src/scheduler.ts";
import type { TaskSpec } from "../src/types.ts";
import { eventLog, FakeExecutor, type FakeOutcome, graph } from "./helpers.ts";

function runFake(
  tasks: TaskSpec[],
  outcomes: Record<string, FakeOutcome> = {},
  concurrency?: number,
) {
  const executor = new FakeExecutor(outcomes);
  const log = eventLog();
  const report = schedule(tasks, {
    executorFor: () => executor,
    onEvent: log.onEvent,
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  return { executor, report, events: log.events };
}

Deno.test("schedule() runs dependencies before dependents", async () => {
  const { executor, report } = runFake(graph({ c: ["b"], b: ["a"], a: [] }, "fake"));
  assert.equal((await report).ok, true);
  assert.deepEqual(executor.started, ["a", "b", "c"]);
});

Deno.test("schedule() starts every ready task at once when unlimited", async () => {
  const tasks = graph(
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${i}`, []])),
    "fake",
  );
  const { executor, report } = runFake(tasks, { t0: { ms: 5 } });
  await report;
  assert.equal(executor.peakRunning, 20);
});

Deno.test("schedule() never runs more than the concurrency limit, ties in file order", async () => {
  const tasks = graph({ a: [], b: [], c: [], d: [], e: [] }, "fake");
  const outcomes = Object.fromEntries(tasks.map((t) => [t.name, { ms: 2 }]));
  const { executor, report } = runFake(tasks, outcomes, 2);
  await report;
  assert.equal(executor.peakRunning, 2);
  assert.deepEqual(executor.started, ["a", "b", "c", "d", "e"]);
});

Deno.test("schedule() skips dependents of a failed task transitively, naming the root", async () => {
  const { report } = runFake(graph({ a: [], b: ["a"], c: ["b"], d: [] }, "fake"), {
    a: { ok: false },
  });
  const result = await report;
  const byName = Object.fromEntries(result.tasks.map((task) => [task.name, task]));
  assert.equal(byName.a!.status, "failed");
  assert.equal(byName.b!.status, "skipped");
  assert.equal(byName.b!.reason, 'dependency "a" failed');
  assert.equal(byName.c!.status, "skipped");
  assert.match(byName.c!.reason!, /"a" failed/);
  assert.equal(byName.d!.status, "ok");
  assert.deepEqual(result.counts, { ok: 1, failed: 1, skipped: 2 });
  assert.equal(result.ok, false);
});

Deno.test("schedule() starts a task in the same turn its last dependency ends", async () => {
  const tasks = graph({ a: [], b: ["a"] }, "fake");
  const { report, events } = runFake(tasks, { a: { ms: 10 } });
  await report;
  const endA = events.findIndex((e) => e.event === "task_ended" && e.task === "a");
  const startB = events.findIndex((e) => e.event === "task_started" && e.task === "b");
  // Nothing happens between a's end and b's start: not a poll, not another task.
  assert.equal(startB, endA + 1);
});

Deno.test("schedule() cancels pending tasks when the signal aborts", async () => {
  const controller = new AbortController();
  const tasks = graph({ a: [], b: ["a"] }, "fake");
  const executor = new FakeExecutor({ a: { ms: 20 } });
  const report = schedule(tasks, { executorFor: () => executor, signal: controller.signal });
  controller.abort("interrupted");
  const result = await report;
  assert.equal(result.cancelled, true);
  assert.equal(result.tasks[1]!.status, "skipped");
  assert.equal(result.tasks[1]!.reason, "cancelled");
});

Deno.test("schedule() resolves at once for an empty graph", async () => {
  const result = await schedule([], { executorFor: () => new FakeExecutor() });
  assert.equal(result.ok, true);
  assert.equal(result.tasks.length, 0);
});
