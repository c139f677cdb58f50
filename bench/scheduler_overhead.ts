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
import { cpuUsage } from "node:process";
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
  /** Wall time of one call, in ms (mean of the runs). */
  readonly ms: number;
  /** Microseconds of wall time per task (mean of the runs). */
  readonly usPerTask: number;
  /** Microseconds of CPU time (user and system) per task (mean of the runs). */
  readonly cpuUsPerTask: number;
  /** How many times the graph was run. */
  readonly runs: number;
  /** Peak resident memory during the run above the baseline, in bytes per task, graph included. */
  readonly bytesPerTask: number;
  /** Resident memory of the graph alone, above the baseline, in bytes per task. */
  readonly graphBytesPerTask: number;
}

/**
 * A graph of `size` tasks; each depends on up to three distinct earlier tasks. It is built
 * as JSON text and parsed, so its strings are what loading a task file gives (flat, and
 * cheap to hash), not the concatenations a generator would leave behind.
 */
export function overheadGraph(size: number, seed = 3): TaskSpec[] {
  const next = random(seed);
  const parts: string[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const wanted = Math.min(i, 3);
    const dependencies: number[] = [];
    while (dependencies.length < wanted) {
      const dependency = Math.floor(next() * i);
      if (!dependencies.includes(dependency)) dependencies.push(dependency);
    }
    parts[i] = `{"name":"t${i}","type":"noop","arguments":null,"dependencies":[${
      dependencies.map((d) => `"t${d}"`).join(",")
    }]}`;
  }
  return JSON.parse(`[${parts.join(",")}]`);
}

const DONE: Promise<TaskResult> = Promise.resolve({ ok: true });
/** The no-op executor the scheduler benchmarks run every task with. */
export const NOOP: Executor = { type: "noop", run: () => DONE };

/** Runs a graph once, as the mode says. */
async function runOnce(tasks: TaskSpec[], mode: "schedule" | "run"): Promise<void> {
  const report = mode === "schedule"
    ? await schedule(tasks, { executorFor: () => NOOP, concurrency: 8 })
    : await run(tasks, { registry: new ExecutorRegistry().register(NOOP), concurrency: 8 });
  if (!report.ok) throw new Error("the no-op run failed");
}

/**
 * Builds the graph, runs it several times and measures.
 *
 * What is timed is each whole call, as a library user pays it: `schedule(tasks)`, or
 * `run(tasks)` (checking the task objects, the critical-path priority, then scheduling), with
 * the garbage collection it causes. Every size is measured the same way: the code is warmed
 * first on a 10,000-task graph (a compiler's warm-up is paid once per process, not per task),
 * the heap is collected before the first timed run, and the figure is the mean over the runs,
 * so that each pays its share of collecting its own garbage. (A median would drop the runs of
 * a small graph during which the young generation happened to be collected, while every run
 * of a large one has such collections.)
 */
export async function measureOverhead(
  size: number,
  mode: "schedule" | "run",
): Promise<OverheadSample> {
  // Before the warm-up, whose heap pages stay: an overestimate at small sizes, not an under.
  const baseline = procStatusBytes("VmRSS");
  await runOnce(overheadGraph(Math.min(size, WARM_UP), 4), mode);
  const tasks = overheadGraph(size);
  const edges = tasks.reduce((sum, task) => sum + task.dependencies.length, 0);
  collectGarbage();
  const graph = procStatusBytes("VmRSS");
  resetPeak();
  // Repeated, and timed in CPU as well as wall time: the machine may be shared.
  const wall: number[] = [], cpu: number[] = [];
  let peak: number | undefined;
  for (let repetition = 0; repetition < repetitions(size); repetition++) {
    const cpuStart = cpuUsage();
    const start = performance.now();
    await runOnce(tasks, mode);
    wall.push(performance.now() - start);
    const used = cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    // The first run's peak: later ones add the garbage of the runs before.
    peak ??= procStatusBytes("VmHWM");
  }
  const ms = mean(wall);
  return {
    mode,
    tasks: size,
    edges,
    ms,
    usPerTask: ms * 1000 / size,
    cpuUsPerTask: mean(cpu) * 1000 / size,
    runs: wall.length,
    bytesPerTask: (peak! - baseline) / size,
    graphBytesPerTask: (graph - baseline) / size,
  };
}

/** Tasks in the graph that warms the code up before any size is measured. */
const WARM_UP = 10_000;

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Small graphs run more often, so that each size takes a comparable time. */
function repetitions(size: number): number {
  return Math.max(3, Math.ceil(1_000_000 / size));
}

/** Collects garbage when run with `--v8-flags=--expose-gc`, so the graph's litter is gone. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Resets the kernel's peak-RSS mark (`VmHWM`) to the current RSS, where Linux allows it. */
function resetPeak(): void {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Then the peak also covers building the graph: an overestimate, never an underestimate.
  }
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
