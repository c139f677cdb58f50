import assert from "node:assert/strict";
import { createEvalExecutor } from "../executors/eval.ts";
import { JobQueue } from "../executors/eval_pool.ts";
import type { EvalJob } from "../executors/eval_worker_handle.ts";
import { createDefaultRegistry, run } from "../src/run.ts";
import { contextFor, evalTask, evaluate, type Line, textOf } from "./eval_helpers.ts";

/** Prints an id that stays with the worker, to tell workers apart. */
const WORKER_ID = "globalThis.__id ??= crypto.randomUUID(); console.log(globalThis.__id);";

/**
 * A real HTTP server on 127.0.0.1 that holds each request until `batch` of them wait, then
 * answers them all: tasks that fetch it overlap for certain, however slow the machine (a sleep
 * of a few hundred milliseconds did not, under load). After `giveUpMs` a batch is let go short,
 * so that a pool that does not grow fails the test's count rather than hanging it.
 */
function startBarrier(batch: number, giveUpMs = 20_000) {
  let waiting: Array<() => void> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    clearTimeout(timer);
    for (const answer of waiting) answer();
    waiting = [];
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Promise<Response>((resolve) => {
        waiting.push(() => resolve(new Response("go")));
        if (waiting.length === 1) timer = setTimeout(release, giveUpMs);
        if (waiting.length >= batch) release();
      }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    async [Symbol.asyncDispose]() {
      release();
      await server.shutdown();
    },
  };
}

/**
 * Runs `count` eval tasks that each print their worker's id and then wait until `together` of
 * them are running (see {@linkcode startBarrier}).
 */
async function workerIds(count: number, together: number, options: {
  concurrency?: number;
  maxWorkers?: number;
}) {
  await using barrier = startBarrier(together);
  const ids: string[] = [];
  const report = await run(
    Array.from({ length: count }, (_, i) => ({
      name: `t${i}`,
      type: "eval",
      arguments: `${WORKER_ID} await (await fetch(${JSON.stringify(barrier.url)})).text();`,
    })),
    {
      registry: createDefaultRegistry({
        eval: options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers },
      }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      onEvent: (event) => event.event === "output" && ids.push(event.text),
    },
  );
  assert.equal(report.ok, true);
  return new Set(ids);
}

/** Counts worker constructions into `log` while `body` runs. */
async function withWorkerLog(log: string[], body: () => Promise<void>) {
  const RealWorker = globalThis.Worker;
  globalThis.Worker = class extends RealWorker {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      log.push("worker");
    }
  };
  try {
    await body();
  } finally {
    globalThis.Worker = RealWorker;
  }
}

