import assert from "node:assert/strict";
// Tests may import npm packages directly, pinned (see the brief); deps.ts is for the library.
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import { schedule } from "../src/scheduler.ts";
import type { Executor, RunEvent, RunReport, TaskResult, TaskSpec } from "../src/types.ts";

/**
 * With priorities that rank by counting, the scheduler numbers tasks by rank internally
 * (see Run's #slotOf); with any other priorities it keeps file order and a heap. These tests
 * run the same graph both ways and compare every event and the report: a resumed task, whose
 * priority is never read, is given NaN, which only sends the run the file-order way.
 */

type Outcome = "ok" | "fail" | "reject" | "throw";

interface Case {
  readonly tasks: TaskSpec[];
  readonly outcomes: ReadonlyMap<string, { outcome: Outcome; hops: number }>;
  readonly priority: number[];
  readonly resumed: ReadonlySet<string>;
  readonly concurrency: number | undefined;
  readonly failFast: boolean;
}

const cases: fc.Arbitrary<Case> = fc.record({
  nodes: fc.array(
    fc.record({
      picks: fc.uniqueArray(fc.nat(), { maxLength: 4 }),
      outcome: fc.constantFrom<Outcome>("ok", "ok", "ok", "ok", "fail", "reject", "throw"),
      // Microtask hops before the executor's promise settles: deterministic interleavings.
      hops: fc.integer({ min: 0, max: 3 }),
      priority: fc.constantFrom(0, 1, 2, 2.5, 7, -0),
      allowFailure: fc.boolean(),
      retries: fc.constantFrom(0, 0, 1),
      sortKey: fc.nat(),
    }),
    { minLength: 2, maxLength: 120, size: "max" },
  ),
  resumedPick: fc.nat(),
  concurrency: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  failFast: fc.boolean(),
}).map(({ nodes, resumedPick, concurrency, failFast }) => {
  const keyed = nodes.map((node, i) => ({
    task: {
      name: `t${i}`,
      type: "fake",
      arguments: null,
      dependencies: i === 0 ? [] : [...new Set(node.picks.map((pick) => `t${pick % i}`))],
      ...(node.allowFailure ? { allowFailure: true } : {}),
      ...(node.retries > 0 ? { retries: node.retries } : {}),
    } satisfies TaskSpec,
    node,
  }));
  // File order shuffled, so that dependencies are not always above their dependents.
  keyed.sort((a, b) => a.node.sortKey - b.node.sortKey);
  return {
    tasks: keyed.map(({ task }) => task),
    outcomes: new Map(keyed.map(({ task, node }) => [task.name, node])),
    priority: keyed.map(({ node }) => node.priority),
    resumed: new Set([keyed[resumedPick % keyed.length]!.task.name]),
    concurrency,
    failFast,
  };
});

function executor(outcomes: Case["outcomes"]): Executor {
  return {
    type: "fake",
    run(task): Promise<TaskResult> {
      const { outcome, hops } = outcomes.get(task.name)!;
      if (outcome === "throw") throw new Error("executor bug");
      let settled: Promise<TaskResult> = outcome === "reject"
        ? Promise.reject(new Error("rejected"))
        : Promise.resolve(outcome === "ok" ? { ok: true } : { ok: false, error: "planned" });
      for (let hop = 0; hop < hops; hop++) settled = settled.then((result) => result);
      return settled;
    },
  };
}

/** Every event and the report, less the clock's figures. */
async function trace(
  plan: Case,
  priority: ArrayLike<number>,
): Promise<{ events: unknown[]; report: unknown }> {
  const events: unknown[] = [];
  const report: RunReport = await schedule(plan.tasks, {
    executorFor: () => executor(plan.outcomes),
    priority,
    resumed: plan.resumed,
    failFast: plan.failFast,
    identity: { file: "f", tasksHash: "h", hashes: plan.tasks.map((task) => `#${task.name}`) },
    onEvent: (event: RunEvent) => events.push(withoutTimes(event)),
    ...(plan.concurrency === undefined ? {} : { concurrency: plan.concurrency }),
  });
  return { events, report: withoutTimes(report) };
}

function withoutTimes(value: object): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, item) => key === "time" || key === "durationMs" ? 0 : item),
  );
}

Deno.test("renumbering tasks by priority changes no event, no order and no report", async () => {
  await fc.assert(
    fc.asyncProperty(cases, async (plan) => {
      const resumedIndex = plan.tasks.findIndex((task) => plan.resumed.has(task.name));
      const fileOrder = plan.priority.slice();
      fileOrder[resumedIndex] = NaN;
      const renumbered = await trace(plan, plan.priority);
      assert.deepEqual(renumbered, await trace(plan, fileOrder));
    }),
    { numRuns: 150 },
  );
});

Deno.test("a renumbered run starts tasks by priority and reports them in file order", async () => {
  const tasks: TaskSpec[] = ["a", "b", "c", "d"].map((name) => ({
    name,
    type: "fake",
    arguments: null,
    dependencies: name === "d" ? ["a"] : [],
  }));
  const outcomes = new Map(tasks.map((task) => [task.name, { outcome: "ok" as const, hops: 0 }]));
  const started: string[] = [];
  const report = await schedule(tasks, {
    executorFor: () => executor(outcomes),
    concurrency: 1,
    priority: [1, 2, 3, 0],
    onEvent: (event) => {
      if (event.event === "task_started") started.push(event.task);
    },
  });
  assert.deepEqual(started, ["c", "b", "a", "d"]);
  assert.deepEqual(report.tasks.map((task) => task.name), ["a", "b", "c", "d"]);
  assert.equal(report.ok, true);
});
