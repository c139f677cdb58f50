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

Deno.test("schedule() tells running tasks to stop on fail-fast even with no listener", async () => {
  // Without onEvent the scheduler hands tasks one shared context: its signal must still be
  // the run's own, or fail-fast would never reach them.
  const executor = {
    type: "fake",
    run: (task: TaskSpec, context: { signal: AbortSignal }) =>
      new Promise<{ ok: boolean; error?: string }>((resolve) => {
        if (task.name === "fails") return setTimeout(() => resolve({ ok: false }), 10);
        const safety = setTimeout(() => resolve({ ok: true }), 5_000);
        context.signal.addEventListener("abort", () => {
          clearTimeout(safety);
          resolve({ ok: false, error: "stopped" });
        });
      }),
  };
  const report = await schedule(graph({ waits: [], fails: [] }, "fake"), {
    executorFor: () => executor,
    failFast: true,
  });
  assert.equal(report.tasks[0]!.status, "failed", "the waiting task was stopped");
  assert.match(report.tasks[0]!.error!, /fail-fast/);
});

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("schedule() skips the tasks on and after a cycle, naming it, and runs the rest", async (t) => {
  // b and c wait on each other; d waits on c; a and e are free.
  const tasks = graph({ a: [], b: ["a", "c"], c: ["b"], d: ["c"], e: ["a"] }, "fake");
  for (const priority of [undefined, new Float64Array([1, 5, 4, 3, 2])]) {
    await t.step(priority ? "numbered by priority" : "in file order", async () => {
      const executor = new FakeExecutor({ a: { ms: 2 } });
      const log = eventLog();
      const report = await within(
        schedule(tasks, {
          executorFor: () => executor,
          onEvent: log.onEvent,
          ...(priority ? { priority } : {}),
        }),
        5_000,
        "schedule()",
      );
      assert.deepEqual(executor.started, ["a", "e"]);
      assert.equal(report.ok, false);
      assert.deepEqual(report.counts, { ok: 2, failed: 0, skipped: 3 });
      const skipped = log.events.flatMap((event) =>
        event.event === "task_skipped" ? [[event.task, event.reason]] : []
      );
      const reason = "dependency cycle: b -> c -> b";
      assert.deepEqual(skipped, [["b", reason], ["c", reason], ["d", reason]]);
      assert.equal(log.events.at(-1)!.event, "run_ended");
    });
  }
  await t.step("every task on a cycle", async () => {
    const report = await within(
      schedule(graph({ p: ["q"], q: ["p"] }, "fake"), { executorFor: () => new FakeExecutor() }),
      5_000,
      "schedule()",
    );
    assert.deepEqual(report.tasks.map((task) => task.status), ["skipped", "skipped"]);
  });
});

Deno.test("schedule() rejects a dependency that names no task, starting nothing", async () => {
  const executor = new FakeExecutor();
  let returned: Promise<unknown> | undefined;
  assert.doesNotThrow(() => {
    returned = schedule(graph({ a: [], b: ["a", "nope"] }, "fake"), {
      executorFor: () => executor,
    });
  });
  await assert.rejects(returned!, {
    message: 'task "b" depends on "nope", which is not a task',
  });
  assert.deepEqual(executor.started, []);
});
