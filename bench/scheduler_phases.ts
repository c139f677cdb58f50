/**
 * The scheduler's cost per task broken into phases, to see which one grows with the graph:
 * `deno run -A --v8-flags=--expose-gc bench/scheduler_phases.ts SIZE`.
 *
 * Each phase is timed alone on the graph of `scheduler_overhead.ts`, repeated as that
 * benchmark repeats a whole call (a million task-runs per size, after a warm-up), and
 * printed in microseconds per task. `floor` is a minimal loop that only does what any
 * scheduler of this graph must: resolve each dependency's name through a `Map`, then
 * release tasks in order, decrementing their dependents' counters.
 *
 * @module
 */

import { overheadGraph } from "./scheduler_overhead.ts";
import { schedule, scheduleGraph } from "../src/scheduler.ts";
import { dependentsOf, indexTaskGraph } from "../src/task_graph.ts";
import { buildRunReport, OK } from "../src/run_report.ts";
import { graphPriority } from "../src/critical_path.ts";
import { taskFileFromInputs } from "../src/task_inputs.ts";
import { checkTaskFile } from "../src/check.ts";
import { ExecutorRegistry } from "../src/registry.ts";
import type { Executor, TaskResult, TaskSpec } from "../src/types.ts";

const DONE: Promise<TaskResult> = Promise.resolve({ ok: true });
const NOOP: Executor = { type: "noop", run: () => DONE };
const REGISTRY = new ExecutorRegistry().register(NOOP);

type Phase = (tasks: TaskSpec[]) => unknown;

/** The phases, each a function of the parsed tasks. */
const PHASES: Record<string, Phase> = {
  floor: (tasks) => floor(tasks),
  indexTaskGraph: (tasks) => indexTaskGraph(tasks),
  dependentsOf: (tasks) => dependentsOf(GRAPHS.get(tasks)!),
  schedule: (tasks) => schedule(tasks, { executorFor: () => NOOP, concurrency: 8 }),
  scheduleGraph: (tasks) =>
    scheduleGraph(tasks, GRAPHS.get(tasks)!, { executorFor: () => NOOP, concurrency: 8 }),
  buildRunReport: (tasks) => buildRunReport(tasks, OUTCOMES.get(tasks)!, false, 0),
  taskFileFromInputs: (tasks) => taskFileFromInputs(tasks, { lazyDocument: true }),
  checkTaskFile: (tasks) => checkTaskFile(FILES.get(tasks)!, REGISTRY),
  graphPriority: (tasks) => graphPriority(tasks, GRAPHS.get(tasks)!),
  scheduleGraphPriority: (tasks) =>
    scheduleGraph(tasks, GRAPHS.get(tasks)!, {
      executorFor: () => NOOP,
      concurrency: 8,
      priority: PRIORITIES.get(tasks)!,
    }),
};

const GRAPHS = new Map<TaskSpec[], ReturnType<typeof indexTaskGraph>>();
const FILES = new Map<TaskSpec[], ReturnType<typeof taskFileFromInputs>>();
const PRIORITIES = new Map<TaskSpec[], Float64Array>();
const OUTCOMES = new Map<TaskSpec[], Parameters<typeof buildRunReport>[1]>();

function prepare(tasks: TaskSpec[]): void {
  const graph = indexTaskGraph(tasks);
  GRAPHS.set(tasks, graph);
  FILES.set(tasks, taskFileFromInputs(tasks, { lazyDocument: true }));
  PRIORITIES.set(tasks, graphPriority(tasks, graph));
  const count = tasks.length;
  OUTCOMES.set(tasks, {
    state: new Uint8Array(count).fill(OK),
    durations: new Float64Array(count).map(() => Math.random() * 0.01),
    results: new Array(count).fill(OK_RESULT),
    skipReasons: new Array(count),
    attempts: new Uint32Array(count).fill(1),
    resumed: undefined,
  });
}

const OK_RESULT: TaskResult = { ok: true };

/** Names through a Map, counters decremented: what any scheduler of this graph must do. */
function floor(tasks: TaskSpec[]): number {
  const count = tasks.length;
  const index = new Map<string, number>();
  for (let i = 0; i < count; i++) index.set(tasks[i]!.name, i);
  const start = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) start[i + 1] = start[i]! + tasks[i]!.dependencies.length;
  const dependencies = new Int32Array(start[count]!);
  for (let i = 0, k = 0; i < count; i++) {
    const names = tasks[i]!.dependencies;
    for (let d = 0; d < names.length; d++) dependencies[k++] = index.get(names[d]!)!;
  }
  const { dependentStart, dependents } = dependentsOf({ dependencyStart: start, dependencies });
  const waiting = new Int32Array(count);
  for (let i = 0; i < count; i++) waiting[i] = start[i + 1]! - start[i]!;
  const queue = new Int32Array(count);
  let head = 0, tail = 0;
  for (let i = 0; i < count; i++) if (waiting[i] === 0) queue[tail++] = i;
  while (head < tail) {
    const task = queue[head++]!;
    for (let k = dependentStart[task]!; k < dependentStart[task + 1]!; k++) {
      if (--waiting[dependents[k]!]! === 0) queue[tail++] = dependents[k]!;
    }
  }
  return tail;
}

async function time(phase: Phase, tasks: TaskSpec[], runs: number): Promise<number> {
  const start = performance.now();
  for (let run = 0; run < runs; run++) await phase(tasks);
  return (performance.now() - start) / runs;
}

if (import.meta.main) {
  const size = Number(Deno.args[0]);
  const only = Deno.args.slice(1);
  const warm = overheadGraph(Math.min(size, 10_000), 4);
  const tasks = overheadGraph(size);
  prepare(warm);
  prepare(tasks);
  const runs = Math.max(3, Math.ceil(1_000_000 / size));
  const out: Record<string, number> = {};
  for (const [name, phase] of Object.entries(PHASES)) {
    if (only.length > 0 && !only.includes(name)) continue;
    await time(phase, warm, 3);
    (globalThis as { gc?: () => void }).gc?.();
    out[name] = Number(((await time(phase, tasks, runs)) * 1000 / size).toFixed(3));
  }
  console.log(JSON.stringify({ size, ...out }));
}
