/**
 * A binary heap of ready task indices: highest priority first, then file order.
 *
 * Each entry's priority sits in the heap beside its index, so a comparison reads the heap's
 * own arrays, whose top levels stay in cache, and not the priorities of two tasks far apart
 * in a per-task array: at a million tasks that was a cache miss per comparison.
 *
 * @module
 */

/** Ready tasks ordered by priority (higher first), ties by index (lower first). */
export class ReadyQueue {
  readonly #heap: Int32Array;
  /** #keys[k] is the priority of #heap[k]; all 0 without priorities. */
  readonly #keys: Float64Array;
  readonly #priority: ArrayLike<number> | undefined;
  #size = 0;

  /**
   * @param capacity the number of tasks; each is pushed at most once
   * @param priority per-task priority; file order alone when absent
   */
  constructor(capacity: number, priority?: ArrayLike<number>) {
    this.#heap = new Int32Array(capacity);
    this.#keys = new Float64Array(capacity);
    this.#priority = priority;
  }

  /** How many tasks are queued. */
  get size(): number {
    return this.#size;
  }

  /** Adds a task index. */
  push(index: number): void {
    const heap = this.#heap, keys = this.#keys;
    const key = this.#priority ? this.#priority[index]! : 0;
    let child = this.#size++;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!before(key, index, keys[parent]!, heap[parent]!)) break;
      heap[child] = heap[parent]!;
      keys[child] = keys[parent]!;
      child = parent;
    }
    heap[child] = index;
    keys[child] = key;
  }

  /** Removes and returns the first task index; the queue must not be empty. */
  pop(): number {
    const heap = this.#heap, keys = this.#keys;
    const first = heap[0]!;
    const size = --this.#size;
    const last = heap[size]!, lastKey = keys[size]!;
    let parent = 0;
    for (;;) {
      let child = 2 * parent + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && before(keys[right]!, heap[right]!, keys[child]!, heap[child]!)) {
        child = right;
      }
      if (!before(keys[child]!, heap[child]!, lastKey, last)) break;
      heap[parent] = heap[child]!;
      keys[parent] = keys[child]!;
      parent = child;
    }
    if (size > 0) {
      heap[parent] = last;
      keys[parent] = lastKey;
    }
    return first;
  }
}

/** Whether task `a` (priority `ka`) starts before task `b` (priority `kb`). */
function before(ka: number, a: number, kb: number, b: number): boolean {
  return ka !== kb ? ka > kb : a < b;
}
