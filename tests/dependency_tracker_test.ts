// The scheduler's bookkeeping on its own: what becomes ready when, and what a failure skips.
import assert from "node:assert/strict";
import { DependencyTracker } from "../src/dependency_tracker.ts";
import { OK, PENDING, RUNNING, SKIPPED } from "../src/run_report.ts";
import { indexTaskGraph } from "../src/task_graph.ts";
import { graph } from "./helpers.ts";

/** a → b, a → c, b+c → d, and e on its own; numbers are file order. */
const DIAMOND = graph({ a: [], b: ["a"], c: ["a"], d: ["b", "c"], e: [] });

function drain(tracker: DependencyTracker): number[] {
  const taken: number[] = [];
  while (tracker.readyCount > 0) taken.push(tracker.nextReady());
  return taken;
}

Deno.test("dependency tracker queues a task once its last dependency has ended", () => {
  const tracker = new DependencyTracker(indexTaskGraph(DIAMOND), undefined);
  tracker.queueReady();
  assert.deepEqual(drain(tracker), [0, 4]);
  tracker.state[0] = OK;
  tracker.release(0);
  assert.deepEqual(drain(tracker), [1, 2]);
  tracker.state[1] = OK;
  tracker.release(1);
  assert.equal(tracker.readyCount, 0, "d still waits for c");
  tracker.release(2);
  assert.deepEqual(drain(tracker), [3]);
});

Deno.test("dependency tracker does not queue a task that is no longer pending", () => {
  const tracker = new DependencyTracker(indexTaskGraph(DIAMOND), undefined);
  tracker.state[1] = RUNNING; // as if started by other means
  tracker.release(0);
  assert.deepEqual(drain(tracker), [2]);
});

Deno.test("dependency tracker counts resumed tasks without queueing, then queues what is ready", () => {
  const tracker = new DependencyTracker(indexTaskGraph(DIAMOND), undefined);
  tracker.state[0] = OK;
  tracker.countEnded(0);
  assert.equal(tracker.readyCount, 0);
  tracker.queueReady();
  assert.deepEqual(drain(tracker), [1, 2, 4]);
});

Deno.test("dependency tracker visits each pending task downstream of a failure once, with its way", () => {
  const tracker = new DependencyTracker(indexTaskGraph(DIAMOND), undefined);
  const visits: [number, number][] = [];
  tracker.forEachPendingDownstream(0, (dependent, via) => {
    assert.equal(tracker.state[dependent], PENDING);
    tracker.state[dependent] = SKIPPED;
    visits.push([dependent, via]);
  });
  // b and c through a; d once, through whichever of them is walked first.
  assert.equal(visits.length, 3);
  assert.deepEqual(visits.slice(0, 2).sort(), [[1, 0], [2, 0]]);
  assert.equal(visits[2]![0], 3);
  assert.ok([1, 2].includes(visits[2]![1]));
  assert.equal(tracker.state[4], PENDING, "e does not depend on a");
});

Deno.test("dependency tracker follows the numbering it is given, and a heap for unranked priorities", () => {
  // Numbered in reverse file order: task i is number 4 - i.
  const slotOf = Int32Array.from([4, 3, 2, 1, 0]);
  const renumbered = new DependencyTracker(indexTaskGraph(DIAMOND), slotOf);
  renumbered.queueReady();
  assert.deepEqual(drain(renumbered), [0, 4], "e is number 0, a number 4");
  renumbered.release(4);
  assert.deepEqual(drain(renumbered), [2, 3], "c and b");

  // NaN cannot be ranked: the heap takes the highest priority first.
  const priority = [1, 5, 9, NaN, 3];
  const heap = new DependencyTracker(indexTaskGraph(DIAMOND), undefined, priority);
  heap.queueReady();
  assert.deepEqual(drain(heap), [4, 0]);
  heap.release(0);
  assert.deepEqual(drain(heap), [2, 1]);
});
