/**
 * A binary heap of ready task indices: highest priority first, then file order.
 *
 * @module
 */

/** Ready tasks ordered by priority (higher first), ties by index (lower first). */
export class ReadyQueue {
  readonly #heap: Int32Array;
  readonly #priority: ArrayLike<number> | undefined;
  #size = 0;

  /**
   * @param capacity the number of tasks; each is pushed at most once
   * @param priority per-task priority; file order alone when absent
   */
  constructor(capacity: number, priority?: ArrayLike<number>) {
    this.#heap = new Int32Array(capacity);
    this.#priority = priority;
  }

  /** How many tasks are queued. */
  get size(): number {
    return this.#size;
  }

  /** Adds a task index. */
  push(index: number): void {
    const heap = this.#heap;
    let child = this.#size++;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.#before(index, heap[parent]!)) break;
      heap[child] = heap[parent]!;
      child = parent;
    }
    heap[child] = index;
  }

  /** Removes and returns the first task index; the queue must not be empty. */
  pop(): number {
    const heap = this.#heap;
    const first = heap[0]!;
    const last = heap[--this.#size]!;
    const size = this.#size;
    let parent = 0;
    for (;;) {
      let child = 2 * parent + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#before(heap[child + 1]!, heap[child]!)) child++;
      if (!this.#before(heap[child]!, last)) break;
      heap[parent] = heap[child]!;
      parent = child;
    }
    if (size > 0) heap[parent] = last;
    return first;
  }

  #before(a: number, b: number): boolean {
    const priority = this.#priority;
    if (priority) {
      const pa = priority[a]!, pb = priority[b]!;
      if (pa !== pb) return pa > pb;
    }
    return a < b;
  }
}
