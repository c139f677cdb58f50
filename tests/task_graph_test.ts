import assert from "node:assert/strict";
import {
  dependentsOf,
  findCycleInGraph,
  indexTaskGraph,
  nameIndexOf,
  pointsBackward,
  resolveDependencies,
} from "../src/task_graph.ts";
import type { TaskSpec } from "../src/types.ts";

function tasks(dependencies: Record<string, string[]>): TaskSpec[] {
  return Object.entries(dependencies).map(([name, dependencies]) => ({
    name,
    type: "noop",
    arguments: null,
    dependencies,
  }));
}

Deno.test("indexTaskGraph() keeps each task's dependencies in the order listed", () => {
  const graph = indexTaskGraph(tasks({ a: [], b: ["a"], c: ["b", "a"], d: [] }));
  assert.deepEqual([...graph.dependencyStart], [0, 0, 1, 3, 3]);
  assert.deepEqual([...graph.dependencies], [0, 1, 0]);
});

Deno.test("indexTaskGraph() refuses an unknown dependency, naming the task", () => {
  assert.throws(() => indexTaskGraph(tasks({ a: ["x"] })), {
    message: 'task "a" depends on "x", which is not a task',
  });
});

Deno.test("dependentsOf() lists each task's dependents in file order", () => {
  const graph = indexTaskGraph(tasks({ a: [], b: ["a"], c: ["b", "a"], d: ["a"] }));
  const { dependentStart, dependents } = dependentsOf(graph);
  assert.deepEqual([...dependentStart], [0, 3, 4, 4, 4]);
  assert.deepEqual([...dependents], [1, 2, 3, 2]);
});

Deno.test("findCycleInGraph() returns the cycle in dependency order, or undefined", () => {
  const cyclic = indexTaskGraph(tasks({ a: [], b: ["c"], c: ["d", "a"], d: ["b"] }));
  assert.deepEqual(findCycleInGraph(cyclic), [1, 2, 3]);
  const self = indexTaskGraph(tasks({ a: ["a"] }));
  assert.deepEqual(findCycleInGraph(self), [0]);
  assert.equal(findCycleInGraph(indexTaskGraph(tasks({ a: [], b: ["a"] }))), undefined);
});

Deno.test("resolveDependencies() gives the same positions in passes as one by one", () => {
  // Above the size where the lookups go in passes; -1 for unknown names.
  const count = 60_000;
  const list = Array.from({ length: count }, (_, i) => ({
    name: `task-${i}`,
    type: "noop",
    arguments: null,
    dependencies: i === 0 ? [] : [`task-${(i * 7919) % i}`, `task-${i - 1}`, "nowhere"],
  }));
  const index = nameIndexOf(list);
  const { dependencies } = resolveDependencies(list, index);
  let k = 0;
  for (const task of list) {
    for (const name of task.dependencies) assert.equal(dependencies[k++], index.get(name));
  }
  assert.equal(dependencies[2], -1);
});

Deno.test("resolveDependencies() tells apart two names with the same hash", () => {
  // "t439599" and "t622382" have the same FNV-1a hash.
  const count = 60_000;
  const list = Array.from({ length: count }, (_, i) => ({
    name: i === 0 ? "t439599" : i === 1 ? "t622382" : `task-${i}`,
    type: "noop",
    arguments: null,
    dependencies: i < 2 ? [] : ["t622382", "t439599"],
  }));
  const { dependencies } = resolveDependencies(list, nameIndexOf(list));
  assert.deepEqual([...dependencies.subarray(0, 4)], [1, 0, 1, 0]);
});

Deno.test("pointsBackward() tells whether file order is a topological order", () => {
  assert.ok(pointsBackward(indexTaskGraph(tasks({ a: [], b: ["a"], c: ["a", "b"] }))));
  assert.ok(!pointsBackward(indexTaskGraph(tasks({ a: ["b"], b: [] }))));
  assert.ok(!pointsBackward(indexTaskGraph(tasks({ a: ["a"] }))));
});

Deno.test("dependentsOf() with new numbers lists rows and entries in them, in file order", () => {
  // c <- a, b <- a, d <- b, c: renumbered d=0, c=1, b=2, a=3.
  const graph = {
    dependencyStart: Int32Array.from([0, 0, 1, 2, 4]),
    dependencies: Int32Array.from([0, 0, 1, 2]),
  };
  const { dependentStart, dependents } = dependentsOf(graph, Int32Array.from([3, 2, 1, 0]));
  const rows = [0, 1, 2, 3].map((slot) => [
    ...dependents.subarray(dependentStart[slot]!, dependentStart[slot + 1]!),
  ]);
  // Slot 3 (a) has b then c (file order), as slots 2 and 1; slots 2 and 1 have d (slot 0).
  assert.deepEqual(rows, [[], [0], [0], [2, 1]]);
});
