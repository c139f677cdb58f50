/**
 * The ready tasks, taken highest priority first, then in file order.
 *
 * That order is fixed before the run: a task's place in it (its rank) never changes. The
 * scheduler numbers the tasks by rank ({@linkcode rankTasks}), so the queue is a set of numbers
 * whose smallest member is taken: a bitmap with one bit per task and, above it, a bit per
 * non-empty word, up to a single word. Adding or taking a task touches one word per level
 * (three levels for 10,000 tasks, four for a million), and the bitmap of a million tasks is
 * 125 KB, where a binary heap of the ready tasks took 17 comparisons per pop, with misses in
 * its lower levels, once the ready set grew to 100,000s.
 *
 * Ranks come from counting the tasks per distinct priority (few without recorded durations:
 * the priorities are path lengths). Priorities with very many distinct values, or not all
 * numbers, take the binary heap ({@linkcode HeapQueue}) over file order; both pop in exactly
 * the same order.
 *
 * @module
 */

/** Ready task numbers, the smallest first. */
export class ReadyQueue {
  /** levels[0] has a bit per task; each level above a bit per non-zero word of the one below. */
  readonly #levels: Int32Array[] = [];
  #size = 0;

  /** @param capacity the number of tasks; each is pushed at most once */
  constructor(capacity: number) {
    let bits = capacity;
    do {
      const words = Math.max(1, Math.ceil(bits / 32));
      this.#levels.push(new Int32Array(words));
      bits = words;
    } while (bits > 1);
  }

  /** How many tasks are queued. */
  get size(): number {
    return this.#size;
  }

  /** Adds a task number. */
  push(task: number): void {
    this.#size++;
    const levels = this.#levels;
    let bit = task;
    for (let level = 0; level < levels.length; level++) {
      const words = levels[level]!, word = bit >> 5, before = words[word]!;
      words[word] = before | (1 << (bit & 31));
      // The word was already marked in the level above.
      if (before !== 0) return;
      bit = word;
    }
  }

  /** Removes and returns the smallest task number; the queue must not be empty. */
  pop(): number {
    this.#size--;
    const levels = this.#levels;
    let task = 0;
    for (let level = levels.length - 1; level >= 0; level--) {
      task = (task << 5) | lowestBit(levels[level]![task]!);
    }
    for (let level = 0, bit = task; level < levels.length; level++) {
      const words = levels[level]!, word = bit >> 5;
      const after = words[word]! & ~(1 << (bit & 31));
      words[word] = after;
      // The word still has bits: the level above keeps its mark.
      if (after !== 0) break;
      bit = word;
    }
    return task;
  }
}

/** The position of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/** Above this many distinct priorities, ranks are not counted and the heap is used. */
const MAX_DISTINCT = 4096;

/**
 * Each task's rank in the order (priority descending, index ascending) and the task at each
 * rank, or `undefined` when a priority is not a number (NaN included: it orders nothing) or
 * there are too many distinct ones to count cheaply. A counting sort over the distinct
 * priorities: one `Map` lookup per task, in file order, and a sort of the distinct values.
 * `0` and `-0` are one priority, as the heap's `!==` has it.
 */
export function rankTasks(
  priority: ArrayLike<number>,
  count: number,
): { rank: Int32Array; task: Int32Array } | undefined {
  const ids = new Map<number, number>();
  const values: number[] = [];
  const idOf = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const value = priority[i];
    if (typeof value !== "number" || value !== value) return undefined;
    let id = ids.get(value);
    if (id === undefined) {
      if (values.length === MAX_DISTINCT) return undefined;
      ids.set(value, id = values.length);
      values.push(value);
    }
    idOf[i] = id;
  }
  // Each distinct value's first rank: higher values first.
  const byValue = values.map((_, id) => id).sort((a, b) =>
    values[a]! > values[b]! ? -1 : values[a]! < values[b]! ? 1 : 0
  );
  const next = new Int32Array(values.length);
  const perValue = new Int32Array(values.length);
  for (let i = 0; i < count; i++) perValue[idOf[i]!]!++;
  for (let k = 0, first = 0; k < byValue.length; k++) {
    next[byValue[k]!] = first;
    first += perValue[byValue[k]!]!;
  }
  const rank = new Int32Array(count), task = new Int32Array(count);
  // In file order, so that equal priorities keep it.
  for (let i = 0; i < count; i++) {
    const r = next[idOf[i]!]!++;
    rank[i] = r;
    task[r] = i;
  }
  return { rank, task };
}

/**
 * A binary heap of ready task indices: highest priority first, then file order.
 *
 * Each entry's priority sits in the heap beside its index, so a comparison reads the heap's
 * own arrays, whose top levels stay in cache, and not the priorities of two tasks far apart
 * in a per-task array.
 */
export class HeapQueue {
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
