/**
 * `--dry-run`: the order tasks would start in, found by running the real scheduler with an
 * executor that runs nothing and a simulated clock, so concurrency and priority behave
 * exactly as in a real run. Durations come from a previous run when known; otherwise every
 * task counts as one unit.
 *
 * @module
 */

import { schedule } from "../scheduler.ts";
import type { Executor, TaskResult, TaskSpec } from "../types.ts";
import { type CriticalPath, criticalPath } from "../critical_path.ts";
import { formatDuration } from "./human.ts";
import { printable } from "./printable.ts";

/** Options of {@linkcode planRun}. */
export interface PlanOptions {
  /** The most tasks at once; unlimited by default. */
  readonly concurrency?: number;
  /** Start priority per task in file order, as given to the scheduler. */
  readonly priority?: ArrayLike<number>;
  /** Known durations in ms by task name. */
  readonly durations?: ReadonlyMap<string, number>;
}

/** One simulated start. */
export interface PlannedStart {
  /** Task name. */
  readonly task: string;
  /** Simulated start time: ms, or units when no duration is known. */
  readonly start: number;
  /** Simulated duration. */
  readonly duration: number;
}

/** The outcome of a simulated run. */
export interface Plan {
  /** Starts in order. */
  readonly starts: readonly PlannedStart[];
  /** Whether the times are ms from a previous run (else units: one per task). */
  readonly timed: boolean;
  /** Tasks with a known duration. */
  readonly known: number;
  /** Simulated wall time of the run. */
  readonly makespan: number;
  /** The longest chain by duration. */
  readonly criticalPath: CriticalPath;
}

/**
 * Simulates a run of `tasks` (a validated graph) without running anything. Tasks without a
 * known duration take the mean known duration, or one unit when none is known.
 *
 * @example
 * ```ts
 * import { planRun } from "./plan.ts";
 * const plan = await planRun([
 *   { name: "a", type: "exec", arguments: "", dependencies: [] },
 *   { name: "b", type: "exec", arguments: "", dependencies: ["a"] },
 * ]);
 * plan.starts.map((start) => start.task); // ["a", "b"]
 * ```
 */
export async function planRun(
  tasks: readonly TaskSpec[],
  options: PlanOptions = {},
): Promise<Plan> {
  const known = options.durations ?? new Map<string, number>();
  const knownValues = tasks.map((task) => known.get(task.name)).filter((d) => d !== undefined);
  const timed = knownValues.length > 0;
  const fallback = timed ? knownValues.reduce((a, b) => a + b, 0) / knownValues.length : 1;
  const durationOf = (name: string) => known.get(name) ?? fallback;

  let clock = 0;
  const starts: PlannedStart[] = [];
  const running = new EndQueue(); // running tasks by simulated end time
  const executor: Executor = {
    type: "plan",
    run(task) {
      const duration = durationOf(task.name);
      starts.push({ task: task.name, start: clock, duration });
      return new Promise((resolve) => running.push(clock + duration, resolve));
    },
  };
  let ended = 0;
  const report = schedule(tasks, {
    executorFor: () => executor,
    onEvent: (event) => {
      if (event.event === "task_ended") ended++;
    },
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
  });
  while (running.size > 0) {
    clock = running.peekEnd();
    let expected = ended;
    while (running.size > 0 && running.peekEnd() === clock) {
      running.pop()({ ok: true });
      expected++;
    }
    // The scheduler handles each end in a promise reaction; let them all run (and start
    // the next tasks) before the clock moves on.
    while (ended < expected) await Promise.resolve();
  }
  await report;
  const durations = new Map(tasks.map((task) => [task.name, durationOf(task.name)]));
  return {
    starts,
    timed,
    known: knownValues.length,
    makespan: clock,
    criticalPath: criticalPath(tasks, durations),
  };
}

/**
 * The plan as text: one line per start with its simulated time, then the critical path
 * (its length only when durations are known).
 */
export function formatPlan(plan: Plan, concurrency: number | undefined): string {
  const time = (value: number) => plan.timed ? `+${formatDuration(value)}` : `step ${value + 1}`;
  // A loop, not Math.max(...starts), whose arguments overflow the stack past ~120,000 tasks.
  let width = 0;
  for (const start of plan.starts) width = Math.max(width, time(start.start).length);
  const chain = plan.criticalPath.tasks;
  const count = plan.starts.length;
  const lines = [
    `Plan: ${count} ${count === 1 ? "task" : "tasks"}, concurrency ${concurrency ?? "unlimited"}, ${
      plan.timed
        ? `durations from earlier runs (${plan.known} known)`
        : "durations unknown (one step each)"
    }`,
    ...plan.starts.map((start, i) =>
      `${String(i + 1).padStart(String(plan.starts.length).length)}. ${
        time(start.start).padEnd(width)
      }  ${printable(start.task)}`
    ),
    // A plan is timed only when a task has a known duration: an empty one never is.
    chain.length === 0
      ? "Longest chain: none"
      : plan.timed
      ? `Critical path: ${chain.map(printable).join(" -> ")} (${
        formatDuration(plan.criticalPath.length)
      }); estimated run ${formatDuration(plan.makespan)}`
      : `Longest chain: ${chain.map(printable).join(" -> ")} (${chain.length} ${
        chain.length === 1 ? "task" : "tasks"
      })`,
    "Nothing was run (--dry-run).",
  ];
  return lines.join("\n") + "\n";
}

/** A binary min-heap of running tasks by end time, ties in start order. */
class EndQueue {
  readonly #heap: { end: number; seq: number; resolve: (result: TaskResult) => void }[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  peekEnd(): number {
    return this.#heap[0]!.end;
  }

  push(end: number, resolve: (result: TaskResult) => void): void {
    const heap = this.#heap;
    heap.push({ end, seq: this.#seq++, resolve });
    for (let child = heap.length - 1; child > 0;) {
      const parent = (child - 1) >> 1;
      if (!this.#before(child, parent)) break;
      [heap[child], heap[parent]] = [heap[parent]!, heap[child]!];
      child = parent;
    }
  }

  pop(): (result: TaskResult) => void {
    const heap = this.#heap;
    const first = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let parent = 0;;) {
        let child = 2 * parent + 1;
        if (child >= heap.length) break;
        if (child + 1 < heap.length && this.#before(child + 1, child)) child++;
        if (!this.#before(child, parent)) break;
        [heap[child], heap[parent]] = [heap[parent]!, heap[child]!];
        parent = child;
      }
    }
    return first.resolve;
  }

  #before(a: number, b: number): boolean {
    const x = this.#heap[a]!, y = this.#heap[b]!;
    return x.end < y.end || (x.end === y.end && x.seq < y.seq);
  }
}
