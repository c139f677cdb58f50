import assert from "node:assert/strict";
// Tests may import npm packages directly, pinned (see the brief); deps.ts is for the library.
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import { HeapQueue, rankTasks, ReadyQueue } from "../src/ready_queue.ts";

/** A queue in file order: as the scheduler composes them, ranks over the bitmap, else the heap. */
function queueFor(count: number, priority?: readonly number[]) {
  const ranks = priority ? rankTasks(priority, count) : undefined;
  if (priority && !ranks) return new HeapQueue(count, priority);
  const bitmap = new ReadyQueue(count);
  return {
    push: (index: number) => bitmap.push(ranks ? ranks.rank[index]! : index),
    pop: () => {
      const rank = bitmap.pop();
      return ranks ? ranks.task[rank]! : rank;
    },
    get size() {
      return bitmap.size;
    },
  };
}

Deno.test("ranks over ReadyQueue pop the highest priority first, ties in file order", () => {
  const priority = [1, 5, 3, 5, 0, 3, 2, 5];
  const queue = queueFor(priority.length, priority);
  for (const index of [4, 7, 0, 2, 6, 1, 5, 3]) queue.push(index);
  const order: number[] = [];
  while (queue.size > 0) order.push(queue.pop());
  assert.deepEqual(order, [1, 3, 7, 2, 5, 6, 0, 4]);
});

Deno.test("ReadyQueue without priorities pops in file order, pushes and pops interleaved", () => {
  const queue = new ReadyQueue(6);
  const order: number[] = [];
  for (const index of [5, 2, 4]) queue.push(index);
  order.push(queue.pop());
  for (const index of [0, 3, 1]) queue.push(index);
  while (queue.size > 0) order.push(queue.pop());
  assert.deepEqual(order, [2, 0, 1, 3, 4, 5]);
});

Deno.test("ranks over ReadyQueue agree with a sort on thousands of interleaved pushes and pops", () => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const count = 5000;
  const priority = Array.from({ length: count }, () => Math.floor(next() * 20));
  const queue = queueFor(count, priority);
  const pending = new Set<number>();
  const order = Array.from({ length: count }, (_, i) => i).sort(() => next() - 0.5);
  for (const index of order) {
    queue.push(index);
    pending.add(index);
    if (next() < 0.4) {
      const expected = [...pending].sort((a, b) => priority[b]! - priority[a]! || a - b)[0]!;
      assert.equal(queue.pop(), expected);
      pending.delete(expected);
    }
  }
  const rest = [...pending].sort((a, b) => priority[b]! - priority[a]! || a - b);
  for (const expected of rest) assert.equal(queue.pop(), expected);
  assert.equal(queue.size, 0);
});

/** Pushes in `order`, popping after each push whose flag is set, then pops the rest. */
function popOrder(
  queue: { push(index: number): void; pop(): number; readonly size: number },
  order: readonly number[],
  popAfter: readonly boolean[],
): number[] {
  const popped: number[] = [];
  order.forEach((index, k) => {
    queue.push(index);
    if (popAfter[k]) popped.push(queue.pop());
  });
  while (queue.size > 0) popped.push(queue.pop());
  return popped;
}

/** Priorities as the scheduler may be given them: ties, -0, infinities, NaN, many values. */
const priorities = (count: number) =>
  fc.oneof(
    fc.constant(undefined),
    fc.array(fc.integer({ min: 0, max: 6 }), { minLength: count, maxLength: count }),
    fc.array(
      fc.constantFrom(0, -0, 1.5, -2, Infinity, -Infinity, 1e300, 3),
      { minLength: count, maxLength: count },
    ),
    fc.array(fc.double({ noNaN: true }), { minLength: count, maxLength: count }),
    fc.array(fc.double(), { minLength: count, maxLength: count }),
  );

Deno.test("ranks over ReadyQueue pop in exactly the binary heap's order, whatever the priorities", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1200 }).chain((count) =>
        fc.tuple(
          fc.constant(count),
          priorities(count),
          fc.shuffledSubarray([...Array(count).keys()], { minLength: count }),
          fc.array(fc.boolean(), { minLength: count, maxLength: count }),
        )
      ),
      ([count, priority, order, popAfter]) => {
        assert.deepEqual(
          popOrder(queueFor(count, priority), order, popAfter),
          popOrder(new HeapQueue(count, priority), order, popAfter),
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("ReadyQueue handles every level of its bitmap: 32, 1,024 and 32,768 tasks and past", () => {
  for (const count of [1, 31, 32, 33, 1023, 1024, 1025, 32_767, 32_768, 32_769, 40_000]) {
    const order = Array.from({ length: count }, (_, i) => (i * 7919) % count);
    if (new Set(order).size !== count) order.sort((a, b) => b - a);
    const popAfter = order.map((_, k) => k % 3 === 0);
    const priority = Array.from({ length: count }, (_, i) => i % 5);
    for (const p of [undefined, priority]) {
      assert.deepEqual(
        popOrder(queueFor(count, p), order, popAfter),
        popOrder(new HeapQueue(count, p), order, popAfter),
      );
    }
  }
});

Deno.test("rankTasks declines priorities that are not all numbers, or too many distinct ones", () => {
  assert.equal(rankTasks([1, NaN, 2], 3), undefined);
  assert.equal(rankTasks([1, 2], 3), undefined);
  assert.equal(rankTasks(Float64Array.from({ length: 5000 }, (_, i) => i), 5000), undefined);
  const ranked = rankTasks([1, 3, -0, 3, 0], 5)!;
  assert.deepEqual([...ranked.task], [1, 3, 0, 2, 4]);
  assert.deepEqual([...ranked.rank], [2, 0, 3, 1, 4]);
});
