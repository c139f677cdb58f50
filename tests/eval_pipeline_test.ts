import assert from "node:assert/strict";
import { createEvalExecutor } from "../executors/eval.ts";
import type { TaskResult } from "../src/types.ts";
import { contextFor, evalTask, type Line } from "./eval_helpers.ts";

/** Prints an id that stays with the worker, to tell workers apart. */
const WORKER_ID = "globalThis.__id ??= crypto.randomUUID(); console.log(globalThis.__id);";

Deno.test("tasks queued behind a stopped task on its worker run once, on a new worker", async () => {
  const executor = createEvalExecutor({ maxWorkers: 1 });
  try {
    const controller = new AbortController();
    const lines: Line[][] = [[], [], []];
    const stuck = executor.run(
      evalTask(`${WORKER_ID} await new Promise(() => {});`, 0),
      contextFor(lines[0]!, controller.signal),
    );
    // Sent to the same worker, queued behind the stuck task.
    const queued = [1, 2].map((i) => executor.run(evalTask(WORKER_ID, i), contextFor(lines[i]!)));
    while (lines[0]!.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort("timed out after 1s");
    assert.deepEqual(await stuck, { ok: false, error: "interrupted" });
    assert.deepEqual(await Promise.all(queued), [{ ok: true }, { ok: true }]);
    const [first, second, third] = lines.map((task) => task.map((line) => line.text));
    assert.equal(second!.length, 1, "ran once");
    assert.deepEqual(third, second, "both on the new worker");
    assert.notEqual(second![0], first![0], "not on the stopped task's worker");
  } finally {
    await executor.dispose?.();
  }
});

/**
 * Slow snippets: one awaiting, and one busy in synchronous code, whose worker reads no
 * message until it returns, so that taking the tasks queued behind it back must not need
 * its help.
 */
const SLOW_SNIPPETS = [
  ["awaiting", "await new Promise((r) => setTimeout(r, 1500));"],
  ["busy in synchronous code", "const end = Date.now() + 1500; while (Date.now() < end) {}"],
] as const;

for (const [kind, code] of SLOW_SNIPPETS) {
  Deno.test(`a slow task (${kind}) holds up only itself: tasks queued behind it move to an idle worker`, async () => {
    const executor = createEvalExecutor({ maxWorkers: 2 });
    try {
      const ended: string[] = [];
      const track = (name: string, result: Promise<TaskResult>) =>
        result.then((outcome) => {
          ended.push(name);
          return outcome;
        });
      const slow = track("slow", executor.run(evalTask(code, 0), contextFor([])));
      const quick = [1, 2, 3, 4].map((i) =>
        track(`quick${i}`, executor.run(evalTask("1 + 1", i), contextFor([])))
      );
      assert.deepEqual(await Promise.all([slow, ...quick]), Array(5).fill({ ok: true }));
      assert.equal(ended.at(-1), "slow", `ended in the order ${ended.join(", ")}`);
    } finally {
      await executor.dispose?.();
    }
  });
}

Deno.test("tasks queued on a worker that must be replaced run on the next one", async () => {
  const executor = createEvalExecutor({ maxWorkers: 1 });
  try {
    const lines: Line[][] = [[], [], []];
    const results = await Promise.all([
      WORKER_ID,
      "setTimeout(() => {}, 10_000); Promise.reject(new Error('stray'));",
      WORKER_ID,
    ].map((code, i) => executor.run(evalTask(code, i), contextFor(lines[i]!))));
    assert.deepEqual(results.map((result) => result.ok), [true, false, true]);
    const [before, , after] = lines.map((task) => task.find((l) => l.stream === "stdout")?.text);
    assert.ok(before && after);
    assert.notEqual(after, before, "a new worker after a stray rejection");
  } finally {
    await executor.dispose?.();
  }
});

Deno.test("a task stopped just as it ended does not take down the task its worker started next", async () => {
  // The worker ends the first task and starts the second before this thread, held up, reads
  // the first one's `done`; then the first task's time limit fires. Terminating the worker
  // then would fail the second task, which did nothing wrong.
  const executor = createEvalExecutor({ maxWorkers: 1 });
  try {
    const tasks = [evalTask("1", 0)];
    executor.prepare?.(tasks, { concurrency: 1 });
    // The worker is ready once a first task has run.
    assert.deepEqual(await executor.run(tasks[0]!, contextFor([])), { ok: true });
    const limit = new AbortController();
    const first = executor.run(
      evalTask("const end = Date.now() + 20; while (Date.now() < end) {}", 1),
      contextFor([], limit.signal),
    );
    const second = executor.run(
      evalTask("await new Promise((resolve) => setTimeout(resolve, 300));", 2),
      contextFor([]),
    );
    const timer = setTimeout(() => limit.abort("timed out after 0.05s"), 50);
    const busyUntil = performance.now() + 200;
    while (performance.now() < busyUntil) { /* the main thread is busy */ }
    await new Promise((resolve) => setTimeout(resolve, 0));
    clearTimeout(timer);
    await first;
    assert.deepEqual(await second, { ok: true });
  } finally {
    await executor.dispose?.();
  }
});
