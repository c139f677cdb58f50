/**
 * Scheduler overhead, run in a subprocess of its own per size so that its peak memory is
 * measured cleanly: `deno run -A bench/scheduler_overhead.ts SIZE schedule|run`.
 *
 * It builds a graph of SIZE tasks with about three dependencies each, runs it with a no-op
 * executor, and prints one JSON line: the time per task and the peak memory per task above
 * the process's own baseline.
 *
 * @module
 */

import { random } from "./workloads.ts";
import { procStatusBytes } from "./measure.ts";
import { schedule } from "../src/scheduler.ts";
import { run } from "../src/run.ts";
import { ExecutorRegistry } from "../src/registry.ts";
import type { Executor, TaskResult, TaskSpec } from "../src/types.ts";

/** What one measurement prints. */
export interface OverheadSample {
  /** `schedule` (the scheduler alone) or `run` (validation and scheduling). */
  readonly mode: "schedule" | "run";
  /** Number of tasks. */
  readonly tasks: number;
  /** Number of dependency edges. */
  readonly edges: number;
  /** Wall time of the call, in ms. */
  readonly ms: number;
  /** Microseconds per task. */
  readonly usPerTask: number;
  /** Peak resident memory above the baseline, in bytes per task (graph included). */
  readonly bytesPerTask: number;
}

/** A graph of `size` tasks; each depends on up to three distinct earlier tasks. */
export function overheadGraph(size: number, seed = 3): TaskSpec[] {
  const next = random(seed);
  const tasks: TaskSpec[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const wanted = Math.min(i, 3);
    const dependencies: string[] = [];
    while (dependencies.length < wanted) {
      const name = `t${Math.floor(next() * i)}`;
      if (!dependencies.includes(name)) dependencies.push(name);
    }
    tasks[i] = { name: `t${i}`, type: "noop", arguments: null, dependencies };
  }
  return tasks;
}

const DONE: Promise<TaskResult> = Promise.resolve({ ok: true });
const NOOP: Executor = { type: "noop", run: () => DONE };

/** Builds the graph, runs it once and measures. */
export async function measureOverhead(
  size: number,
  mode: "schedule" | "run",
): Promise<OverheadSample> {
  const baseline = procStatusBytes("VmRSS");
  const tasks = overheadGraph(size);
  const edges = tasks.reduce((sum, task) => sum + task.dependencies.length, 0);
  const start = performance.now();
  const report = mode === "schedule"
    ? await schedule(tasks, { executorFor: () => NOOP, concurrency: 8 })
    : await run(tasks, { registry: new ExecutorRegistry().register(NOOP), concurrency: 8 });
  const ms = performance.now() - start;
  if (!report.ok) throw new Error("the no-op run failed");
  const peak = procStatusBytes("VmHWM");
  return {
    mode,
    tasks: size,
    edges,
    ms,
    usPerTask: ms * 1000 / size,
    bytesPerTask: (peak - baseline) / size,
  };
}

if (import.meta.main) {
  const size = Number(Deno.args[0]);
  const mode = Deno.args[1] === "run" ? "run" : "schedule";
  if (!Number.isSafeInteger(size) || size < 1) {
    console.error("usage: scheduler_overhead.ts SIZE schedule|run");
    Deno.exit(2);
  }
  console.log(JSON.stringify(await measureOverhead(size, mode)));
}
