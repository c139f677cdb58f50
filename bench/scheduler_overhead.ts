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
import { median, procStatusBytes } from "./measure.ts";
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
  /** Wall time of one call, in ms (median of the runs). */
  readonly ms: number;
  /** Microseconds of wall time per task (median of the runs). */
  readonly usPerTask: number;
  /** Microseconds of CPU time (user and system) per task (median of the runs). */
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
const NOOP: Executor = { type: "noop", run: () => DONE };

/** Builds the graph, runs it once and measures. */
export async function measureOverhead(
  size: number,
  mode: "schedule" | "run",
): Promise<OverheadSample> {
  const baseline = procStatusBytes("VmRSS");
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
    const report = mode === "schedule"
      ? await schedule(tasks, { executorFor: () => NOOP, concurrency: 8 })
      : await run(tasks, { registry: new ExecutorRegistry().register(NOOP), concurrency: 8 });
    wall.push(performance.now() - start);
    const used = cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    if (!report.ok) throw new Error("the no-op run failed");
    // The first run's peak: later ones add the garbage of the runs before.
    peak ??= procStatusBytes("VmHWM");
  }
  const ms = median(wall);
  return {
    mode,
    tasks: size,
    edges,
    ms,
    usPerTask: ms * 1000 / size,
    cpuUsPerTask: median(cpu) * 1000 / size,
    runs: wall.length,
    bytesPerTask: (peak! - baseline) / size,
    graphBytesPerTask: (graph - baseline) / size,
  };
}

/** Small graphs run more often, so that each size takes a comparable time. */
function repetitions(size: number): number {
  return Math.max(3, Math.ceil(200_000 / size));
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
