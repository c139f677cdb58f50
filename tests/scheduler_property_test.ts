import assert from "node:assert/strict";
// Tests may import npm packages directly, pinned (see the brief); deps.ts is for the library.
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import { schedule } from "../src/scheduler.ts";
import type {
  Executor,
  ExecutorContext,
  RunEvent,
  RunReport,
  TaskResult,
  TaskSpec,
} from "../src/types.ts";

/** How a fake task ends: ok, a failed result, a rejected promise or a synchronous throw. */
type Outcome = "ok" | "fail" | "reject" | "throw";

interface Plan {
  readonly tasks: TaskSpec[];
  readonly outcomes: Map<string, { outcome: Outcome; delay: number }>;
  readonly concurrency: number | undefined;
}

/**
 * Random DAGs of 1 to 300 tasks: each task depends on up to four tasks generated before it
 * (so the graph is acyclic), and the file order is then shuffled so that dependencies are not
 * always above their dependents.
 */
const plans: fc.Arbitrary<Plan> = fc.record({
  nodes: fc.array(
    fc.record({
      picks: fc.uniqueArray(fc.nat(), { maxLength: 4 }),
      outcome: fc.constantFrom<Outcome>("ok", "ok", "ok", "ok", "ok", "fail", "reject", "throw"),
      // 0: ends in a microtask; otherwise after that many milliseconds.
      delay: fc.constantFrom(0, 0, 0, 1, 2),
      sortKey: fc.nat(),
    }),
    { minLength: 1, maxLength: 300, size: "max" },
  ),
  concurrency: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
}).map(({ nodes, concurrency }) => {
  const tasks = nodes.map((node, i): TaskSpec & { sortKey: number } => ({
    name: `t${i}`,
    type: "fake",
    arguments: null,
    dependencies: i === 0 ? [] : [...new Set(node.picks.map((pick) => `t${pick % i}`))],
    sortKey: node.sortKey,
  }));
  tasks.sort((a, b) => a.sortKey - b.sortKey);
  const outcomes = new Map(
    nodes.map((node, i) => [`t${i}`, { outcome: node.outcome, delay: node.delay }]),
  );
  return {
    tasks: tasks.map(({ sortKey: _, ...task }) => task),
    outcomes,
    concurrency,
  };
});

/** Ends each task as its plan says, honours aborts, and records the most running at once. */
class RandomExecutor implements Executor {
  readonly type = "fake";
  running = 0;
  peakRunning = 0;

  constructor(readonly outcomes: Plan["outcomes"]) {}

  run(task: TaskSpec, context: ExecutorContext): Promise<TaskResult> {
    const { outcome, delay } = this.outcomes.get(task.name)!;
    if (outcome === "throw") throw new Error("executor bug");
    this.running++;
    this.peakRunning = Math.max(this.peakRunning, this.running);
    return new Promise<TaskResult>((resolve, reject) => {
      const finish = () => {
        context.signal.removeEventListener("abort", stop);
        this.running--;
        if (outcome === "reject") reject(new Error("rejected"));
        else resolve(outcome === "ok" ? { ok: true } : { ok: false, error: "planned failure" });
      };
      const stop = () => {
        clearTimeout(timer);
        this.running--;
        resolve({ ok: false, error: "stopped" });
      };
      const timer = delay === 0 ? undefined : setTimeout(finish, delay);
      if (delay === 0) queueMicrotask(finish);
      context.signal.addEventListener("abort", stop, { once: true });
    });
  }
}

async function runPlan(
  plan: Plan,
  failFast = false,
): Promise<{ report: RunReport; events: RunEvent[]; executor: RandomExecutor }> {
  const executor = new RandomExecutor(plan.outcomes);
  const events: RunEvent[] = [];
  const report = await schedule(plan.tasks, {
    executorFor: () => executor,
    onEvent: (event) => events.push(event),
    ...(plan.concurrency === undefined ? {} : { concurrency: plan.concurrency }),
    ...(failFast ? { failFast } : {}),
  });
  return { report, events, executor };
}

/** The status each task must end in: a planned failure fails, its descendants are skipped. */
function expectedStatuses(plan: Plan): Map<string, string> {
  const byName = new Map(plan.tasks.map((task) => [task.name, task]));
  const status = new Map<string, string>();
  // Names are t0..tN with dependencies on lower numbers: numeric order is topological.
  for (let i = 0; i < plan.tasks.length; i++) {
    const name = `t${i}`;
    const blocked = byName.get(name)!.dependencies.some((dep) => status.get(dep) !== "ok");
    status.set(
      name,
      blocked ? "skipped" : plan.outcomes.get(name)!.outcome === "ok" ? "ok" : "failed",
    );
  }
  return status;
}

