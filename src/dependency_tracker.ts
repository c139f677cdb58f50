/**
 * What may run: the scheduler's bookkeeping of the graph, kept apart from the loop that runs
 * tasks (as ninja keeps its `Plan` apart from its `Builder`; not the `--plan` output, which is
 * `format/plan.ts`).
 *
 * Per task it keeps, like CPython's graphlib, a count of dependencies not yet ended, the list
 * of its dependents and its state; a task whose count reaches zero while pending joins the
 * ready queue. Everything is indexed by the scheduler's task numbers (a rank in start order,
 * or file order): typed arrays, no object per task.
 *
 * @module
 */

import { HeapQueue, ReadyQueue } from "./ready_queue.ts";
import { PENDING } from "./run_report.ts";
import { dependentsOf, type TaskGraph } from "./task_graph.ts";

/** The dependency bookkeeping of one run. */
export class DependencyTracker {
  /**
   * Each task's state (`PENDING`, `RUNNING`, `OK`, `FAILED`, `SKIPPED` of `run_report.ts`):
   * the loop writes it; the tracker reads it to queue and skip only pending tasks.
   */
  readonly state: Uint8Array;
  /** Dependents of task i are #dependents[#dependentStart[i] .. #dependentStart[i+1]). */
  readonly #dependentStart: Int32Array;
  readonly #dependents: Int32Array;
  readonly #unfinishedDependencies: Int32Array;
  readonly #ready: ReadyQueue | HeapQueue;

  /**
   * @param graph the dependencies, by task in file order
   * @param slotOf each task's number when the numbers are a rank, not file order
   * @param priority start priorities (file order) that could not be ranked, for a heap
   */
  constructor(graph: TaskGraph, slotOf: Int32Array | undefined, priority?: ArrayLike<number>) {
    const count = graph.dependencyStart.length - 1;
    this.state = new Uint8Array(count);
    ({ dependentStart: this.#dependentStart, dependents: this.#dependents } = dependentsOf(
      graph,
      slotOf,
    ));
    const unfinished = this.#unfinishedDependencies = new Int32Array(count);
    const dependencyStart = graph.dependencyStart;
    for (let i = 0; i < count; i++) {
      unfinished[slotOf ? slotOf[i]! : i] = dependencyStart[i + 1]! - dependencyStart[i]!;
    }
    // Ranked, the numbers are the start order; priorities that do not rank by counting (NaN,
    // too many distinct values) go to the heap, which reads them as it goes.
    this.#ready = priority ? new HeapQueue(count, priority) : new ReadyQueue(count);
  }

  /** How many tasks are ready to start. */
  get readyCount(): number {
    return this.#ready.size;
  }

  /** Takes the ready task to start first; only when {@linkcode DependencyTracker.readyCount} > 0. */
  nextReady(): number {
    return this.#ready.pop();
  }

  /** Queues every pending task without unfinished dependencies: once, before the first start. */
  queueReady(): void {
    const unfinished = this.#unfinishedDependencies, state = this.state;
    for (let i = 0; i < unfinished.length; i++) {
      if (unfinished[i] === 0 && state[i] === PENDING) this.#ready.push(i);
    }
  }

  /**
   * Counts a task as ended for its dependents without queueing any (a task done in an
   * earlier run, marked before {@linkcode DependencyTracker.queueReady}).
   */
  countEnded(index: number): void {
    const end = this.#dependentStart[index + 1]!;
    for (let k = this.#dependentStart[index]!; k < end; k++) {
      this.#unfinishedDependencies[this.#dependents[k]!]!--;
    }
  }

  /** A task ended so that its dependents may run: those it was the last wait of are queued. */
  release(index: number): void {
    const end = this.#dependentStart[index + 1]!;
    for (let k = this.#dependentStart[index]!; k < end; k++) {
      const dependent = this.#dependents[k]!;
      if (--this.#unfinishedDependencies[dependent]! === 0 && this.state[dependent] === PENDING) {
        this.#ready.push(dependent);
      }
    }
  }

  /**
   * Calls `skip` for every pending task downstream of `root`, each once, with the task through
   * which it was reached; `skip` must take it out of `PENDING`. Iterative: a long chain does
   * not grow the stack.
   */
  forEachPendingDownstream(root: number, skip: (dependent: number, via: number) => void): void {
    const stack = [root];
    while (stack.length > 0) {
      const via = stack.pop()!;
      const end = this.#dependentStart[via + 1]!;
      for (let k = this.#dependentStart[via]!; k < end; k++) {
        const dependent = this.#dependents[k]!;
        if (this.state[dependent] !== PENDING) continue;
        skip(dependent, via);
        stack.push(dependent);
      }
    }
  }
}
