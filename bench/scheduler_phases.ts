/**
 * The scheduler's cost per task broken into phases, to see which one grows with the graph:
 * `deno run -A --v8-flags=--expose-gc bench/scheduler_phases.ts SIZE`.
 *
 * Each phase is timed alone on the graph of `scheduler_overhead.ts`, repeated as that
 * benchmark repeats a whole call (a million task-runs per size, after a warm-up), and
 * printed in microseconds per task. `floor` is a minimal loop that only does what any
 * scheduler of this graph must: resolve each dependency's name through a `Map`, then
 * release tasks in order, decrementing their dependents' counters; `floorIndexed` the same
 * with dagrun's own name index (`indexTaskGraph`) instead of the `Map`.
 *
 * @module
 */

import { NOOP, overheadGraph } from "./scheduler_overhead.ts";
import { schedule, scheduleGraph } from "../src/scheduler.ts";
import { dependentsOf, indexTaskGraph } from "../src/task_graph.ts";
import { buildRunReport, OK } from "../src/run_report.ts";
import { graphPriority } from "../src/critical_path.ts";
import { taskFileFromInputs } from "../src/task_inputs.ts";
import { checkTaskFile } from "../src/check.ts";
import { ExecutorRegistry } from "../src/registry.ts";
import type { TaskResult, TaskSpec } from "../src/types.ts";

const REGISTRY = new ExecutorRegistry().register(NOOP);

type Phase = (tasks: TaskSpec[]) => unknown;

/** The phases, each a function of the parsed tasks. */
const PHASES: Record<string, Phase> = {
  floor: (tasks) => floor(tasks),
  floorIndexed: (tasks) => release(indexTaskGraph(tasks)),
  indexTaskGraph: (tasks) => indexTaskGraph(tasks),
  dependentsOf: (tasks) => dependentsOf(graphOf(tasks)),
  schedule: (tasks) => schedule(tasks, { executorFor: () => NOOP, concurrency: 8 }),
  scheduleGraph: (tasks) =>
    scheduleGraph(tasks, graphOf(tasks), { executorFor: () => NOOP, concurrency: 8 }),
  buildRunReport: (tasks) => buildRunReport(tasks, outcomesOf(tasks), false, 0),
  taskFileFromInputs: (tasks) => taskFileFromInputs(tasks, { lazyDocument: true }),
  checkTaskFile: (tasks) => checkTaskFile(fileOf(tasks), REGISTRY),
  graphPriority: (tasks) => graphPriority(tasks, graphOf(tasks)),
  scheduleGraphPriority: (tasks) =>
    scheduleGraph(tasks, graphOf(tasks), {
      executorFor: () => NOOP,
      concurrency: 8,
      priority: priorityOf(tasks),
    }),
};

// What a phase needs besides the tasks, made before it is timed (see prepare()).
const GRAPHS = new Map<TaskSpec[], ReturnType<typeof indexTaskGraph>>();
const FILES = new Map<TaskSpec[], ReturnType<typeof taskFileFromInputs>>();
const PRIORITIES = new Map<TaskSpec[], Float64Array>();
const OUTCOMES = new Map<TaskSpec[], Parameters<typeof buildRunReport>[1]>();

function memo<T>(cache: Map<TaskSpec[], T>, tasks: TaskSpec[], make: () => T): T {
  let value = cache.get(tasks);
  if (value === undefined) cache.set(tasks, value = make());
  return value;
}

const graphOf = (tasks: TaskSpec[]) => memo(GRAPHS, tasks, () => indexTaskGraph(tasks));
const fileOf = (tasks: TaskSpec[]) =>
  memo(FILES, tasks, () => taskFileFromInputs(tasks, { lazyDocument: true }));
const priorityOf = (tasks: TaskSpec[]) =>
  memo(PRIORITIES, tasks, () => graphPriority(tasks, graphOf(tasks)));
const outcomesOf = (tasks: TaskSpec[]) =>
  memo(OUTCOMES, tasks, () => ({
    state: new Uint8Array(tasks.length).fill(OK),
    durations: new Float64Array(tasks.length).map(() => Math.random() * 0.01),
    results: new Array(tasks.length).fill(OK_RESULT),
    skipReasons: new Array(tasks.length),
    attempts: new Uint32Array(tasks.length).fill(1),
    resumed: undefined,
  }));

/** Makes what the phase `name` reads besides the tasks, before it is timed. */
function prepare(name: string, tasks: TaskSpec[]): void {
  if (name === "dependentsOf" || name === "scheduleGraph") graphOf(tasks);
  if (name === "checkTaskFile") fileOf(tasks);
  if (name === "scheduleGraphPriority" || name === "graphPriority") priorityOf(tasks);
  if (name === "buildRunReport") outcomesOf(tasks);
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
  return release({ dependencyStart: start, dependencies });
}

/** Releases the tasks of a graph in a FIFO, decrementing counters; the number released. */
function release(graph: ReturnType<typeof indexTaskGraph>): number {
  const { dependencyStart: start } = graph;
  const count = start.length - 1;
  const { dependentStart, dependents } = dependentsOf(graph);
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
  const runs = Math.max(3, Math.ceil(1_000_000 / size));
  const out: Record<string, number> = {};
  for (const [name, phase] of Object.entries(PHASES)) {
    if (only.length > 0 && !only.includes(name)) continue;
    prepare(name, warm);
    prepare(name, tasks);
    await time(phase, warm, 3);
    (globalThis as { gc?: () => void }).gc?.();
    out[name] = Number(((await time(phase, tasks, runs)) * 1000 / size).toFixed(3));
  }
  console.log(JSON.stringify({ size, ...out }));
}