Deno.test("eval pool starts workers when prepared, before the first eval task", async () => {
  const log: string[] = [];
  const executor = createEvalExecutor();
  await withWorkerLog(log, async () => {
    executor.prepare!([evalTask("1", 0), evalTask("2", 1), evalTask("3", 2)], {
      concurrency: Infinity,
    });
    // The pool's module is loaded first (only runs with eval tasks load it), then prepare()
    // starts both workers at once; no task has been given to the executor.
    for (let turn = 0; log.length === 0 && turn < 500; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.deepEqual(log, ["worker", "worker"], "two workers warming up at once");
  });
  await executor.dispose?.();
});

Deno.test("eval workers start right after the first exec tasks, not before", async () => {
  const log: string[] = [];
  await withWorkerLog(log, async () => {
    const report = await run([
      { name: "shell", type: "exec", arguments: "true" },
      { name: "js", type: "eval", arguments: "1", dependencies: ["shell"] },
    ], { onEvent: (event) => event.event === "task_started" && log.push(event.task) });
    assert.equal(report.ok, true);
  });
  assert.deepEqual(log, ["shell", "worker", "js"]);
});

Deno.test("pooled workers are reused, keeping globalThis changes; fresh ones are not", async () => {
  const counter = "globalThis.n = (globalThis.n ?? 0) + 1; console.log(globalThis.n);";
  const pooled = await evaluate([counter, counter, counter]);
  assert.deepEqual(pooled.outputs.map((lines) => textOf(lines, "stdout")), [["1"], ["2"], ["3"]]);
  const fresh = await evaluate([counter, counter, counter], { isolation: "fresh" });
  assert.deepEqual(fresh.outputs.map((lines) => textOf(lines, "stdout")), [["1"], ["1"], ["1"]]);
});

Deno.test("eval pool grows to the tasks running at once, within the concurrency limit", async () => {
  assert.equal((await workerIds(6, 6, {})).size, 6);
  assert.equal((await workerIds(6, 3, { concurrency: 3 })).size, 3);
});

Deno.test("eval pool never holds more than maxWorkers; waiting tasks still run", async () => {
  assert.equal((await workerIds(6, 2, { maxWorkers: 2 })).size, 2);
});

Deno.test("a stopped eval task's worker is terminated and a new one runs the next", async () => {
  const executor = createEvalExecutor();
  try {
    const controller = new AbortController();
    const first: Line[] = [];
    const stopped = executor.run(
      evalTask(`${WORKER_ID} await new Promise(() => {});`, 0),
      contextFor(first, controller.signal),
    );
    while (first.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort("timed out after 1s");
    assert.deepEqual(await stopped, { ok: false, error: "interrupted" });
    const second: Line[] = [];
    assert.deepEqual(await executor.run(evalTask(WORKER_ID, 1), contextFor(second)), { ok: true });
    assert.notEqual(second[0]!.text, first[0]!.text, "a different worker");
  } finally {
    await executor.dispose?.();
  }
});

Deno.test("a worker is replaced after a failure that may leave work behind, not after a throw", async () => {
  const { results, outputs } = await evaluate([
    WORKER_ID,
    "throw new Error('plain');",
    WORKER_ID,
    "setTimeout(() => {}, 10_000); Promise.reject(new Error('stray'));",
    WORKER_ID,
  ]);
  assert.deepEqual(results.map((result) => result.ok), [true, false, true, false, true]);
  const [first, , afterThrow, , afterStray] = outputs.map((lines) => lines[0]?.text);
  assert.equal(afterThrow, first, "same worker after a plain throw");
  assert.notEqual(afterStray, first, "a new worker after a stray rejection");
});

Deno.test("tasks waiting for a worker end as interrupted when their signal aborts", async () => {
  const executor = createEvalExecutor({ maxWorkers: 1 });
  try {
    const shared = new AbortController();
    const lines: Line[][] = [[], [], [], []];
    const slow = executor.run(
      evalTask("await new Promise((r) => setTimeout(r, 300));", 0),
      contextFor(lines[0]!),
    );
    const waitingB = executor.run(
      evalTask("console.log('B')", 1),
      contextFor(lines[1]!, shared.signal),
    );
    const waitingC = executor.run(
      evalTask("console.log('C')", 2),
      contextFor(lines[2]!, shared.signal),
    );
    const waitingD = executor.run(evalTask("console.log('D')", 3), contextFor(lines[3]!));
    shared.abort("interrupted");
    assert.deepEqual(await waitingB, { ok: false, error: "interrupted" });
    assert.deepEqual(await waitingC, { ok: false, error: "interrupted" });
    assert.deepEqual(await slow, { ok: true });
    assert.deepEqual(await waitingD, { ok: true });
    assert.deepEqual(lines.map((task) => task.map((line) => line.text)), [[], [], [], ["D"]]);
  } finally {
    await executor.dispose?.();
  }
});

Deno.test("a run that fails to start leaves no eval worker behind (prepare, then dispose at once)", async () => {
  const log: string[] = [];
  await withWorkerLog(log, async () => {
    const registry = createDefaultRegistry();
    registry.register({
      type: "broken",
      run: () => Promise.resolve({ ok: true }),
      prepare() {
        throw new Error("nope");
      },
    });
    await assert.rejects(
      run([
        { name: "a", type: "eval", arguments: "1" },
        { name: "b", type: "broken", arguments: "x" },
      ], { registry }),
      /executor "broken": prepare\(\) failed: nope/,
    );
    // Where the workers would have been started.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
  assert.deepEqual(log, []);
});

Deno.test("two runs sharing a registry at once do not stop each other's eval tasks", async () => {
  const registry = createDefaultRegistry();
  const slow = run([{
    name: "slow",
    type: "eval",
    arguments: "await new Promise((r) => setTimeout(r, 600));",
  }], { registry });
  await new Promise((resolve) => setTimeout(resolve, 150));
  const started = performance.now();
  const fast = await run([{ name: "fast", type: "eval", arguments: "1 + 1" }], { registry });
  // Not queued behind the other run's long task.
  assert.ok(performance.now() - started < 400, `took ${Math.round(performance.now() - started)}ms`);
  assert.deepEqual(fast.tasks.map((task) => task.status), ["ok"]);
  // The first run to end did not dispose of the pool under the other.
  const slowReport = await slow;
  assert.deepEqual(slowReport.tasks.map((task) => [task.status, task.error]), [["ok", undefined]]);
});

Deno.test("dispose() after a prepare() never disposed still ends the workers, so the process can exit", async () => {
  // As a caller that failed between a prepare() and its dispose() leaves it.
  const script = `
    import { createEvalExecutor } from ${
    JSON.stringify(new URL("../executors/eval.ts", import.meta.url).href)
  };
    const executor = createEvalExecutor();
    const task = (name) => ({ name, type: "eval", arguments: "1", dependencies: [] });
    const context = { signal: new AbortController().signal, cwd: ".", baseDir: ".", output() {} };
    executor.prepare([task("p")], { concurrency: 2 });
    executor.prepare([task("q")], { concurrency: 2 });
    console.log((await executor.run(task("p"), context)).ok);
    await executor.dispose();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const output = await child.output();
  clearTimeout(timer);
  assert.equal(output.code, 0, "the process did not exit of itself");
  assert.equal(new TextDecoder().decode(output.stdout), "true\n");
});

Deno.test("the pool's queue of waiting jobs stays first in first out through its compactions", () => {
  const queue = new JobQueue();
  const job = (id: number, settled = false) => ({ id, settled }) as unknown as EvalJob;
  for (let i = 0; i < 5000; i++) queue.push(job(i));
  const taken: number[] = [];
  for (let i = 0; i < 3000; i++) taken.push((queue.shift() as unknown as { id: number }).id);
  // Two taken back go to the front, in their order.
  queue.unshift([job(2998), job(2999)]);
  taken.splice(2998, 2);
  assert.equal(queue.length, 2002);
  while (queue.length > 0) taken.push((queue.shift() as unknown as { id: number }).id);
  assert.deepEqual(taken, Array.from({ length: 5000 }, (_, i) => i));
  assert.equal(queue.shift(), undefined);
  queue.unshift([job(1), job(2)]);
  queue.push(job(3, true));
  queue.removeSettled();
  assert.deepEqual(queue.takeAll().map((j) => (j as unknown as { id: number }).id), [1, 2]);
  assert.equal(queue.length, 0);
});
