/**
 * A task graph in integer form: task indices in file order, edges in compressed rows (CSR)
 * of typed arrays. The checks build it once from the names; the critical-path priority and
 * the scheduler then walk integers, never looking a name up again.
 *
 * @module
 */

import { NameIndex } from "./name_index.ts";
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
 * known (a checked graph); an unknown dependency is an error.
 */
export function indexTaskGraph(tasks: readonly TaskSpec[]): TaskGraph {
  const count = tasks.length;
  const names: string[] = new Array(count);
  for (let i = 0; i < count; i++) names[i] = tasks[i]!.name;
  const index = new NameIndex(names);
  const dependencyStart = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    dependencyStart[i + 1] = dependencyStart[i]! + tasks[i]!.dependencies.length;
  }
  const dependencies = new Int32Array(dependencyStart[count]!);
  for (let i = 0, k = 0; i < count; i++) {
    const names = tasks[i]!.dependencies;
    for (let d = 0; d < names.length; d++) {
      const dependency = index.get(names[d]!);
      if (dependency < 0) {
        throw new Error(`Internal error: task #${i} depends on unknown "${names[d]}"`);
      }
      dependencies[k++] = dependency;
    }
  }
  return { dependencyStart, dependencies };
}

/** The reverse edges of a graph, each task's dependents in file order. */
export function dependentsOf(graph: TaskGraph): Dependents {
  const { dependencyStart, dependencies } = graph;
  const count = dependencyStart.length - 1;
  const dependentStart = new Int32Array(count + 1);
  for (let k = 0; k < dependencies.length; k++) dependentStart[dependencies[k]! + 1]!++;
  for (let i = 0; i < count; i++) dependentStart[i + 1]! += dependentStart[i]!;
  const fill = dependentStart.slice(0, count);
  const dependents = new Int32Array(dependencies.length);
  for (let i = 0; i < count; i++) {
    const end = dependencyStart[i + 1]!;
    for (let k = dependencyStart[i]!; k < end; k++) dependents[fill[dependencies[k]!]!++] = i;
  }
  return { dependentStart, dependents };
}

/**
 * Finds one cycle, as task indices in dependency order (each depends on the next, the last
 * on the first), or `undefined` for an acyclic graph. Iterative depth-first search from each
 * task in file order, following dependencies in the order listed.
 */
export function findCycleInGraph(graph: TaskGraph): number[] | undefined {
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
