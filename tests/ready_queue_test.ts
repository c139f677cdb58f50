import assert from "node:assert/strict";
import { ReadyQueue } from "../src/ready_queue.ts";

Deno.test("ReadyQueue pops the highest priority first, ties in file order", () => {
  const priority = [1, 5, 3, 5, 0, 3, 2, 5];
  const queue = new ReadyQueue(priority.length, priority);
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

Deno.test("ReadyQueue agrees with a sort on thousands of interleaved pushes and pops", () => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const count = 5000;
  const priority = Array.from({ length: count }, () => Math.floor(next() * 20));
  const queue = new ReadyQueue(count, priority);
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
