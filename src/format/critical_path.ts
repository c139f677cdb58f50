/**
 * The critical path of a task graph: the chain of dependencies with the greatest total
 * duration, which no amount of concurrency can shorten.
 *
 * @module
 */

import type { TaskSpec } from "../types.ts";

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
