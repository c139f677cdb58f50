/**
 * A time limit on the clock of running time: a run suspended with Ctrl-Z keeps, once continued,
 * the rest of each task's `timeout` and grace period, no less and no more.
 */
import assert from "node:assert/strict";
import { addSuspendedTime, RunningTimeout } from "../src/suspension.ts";

/** Holds the thread as a stopped process is held: no timer runs meanwhile. */
function stayStopped(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* stopped */ }
  addSuspendedTime(ms);
}

/** Pushes "mark" to `order` once `ms` of wall-clock time have passed. */
function markAfter(order: string[], ms: number): Promise<void> {
  return new Promise<void>((resolve) =>
    setTimeout(() => {
      order.push("mark");
      resolve();
    }, ms)
  );
}

/** A {@linkcode RunningTimeout} of `ms` that pushes "limit" to `order` when it fires. */
function limitAfter(
  order: string[],
  ms: number,
): { fired: Promise<void>; timeout: RunningTimeout } {
  let fired!: () => void;
  const promise = new Promise<void>((resolve) => fired = resolve);
  const timeout = new RunningTimeout(() => {
    order.push("limit");
    fired();
  }, ms);
  return { fired: promise, timeout };
}

Deno.test("a limit that comes due while suspended fires the rest of its time after resuming, not the suspension's length later", async () => {
  const order: string[] = [];
  // 50 ms of running time, then a suspension of 1 s: 50 ms are left (less what ran before it).
  const { fired: limitFired } = limitAfter(order, 50);
  stayStopped(1_000);
  // A wall-clock mark far past those 50 ms and far short of another second.
  const mark = markAfter(order, 500);
  await Promise.all([limitFired, mark]);
  assert.deepEqual(order, ["limit", "mark"]);
});

Deno.test("a limit not yet due when the suspension ends is put off by the suspension's length", async () => {
  const order: string[] = [];
  const { fired: limitFired, timeout } = limitAfter(order, 1_000);
  // Suspended for 600 ms at once: the limit is due 1,600 ms after it was armed, so after a
  // mark at 1,100 ms.
  stayStopped(600);
  const mark = markAfter(order, 500);
  await Promise.all([limitFired, mark]);
  assert.deepEqual(order, ["mark", "limit"]);
  timeout.clear();
});
