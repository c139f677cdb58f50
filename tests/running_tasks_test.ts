import assert from "node:assert/strict";
import { schedule } from "../src/scheduler.ts";
import type { Executor, TaskSpec } from "../src/types.ts";
import { graph } from "./helpers.ts";
import { createExecExecutor } from "../executors/exec.ts";

type Counts = Record<string, [number | undefined, number | undefined]>;

/**
 * An executor recording what `runningTasks` says when it is called, and once the tasks
 * started in the same turn have been (after a microtask).
 */
function counting(seen: Counts): Executor {
  return {
    type: "fake",
    run: async (task, context) => {
      const atCall = context.runningTasks?.();
      await Promise.resolve();
      seen[task.name] = [atCall, context.runningTasks?.()];
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { ok: true };
    },
  };
}

for (const listening of [false, true]) {
  Deno.test(`schedule() tells executors how many tasks run (${listening ? "with" : "without"} listeners)`, async () => {
    const seen: Counts = {};
    // a, then b and c together, then d alone.
    const tasks: TaskSpec[] = graph({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] }, "fake");
    const executor = counting(seen);
    const report = await schedule(tasks, {
      executorFor: () => executor,
      ...(listening ? { onEvent: () => {} } : {}),
    });
    assert.equal(report.ok, true);
    assert.deepEqual(seen, { a: [1, 1], b: [1, 2], c: [2, 2], d: [1, 1] });
  });
}

Deno.test("a plain command started with another task does not hold up that task", async () => {
  // The exec task could be waited for on the main thread for its whole 0.3 s; the timer
  // task started in the same turn must still see its 1 ms timer fire on time.
  const exec = createExecExecutor({ quickWaitMs: 10_000 });
  let timerLateMs = NaN;
  const timer: Executor = {
    type: "timer",
    run: async () => {
      const start = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1));
      timerLateMs = performance.now() - start - 1;
      return { ok: true };
    },
  };
  for (const order of [["exec", "timer"], ["timer", "exec"]]) {
    const tasks: TaskSpec[] = order.map((type) => ({
      name: type,
      type,
      arguments: type === "exec" ? "sleep 0.3" : null,
      dependencies: [],
    }));
    const report = await schedule(tasks, {
      executorFor: (type) => type === "exec" ? exec : timer,
    });
    assert.equal(report.ok, true);
    assert.ok(timerLateMs < 200, `the timer fired ${timerLateMs} ms late`);
  }
});

Deno.test("a chain of short plain commands lets the event loop turn within the quick wait", async () => {
  // Each child (50 ms) ends within the 120 ms the main thread may be held; were that bound
  // per child rather than between turns of the event loop, the whole chain (0.5 s) would
  // run without one, and the timer below would never fire before its end.
  const exec = createExecExecutor({ quickWaitMs: 120 });
  const tasks: TaskSpec[] = Array.from({ length: 10 }, (_, i) => ({
    name: `t${i}`,
    type: "exec",
    arguments: "sleep 0.05",
    dependencies: i === 0 ? [] : [`t${i - 1}`],
  }));
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const report = await schedule(tasks, { executorFor: () => exec });
  ticking = false;
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(report.ok, true);
  // At least one turn per 120 ms held: 4 in 0.5 s.
  assert.ok(turns >= 4, `${turns} turns`);
});

Deno.test("exec tasks sharing one signal are each stopped when it aborts, finished ones not", async () => {
  const exec = createExecExecutor({ graceMs: 5_000 });
  const controller = new AbortController();
  const context = {
    signal: controller.signal,
    timeoutMs: undefined,
    env: undefined,
    cwd: Deno.cwd(),
    baseDir: Deno.cwd(),
    output: () => {},
  };
  const task = (name: string, command: string) =>
    exec.run({ name, type: "exec", arguments: command, dependencies: [] }, context);
  for (let i = 0; i < 5; i++) assert.equal((await task(`done${i}`, "/bin/true")).ok, true);
  // Plain words and a shell command, so both spawn paths share the signal.
  const running = [task("a", "sleep 30"), task("b", "sleep 30"), task("c", "sleep 30; true")];
  await new Promise((resolve) => setTimeout(resolve, 100));
  controller.abort();
  for (const result of await Promise.all(running)) {
    assert.deepEqual(result, { ok: false, signal: "SIGTERM", error: "killed by SIGTERM" });
  }
});