const RUNS = { numRuns: 60 };

Deno.test("schedule() ends every task exactly once, in the status its ancestors dictate", async () => {
  await fc.assert(
    fc.asyncProperty(plans, async (plan) => {
      const { report, events } = await runPlan(plan);
      const ends = new Map<string, number>();
      for (const event of events) {
        if (event.event === "task_ended" || event.event === "task_skipped") {
          ends.set(event.task, (ends.get(event.task) ?? 0) + 1);
        }
      }
      const expected = expectedStatuses(plan);
      for (const task of report.tasks) {
        assert.equal(ends.get(task.name), 1, `${task.name} ended ${ends.get(task.name)} times`);
        assert.equal(task.status, expected.get(task.name), task.name);
      }
      const { ok, failed, skipped } = report.counts;
      assert.equal(ok + failed + skipped, plan.tasks.length);
      assert.equal(events.filter((event) => event.event === "run_ended").length, 1);
      assert.equal(events.at(-1)!.event, "run_ended");
    }),
    RUNS,
  );
});

Deno.test("schedule() starts a task only after all its dependencies ended ok", async () => {
  await fc.assert(
    fc.asyncProperty(plans, async (plan) => {
      const { events } = await runPlan(plan);
      const dependencies = new Map(plan.tasks.map((task) => [task.name, task.dependencies]));
      const endedOk = new Set<string>();
      for (const event of events) {
        if (event.event === "task_ended" && event.status === "ok") endedOk.add(event.task);
        if (event.event === "task_started") {
          for (const dependency of dependencies.get(event.task)!) {
            assert.ok(endedOk.has(dependency), `${event.task} started before ${dependency}`);
          }
        }
      }
    }),
    RUNS,
  );
});

Deno.test("schedule() never runs more tasks at once than the limit", async () => {
  await fc.assert(
    fc.asyncProperty(plans, async (plan) => {
      const { events, executor } = await runPlan(plan);
      let running = 0, peak = 0;
      for (const event of events) {
        if (event.event === "task_started") peak = Math.max(peak, ++running);
        if (event.event === "task_ended") running--;
      }
      const limit = plan.concurrency ?? Infinity;
      assert.ok(peak <= limit, `${peak} running with a limit of ${limit}`);
      assert.ok(executor.peakRunning <= limit);
    }),
    RUNS,
  );
});

Deno.test("schedule() without a limit starts each task as soon as its dependencies end", async () => {
  await fc.assert(
    fc.asyncProperty(plans, async (plan) => {
      const { events } = await runPlan({ ...plan, concurrency: undefined });
      const dependencies = new Map(plan.tasks.map((task) => [task.name, task.dependencies]));
      const position = new Map<string, number>();
      events.forEach((event, i) => {
        if (event.event === "task_ended" || event.event === "task_started") {
          position.set(`${event.event}:${event.task}`, i);
        }
      });
      const firstEnd = events.findIndex((event) => event.event === "task_ended");
      for (const task of plan.tasks) {
        const started = position.get(`task_started:${task.name}`);
        if (started === undefined) continue; // skipped
        const deps = dependencies.get(task.name)!;
        // The moment it could start: the run's start, or the end of its last dependency.
        const readyAt = deps.length === 0
          ? events.findIndex((event) => event.event === "run_started")
          : Math.max(...deps.map((dep) => position.get(`task_ended:${dep}`)!));
        assert.ok(deps.length > 0 || firstEnd === -1 || started < firstEnd);
        // Between becoming ready and starting, only other starts: no other task ended.
        for (let i = readyAt + 1; i < started; i++) {
          assert.equal(events[i]!.event, "task_started", `${task.name} waited`);
        }
      }
    }),
    RUNS,
  );
});

Deno.test("schedule() with failFast starts nothing after the first failure", async () => {
  await fc.assert(
    fc.asyncProperty(plans, async (plan) => {
      const { report, events } = await runPlan(plan, true);
      const firstFailure = events.findIndex((e) =>
        e.event === "task_ended" && e.status === "failed"
      );
      if (firstFailure === -1) {
        assert.equal(report.cancelled, false);
        assert.equal(report.counts.ok, plan.tasks.length);
        return;
      }
      assert.equal(report.cancelled, true);
      assert.ok(!events.slice(firstFailure).some((event) => event.event === "task_started"));
      const started = new Set(
        events.flatMap((event) => event.event === "task_started" ? [event.task] : []),
      );
      for (const task of report.tasks) {
        assert.equal(task.status === "skipped", !started.has(task.name), task.name);
      }
    }),
    RUNS,
  );
});
