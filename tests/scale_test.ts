import assert from "node:assert/strict";
import { checkTaskFile } from "../src/check.ts";
import { TaskFileError } from "../src/errors.ts";
import { parseTaskFile } from "../src/load.ts";
import { ExecutorRegistry } from "../src/registry.ts";
import { schedule } from "../src/scheduler.ts";
import type { Executor } from "../src/types.ts";

const noop: Executor = { type: "noop", run: () => Promise.resolve({ ok: true }) };
const registry = new ExecutorRegistry().register(noop);

/** A task file's text, as a user would write it, from each task's dependency indices. */
function taskFileText(dependencies: (i: number) => number[], count: number): string {
  const tasks = [];
  for (let i = 0; i < count; i++) {
    tasks.push({
      name: `task-${i}`,
      type: "noop",
      arguments: null,
      dependencies: dependencies(i).map((d) => `task-${d}`),
    });
  }
  return JSON.stringify({ tasks }, null, 2);
}

/** Loads and checks like the CLI does, then runs with the no-op executor. */
async function validateAndRun(text: string) {
  const taskFile = parseTaskFile(text, { file: "scale.json" });
  checkTaskFile(taskFile, registry);
  return await schedule(taskFile.tasks, { executorFor: () => noop });
}

Deno.test("100,000 tasks with 300,000 edges validate and run without overflowing", async () => {
  const count = 100_000;
  // A deterministic spread: the previous task and two far-back ones, all distinct.
  const text = taskFileText((i) => {
    if (i < 3) return Array.from({ length: i }, (_, d) => d);
    const far = (i * 7919) % (i - 1);
    let farther = (i * 104_729) % (i - 1);
    if (farther === far) farther = (far + 1) % (i - 1);
    return [i - 1, far, farther];
  }, count);
  const edges = (text.match(/"task-\d+"/g)?.length ?? 0) - count;
  assert.equal(edges, 3 + 3 * (count - 3)); // 299,994
  const report = await validateAndRun(text);
  assert.equal(report.counts.ok, count);
});

Deno.test("a 100,000-task chain validates and runs to the end", async () => {
  const count = 100_000;
  const report = await validateAndRun(taskFileText((i) => i === 0 ? [] : [i - 1], count));
  assert.equal(report.counts.ok, count);
});

Deno.test("a 100,000-task cycle is found without recursion and reported on one line", () => {
  const count = 100_000;
  const text = taskFileText((i) => [(i + 1) % count], count);
  const taskFile = parseTaskFile(text, { file: "cycle.json" });
  assert.throws(
    () => checkTaskFile(taskFile, registry),
    (error: unknown) => {
      assert.ok(error instanceof TaskFileError);
      assert.match(
        error.message,
        /^cycle\.json:\d+:\d+: task "task-0": dependency cycle of 100000 tasks: task-0 -> .* -> \(99990 more\) -> .* -> task-99999 -> task-0$/,
      );
      return true;
    },
  );
});

Deno.test("a 100,000-task chain whose last task depends on the first is a cycle", () => {
  const count = 100_000;
  // Dependencies point backwards, so the walk runs the whole chain before closing the loop.
  const text = taskFileText((i) => i === 0 ? [count - 1] : [i - 1], count);
  const taskFile = parseTaskFile(text, { file: "cycle.json" });
  assert.throws(() => checkTaskFile(taskFile, registry), /dependency cycle of 100000 tasks/);
});
