import assert from "node:assert/strict";
import { dependentsOf, findCycleInGraph, indexTaskGraph } from "../src/task_graph.ts";
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

Deno.test("indexTaskGraph() refuses an unknown dependency as an internal error", () => {
  assert.throws(() => indexTaskGraph(tasks({ a: ["x"] })), /Internal error: task #0/);
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
