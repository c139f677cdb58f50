/**
 * A task graph in integer form: task indices in file order, edges in compressed rows (CSR)
 * of typed arrays. The checks build it once from the names; the critical-path priority and
 * the scheduler then walk integers, never looking a name up again.
 *
 * @module
 */

import { hashString, NameIndex } from "./name_index.ts";
import { quote } from "./errors.ts";
import type { TaskSpec } from "./types.ts";

/** Task i depends on `dependencies[dependencyStart[i] .. dependencyStart[i + 1])`. */
export interface TaskGraph {
  /** Per task, where its dependencies begin; one more entry than tasks. */
  readonly dependencyStart: Int32Array;
  /** Dependency indices, task after task, each task's in the order it lists them. */
  readonly dependencies: Int32Array;
}

/** Task i's dependents are `dependents[dependentStart[i] .. dependentStart[i + 1])`. */
export interface Dependents {
  /** Per task, where its dependents begin; one more entry than tasks. */
  readonly dependentStart: Int32Array;
  /** Dependent indices, each task's in file order. */
  readonly dependents: Int32Array;
}

/**
 * The integer form of a graph whose names are known to be distinct and its dependencies
 * known (a checked graph).
 *
 * @throws {Error} for a dependency that names no task.
 */
export function indexTaskGraph(tasks: readonly TaskSpec[]): TaskGraph {
  const graph = resolveDependencies(tasks, nameIndexOf(tasks));
  const { dependencyStart, dependencies } = graph;
  for (let i = 0; i < tasks.length; i++) {
    for (let k = dependencyStart[i]!; k < dependencyStart[i + 1]!; k++) {
      if (dependencies[k]! < 0) {
        const name = tasks[i]!.dependencies[k - dependencyStart[i]!];
        throw new Error(
          `task ${quote(tasks[i]!.name)} depends on ${quote(String(name))}, which is not a task`,
        );
      }
    }
  }
  return graph;
}

/** The tasks' names, indexed. */
export function nameIndexOf(tasks: readonly TaskSpec[]): NameIndex {
  const names: string[] = new Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) names[i] = tasks[i]!.name;
  return new NameIndex(names);
}

/** Below this many tasks the index fits in the caches, and one pass of lookups is faster. */
const PASSES_FROM = 50_000;

/**
 * Every task's dependencies as positions, -1 for an unknown name, unchecked otherwise.
 *
 * The lookups go in three passes over all edges (hash the names, find each hash's slot,
 * confirm each candidate's name) rather than one lookup after another: at a million tasks
 * each lookup is a few cache misses, and reads that do not wait on each other overlap.
 */
export function resolveDependencies(tasks: readonly TaskSpec[], index: NameIndex): TaskGraph {
  const count = tasks.length;
  const dependencyStart = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    dependencyStart[i + 1] = dependencyStart[i]! + tasks[i]!.dependencies.length;
  }
  if (count < PASSES_FROM) {
    const dependencies = new Int32Array(dependencyStart[count]!);
    for (let i = 0, k = 0; i < count; i++) {
      const names = tasks[i]!.dependencies;
      for (let d = 0; d < names.length; d++) dependencies[k++] = index.get(names[d]!);
    }
    return { dependencyStart, dependencies };
  }
  const hashes = new Int32Array(dependencyStart[count]!);
  for (let i = 0, k = 0; i < count; i++) {
    const names = tasks[i]!.dependencies;
    for (let d = 0; d < names.length; d++) hashes[k++] = hashString(names[d]!);
  }
  const dependencies = new Int32Array(hashes.length);
  index.candidates(hashes, dependencies);
  for (let i = 0, k = 0; i < count; i++) {
    const names = tasks[i]!.dependencies;
    for (let d = 0; d < names.length; d++, k++) {
      const candidate = dependencies[k]!;
      // No candidate means unknown; a wrong one is another name with the same hash.
      if (candidate >= 0 && !index.is(candidate, names[d]!)) {
        dependencies[k] = index.get(names[d]!);
      }
    }
  }
  return { dependencyStart, dependencies };
}

/**
 * The reverse edges of a graph, each task's dependents in file order.
 *
 * With `slotOf` (a permutation: task i's new number), rows and entries are in the new
 * numbering instead (row `slotOf[i]` lists the new numbers of task i's dependents), each row
 * still in the file order of its dependents.
 */
export function dependentsOf(graph: TaskGraph, slotOf?: Int32Array): Dependents {
  const { dependencyStart, dependencies } = graph;
  const count = dependencyStart.length - 1;
  const dependentStart = new Int32Array(count + 1);
  for (let k = 0; k < dependencies.length; k++) {
    const dependency = dependencies[k]!;
    dependentStart[(slotOf ? slotOf[dependency]! : dependency) + 1]!++;
  }
  for (let i = 0; i < count; i++) dependentStart[i + 1]! += dependentStart[i]!;
  const fill = dependentStart.slice(0, count);
  const dependents = new Int32Array(dependencies.length);
  for (let i = 0; i < count; i++) {
    const self = slotOf ? slotOf[i]! : i;
    const end = dependencyStart[i + 1]!;
    for (let k = dependencyStart[i]!; k < end; k++) {
      const dependency = dependencies[k]!;
      dependents[fill[slotOf ? slotOf[dependency]! : dependency]!++] = self;
    }
  }
  return { dependentStart, dependents };
}

/**
 * Whether every task depends only on tasks before it in file order, as a file written in
 * order has it. Then file order is a topological order: there is no cycle, and walks that
 * need one can go through the tasks in memory order instead of jumping around the graph.
 */
export function pointsBackward(graph: TaskGraph): boolean {
  const { dependencyStart, dependencies } = graph;
  for (let i = 0; i < dependencyStart.length - 1; i++) {
    for (let k = dependencyStart[i]!; k < dependencyStart[i + 1]!; k++) {
      if (dependencies[k]! >= i) return false;
    }
  }
  return true;
}

/**
 * Finds one cycle, as task indices in dependency order (each depends on the next, the last
 * on the first), or `undefined` for an acyclic graph. Iterative depth-first search from each
 * task in file order, following dependencies in the order listed.
 */
export function findCycleInGraph(graph: TaskGraph): number[] | undefined {
  if (pointsBackward(graph)) return undefined;
  const { dependencyStart, dependencies } = graph;
  const count = dependencyStart.length - 1;
  // 0 = unvisited, 1 = on the current path, 2 = finished.
  const color = new Uint8Array(count);
  const nextEdge = dependencyStart.slice(0, count);
  const path = new Int32Array(count);
  for (let root = 0; root < count; root++) {
    if (color[root] !== 0) continue;
    let depth = 0;
    path[depth++] = root;
    color[root] = 1;
    while (depth > 0) {
      const node = path[depth - 1]!;
      if (nextEdge[node]! < dependencyStart[node + 1]!) {
        const next = dependencies[nextEdge[node]!++]!;
        if (color[next] === 1) {
          return Array.from(path.subarray(path.lastIndexOf(next, depth - 1), depth));
        }
        if (color[next] === 0) {
          color[next] = 1;
          path[depth++] = next;
        }
      } else {
        color[node] = 2;
        depth--;
      }
    }
  }
  return undefined;
}
