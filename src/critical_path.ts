/**
 * Longest paths in a task graph. `criticalPathPriority` gives the scheduler its start order:
 * when more tasks are ready than may run, the one with the longest remaining path to the end
 * of the graph starts first, as it bounds how early the whole run can end (list scheduling by
 * "bottom level", as in HLFET/CP/MISF). `criticalPath` finds the chain itself, for plans and
 * reports.
 *
 * @module
 */

import type { TaskSpec } from "./types.ts";
import { indexTaskGraph, pointsBackward, type TaskGraph } from "./task_graph.ts";

/**
 * Each task's priority: the heaviest path from the task to the end of the graph, its own
 * weight included, computed iteratively in reverse topological order in O(V + E).
 *
 * Weights are the recorded durations in milliseconds when `durations` knows the task; a
 * task it does not know weighs the mean of those it does. Without any duration every task
 * weighs 1, so the priority is the number of tasks on the longest path below it; ties are
 * then broken by the number of tasks directly waiting on it.
 *
 * The graph must have been validated (known dependencies, no cycle).
 *
 * @example
 * ```ts
 * import { criticalPathPriority } from "./critical_path.ts";
 * const priority = criticalPathPriority([
 *   { name: "a", type: "exec", arguments: "", dependencies: [] },
 *   { name: "b", type: "exec", arguments: "", dependencies: [] },
 *   { name: "c", type: "exec", arguments: "", dependencies: ["b"] },
 * ]);
 * priority[1]! > priority[0]!; // true: b has c behind it
 * ```
 */
export function criticalPathPriority(
  tasks: readonly TaskSpec[],
  durations?: ReadonlyMap<string, number>,
): Float64Array {
  return graphPriority(tasks, indexTaskGraph(tasks), durations);
}

/** {@linkcode criticalPathPriority} of a graph already in integer form. */
export function graphPriority(
  tasks: readonly TaskSpec[],
  graph: TaskGraph,
  durations?: ReadonlyMap<string, number>,
): Float64Array {
  const count = tasks.length;
  const { weight, timed } = weights(tasks, durations);
  const { dependencyStart, dependencies } = graph;
  const dependentCount = new Int32Array(count);
  for (let k = 0; k < dependencies.length; k++) dependentCount[dependencies[k]!]!++;

  const priority = new Float64Array(count);
  // Until final, priority[t] holds the heaviest path among t's dependents; t is final once
  // all its dependents are. Any order that visits dependents first gives the same figures.
  const visit = (task: number) => {
    const total = priority[task]! + weight[task]!;
    priority[task] = total;
    for (let k = dependencyStart[task]!; k < dependencyStart[task + 1]!; k++) {
      const dependency = dependencies[k]!;
      if (total > priority[dependency]!) priority[dependency] = total;
    }
  };
  if (pointsBackward(graph)) {
    // File order is topological: backwards through memory, no queue.
    for (let task = count - 1; task >= 0; task--) visit(task);
  } else {
    // Kahn's algorithm from the sinks up.
    const remaining = dependentCount.slice();
    const stack = new Int32Array(count);
    let size = 0;
    for (let i = 0; i < count; i++) if (remaining[i] === 0) stack[size++] = i;
    while (size > 0) {
      const task = stack[--size]!;
      visit(task);
      for (let k = dependencyStart[task]!; k < dependencyStart[task + 1]!; k++) {
        if (--remaining[dependencies[k]!]! === 0) stack[size++] = dependencies[k]!;
      }
    }
  }
  if (!timed) {
    // Unit weights tie often: prefer the task more others wait on directly.
    for (let i = 0; i < count; i++) priority[i]! += dependentCount[i]! / (count + 1);
  }
  return priority;
}

/** Per task its weight, and whether any came from a recorded duration. */
function weights(tasks: readonly TaskSpec[], durations?: ReadonlyMap<string, number>) {
  const weight = new Float64Array(tasks.length).fill(1);
  if (!durations || durations.size === 0) return { weight, timed: false };
  let sum = 0, known = 0;
  for (const task of tasks) {
    const ms = durations.get(task.name);
    if (ms !== undefined) {
      sum += ms;
      known++;
    }
  }
  if (known === 0) return { weight, timed: false };
  const fallback = sum / known;
  tasks.forEach((task, i) => weight[i] = durations.get(task.name) ?? fallback);
  return { weight, timed: true };
}

/** A critical path: its tasks from first to last, and its total duration. */
export interface CriticalPath {
  /** Task names, dependencies first. */
  readonly tasks: readonly string[];
  /** The sum of their durations. */
  readonly length: number;
}

/**
 * Finds the longest chain by duration in a valid (acyclic) graph, in linear time with an
 * iterative topological walk. Tasks without a duration count as 0; a skipped task, which
 * never ran, is best given none.
 *
 * @example
 * ```ts
 * import { criticalPath } from "./critical_path.ts";
 * const tasks = [
 *   { name: "a", type: "exec", arguments: "", dependencies: [] },
 *   { name: "b", type: "exec", arguments: "", dependencies: ["a"] },
 *   { name: "c", type: "exec", arguments: "", dependencies: [] },
 * ];
 * criticalPath(tasks, new Map([["a", 1], ["b", 2], ["c", 2.5]])); // { tasks: ["a", "b"], length: 3 }
 * ```
 */
export function criticalPath(
  tasks: readonly TaskSpec[],
  durations: ReadonlyMap<string, number>,
): CriticalPath {
  const index = new Map(tasks.map((task, i) => [task.name, i]));
  const dependents: number[][] = tasks.map(() => []);
  const waiting = new Int32Array(tasks.length);
  tasks.forEach((task, i) => {
    for (const dependency of task.dependencies) {
      const d = index.get(dependency);
      if (d === undefined) continue; // outside a subset: not part of this graph
      dependents[d]!.push(i);
      waiting[i]!++;
    }
  });
  const finish = new Float64Array(tasks.length); // longest chain ending with task i
  const previous = new Int32Array(tasks.length).fill(-1);
  const queue: number[] = [];
  for (let i = 0; i < tasks.length; i++) if (waiting[i] === 0) queue.push(i);
  let best = -1;
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head]!;
    finish[i] = finish[i]! + (durations.get(tasks[i]!.name) ?? 0);
    if (best === -1 || finish[i]! > finish[best]!) best = i;
    for (const j of dependents[i]!) {
      if (previous[j] === -1 || finish[i]! > finish[j]!) {
        finish[j] = finish[i]!;
        previous[j] = i;
      }
      if (--waiting[j]! === 0) queue.push(j);
    }
  }
  const path: string[] = [];
  for (let i = best; i !== -1; i = previous[i]!) path.push(tasks[i]!.name);
  return { tasks: path.reverse(), length: best === -1 ? 0 : finish[best]! };
}
