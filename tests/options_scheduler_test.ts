import assert from "node:assert/strict";
import { schedule } from "../src/scheduler.ts";
import { run } from "../src/run.ts";
import { TaskFileError } from "../src/errors.ts";
import type { Executor, ExecutorContext, RunEvent, TaskResult, TaskSpec } from "../src/types.ts";
import { eventLog } from "./helpers.ts";

/** An executor whose tasks fail their first `failures[name]` attempts, then succeed. */
function flaky(failures: Record<string, number>, ms = 0) {
  const calls: string[] = [];
  const executor: Executor = {
    type: "fake",
    run: (task) => {
      calls.push(task.name);
      const attempt = calls.filter((name) => name === task.name).length;
      const result: TaskResult = attempt <= (failures[task.name] ?? 0)
        ? { ok: false, exitCode: 1, error: "exit code 1" }
        : { ok: true, exitCode: 0 };
      return new Promise((resolve) => setTimeout(() => resolve(result), ms));
    },
  };
  return { executor, calls };
}

function task(name: string, options: Partial<TaskSpec> = {}): TaskSpec {
  return { name, type: "fake", arguments: "", dependencies: [], ...options };
}

/**
 * schedule() and run(), given one task and `options` (values of any type, as from JavaScript),
 * both refuse them: their promise rejects with an error whose string matches `message`.
 */
async function assertRefused(
  options: { concurrency?: unknown; stopGraceMs?: unknown },
  message: RegExp,
): Promise<void> {
  const given = options as { concurrency?: number; stopGraceMs?: number };
  // Through the promise, as from any function returning one.
  await assert.rejects(
    schedule([task("a")], { executorFor: () => flaky({}).executor, ...given }),
    message,
  );
  await assert.rejects(run([{ name: "a", type: "exec", arguments: "true" }], given), message);
}

Deno.test("schedule() clears a task's timeout timer when the task ends first", async () => {
  let seen: AbortSignal | undefined;
  const executor: Executor = {
    type: "fake",
    run: (_task, context: ExecutorContext) => {
      seen = context.signal;
      return Promise.resolve({ ok: true });
    },
  };
  const report = await schedule([task("quick", { timeoutMs: 20 })], {
    executorFor: () => executor,
  });
  assert.equal(report.ok, true);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(seen?.aborted, false);
});

Deno.test("schedule() retries a failed task and reports its attempts", async () => {
  const { executor, calls } = flaky({ a: 2 });
  const log = eventLog();
  const report = await schedule([task("a", { retries: 3 }), task("b", { dependencies: ["a"] })], {
    executorFor: () => executor,
    onEvent: log.onEvent,
  });
  assert.equal(report.ok, true);
  assert.deepEqual(calls, ["a", "a", "a", "b"]);
  assert.equal(report.tasks[0]!.attempts, 3);
  assert.equal(report.tasks[1]!.attempts, undefined);
  const retries = log.events.filter((e) => e.event === "task_retry");
  assert.deepEqual(retries.map((e) => e.event === "task_retry" && [e.attempt, e.attempts]), [
    [2, 4],
    [3, 4],
  ]);
  assert.equal(retries[0]!.event === "task_retry" && retries[0]!.error, "exit code 1");
  // One start and one end per task, whatever the attempts.
  assert.equal(log.events.filter((e) => e.event === "task_started").length, 2);
  const ended = log.events.find((e) => e.event === "task_ended" && e.task === "a");
  assert.equal(ended?.event === "task_ended" && ended.attempts, 3);
});

Deno.test("schedule() gives up after the last retry and skips dependents", async () => {
  const { executor, calls } = flaky({ a: 5 });
  const report = await schedule([task("a", { retries: 1 }), task("b", { dependencies: ["a"] })], {
    executorFor: () => executor,
  });
  assert.deepEqual(calls, ["a", "a"]);
  assert.equal(report.tasks[0]!.status, "failed");
  assert.equal(report.tasks[0]!.attempts, 2);
  assert.equal(report.tasks[1]!.status, "skipped");
});

Deno.test("schedule() waits retryDelay between attempts", async () => {
  const { executor } = flaky({ a: 1 });
  const log = eventLog();
  await schedule([task("a", { retries: 1, retryDelayMs: 50 })], {
    executorFor: () => executor,
    onEvent: log.onEvent,
  });
  const retry = log.events.find((e) => e.event === "task_retry");
  const ended = log.events.find((e) => e.event === "task_ended");
  assert.equal(retry?.event === "task_retry" && retry.delayMs, 50);
  // A lower bound only: timers never fire early.
  assert.ok(ended!.event === "task_ended" && ended!.time - retry!.time! >= 49);
});

Deno.test("schedule() does not retry a task when the run is cancelled", async () => {
  const controller = new AbortController();
  const executor: Executor = {
    type: "fake",
    run: (_task, context) =>
      new Promise((resolve) =>
        context.signal.addEventListener("abort", () => resolve({ ok: false, error: "stopped" }))
      ),
  };
  const log = eventLog();
  const report = schedule([task("a", { retries: 5 })], {
    executorFor: () => executor,
    signal: controller.signal,
    onEvent: log.onEvent,
  });
  controller.abort("interrupted");
  const result = await report;
  assert.equal(result.tasks[0]!.status, "failed");
  assert.equal(result.tasks[0]!.error, "interrupted");
  assert.equal(log.events.some((e) => e.event === "task_retry"), false);
});

Deno.test("schedule() ends a task waiting out its retry delay when the run is cancelled", async () => {
  const controller = new AbortController();
  const { executor, calls } = flaky({ a: 5 });
  const report = schedule([task("a", { retries: 5, retryDelayMs: 60_000 })], {
    executorFor: () => executor,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.event === "task_retry") controller.abort("interrupted");
    },
  });
  const result = await report;
  assert.deepEqual(calls, ["a"]);
  assert.equal(result.tasks[0]!.status, "failed");
  assert.equal(result.tasks[0]!.exitCode, 1);
  assert.equal(result.cancelled, true);
});

Deno.test("schedule() retries a timed-out attempt with a fresh time limit", async () => {
  let attempts = 0;
  const executor: Executor = {
    type: "fake",
    run: (_task, context) => {
      attempts++;
      if (attempts === 2) return Promise.resolve({ ok: true });
      return new Promise((resolve) =>
        context.signal.addEventListener("abort", () => resolve({ ok: false }))
      );
    },
  };
  const log = eventLog();
  const report = await schedule([task("a", { retries: 1, timeoutMs: 30 })], {
    executorFor: () => executor,
    onEvent: log.onEvent,
  });
  assert.equal(report.ok, true);
  const retry = log.events.find((e) => e.event === "task_retry");
  assert.equal(retry?.event === "task_retry" && retry.error, "timed out after 0.03s");
});

Deno.test("schedule() runs the dependents of an allowed failure and the run succeeds", async () => {
  const { executor, calls } = flaky({ lint: 9 });
  const report = await schedule([
    task("lint", { allowFailure: true }),
    task("build", { dependencies: ["lint"] }),
  ], { executorFor: () => executor });
  assert.deepEqual(calls, ["lint", "build"]);
  assert.equal(report.ok, true);
  assert.deepEqual(report.counts, { ok: 1, failed: 1, skipped: 0, allowed: 1 });
  assert.equal(report.tasks[0]!.status, "failed");
  assert.equal(report.tasks[0]!.allowed, true);
  assert.equal(report.tasks[1]!.status, "ok");
});

Deno.test("schedule() still fails the run for a failure that is not allowed", async () => {
  const { executor } = flaky({ lint: 9, test: 9 });
  const report = await schedule([task("lint", { allowFailure: true }), task("test")], {
    executorFor: () => executor,
  });
  assert.equal(report.ok, false);
  assert.equal(report.tasks[1]!.allowed, undefined);
});

Deno.test("schedule() with failFast cancels nothing for an allowed failure", async () => {
  const { executor, calls } = flaky({ lint: 9 });
  const report = await schedule([
    task("lint", { allowFailure: true }),
    task("slow", { dependencies: ["lint"] }),
  ], { executorFor: () => executor, failFast: true });
  assert.deepEqual(calls, ["lint", "slow"]);
  assert.equal(report.cancelled, false);
  assert.equal(report.ok, true);
});

Deno.test("schedule() with failFast waits for a task's last retry before cancelling", async () => {
  const { executor, calls } = flaky({ flaky: 1, other: 0 }, 5);
  const report = await schedule([
    task("flaky", { retries: 1 }),
    task("after", { dependencies: ["flaky"] }),
  ], { executorFor: () => executor, failFast: true });
  assert.deepEqual(calls, ["flaky", "flaky", "after"]);
  assert.equal(report.ok, true);
});

Deno.test("schedule() takes resumed tasks as done and starts their dependents", async () => {
  const { executor, calls } = flaky({});
  const log = eventLog();
  const report = await schedule(
    [task("a"), task("b", { dependencies: ["a"] }), task("c", { dependencies: ["b"] })],
    {
      executorFor: () => executor,
      onEvent: log.onEvent,
      resumed: new Set(["a", "b"]),
      identity: { file: "/x/tasks.json", tasksHash: "names", hashes: ["h0", "h1", "h2"] },
    },
  );
  assert.deepEqual(calls, ["c"]);
  assert.equal(report.ok, true);
  assert.equal(report.tasks[0]!.resumed, true);
  assert.equal(report.tasks[2]!.resumed, undefined);
  assert.deepEqual(log.events[0], {
    event: "run_started",
    total: 3,
    file: "/x/tasks.json",
    tasksHash: "names",
    time: log.events[0]!.event === "run_started" ? log.events[0]!.time : 0,
  });
  const resumed = log.events.filter((e) => e.event === "task_ended" && e.resumed);
  assert.deepEqual(resumed.map((e) => e.event === "task_ended" && [e.task, e.hash]), [
    ["a", "h0"],
    ["b", "h1"],
  ]);
  const started = log.events.find((e) => e.event === "task_started");
  assert.equal(started?.event === "task_started" && started.hash, "h2");
});

Deno.test("schedule() fails a task that returns ok after it was told to stop", async () => {
  // As a command that traps SIGTERM and exits 0 does: stopped, it has not done its work.
  const politeExecutor: Executor = {
    type: "fake",
    run: (_task, context) =>
      new Promise((resolve) =>
        context.signal.addEventListener("abort", () => resolve({ ok: true, exitCode: 0 }))
      ),
  };
  const timedOut = await schedule([
    task("polite", { timeoutMs: 20 }),
    task("after", { dependencies: ["polite"] }),
  ], { executorFor: () => politeExecutor });
  assert.equal(timedOut.ok, false);
  assert.deepEqual(
    timedOut.tasks.map(({ name, status, error, exitCode }) => ({ name, status, error, exitCode })),
    [
      { name: "polite", status: "failed", error: "timed out after 0.02s", exitCode: undefined },
      { name: "after", status: "skipped", error: undefined, exitCode: undefined },
    ],
  );

  const controller = new AbortController();
  const interrupted = schedule([task("polite")], {
    executorFor: () => politeExecutor,
    signal: controller.signal,
    onEvent: (event) => {
      // Once the executor listens: Ctrl-C while the task runs.
      if (event.event === "task_started") setTimeout(() => controller.abort("interrupted"), 5);
    },
  });
  const report = await interrupted;
  assert.equal(report.tasks[0]!.status, "failed");
  assert.equal(report.tasks[0]!.error, "interrupted");
});

Deno.test("schedule() fails a task whose executor returns no result, and runs the rest", async () => {
  const returns: Record<string, unknown> = {
    undefined: Promise.resolve(undefined),
    number: 42,
    plain: { ok: true },
    noOk: Promise.resolve({ exitCode: 0 }),
  };
  const executor = {
    type: "fake",
    run: (task: TaskSpec) => returns[task.name],
  } as unknown as Executor;
  const report = await schedule(
    [...Object.keys(returns).map((name) => task(name)), task("after", { dependencies: ["plain"] })],
    { executorFor: () => executor },
  );
  assert.deepEqual(
    report.tasks.map(({ name, status, error }) => [name, status, error]),
    [
      [
        "undefined",
        "failed",
        "executor error: run() resolved with undefined, not a result ({ ok: boolean })",
      ],
      [
        "number",
        "failed",
        "executor error: run() resolved with 42, not a result ({ ok: boolean })",
      ],
      ["plain", "ok", undefined],
      [
        "noOk",
        "failed",
        'executor error: run() resolved with {"exitCode":0}, not a result ({ ok: boolean })',
      ],
      [
        "after",
        "failed",
        "executor error: run() resolved with undefined, not a result ({ ok: boolean })",
      ],
    ],
  );
});

Deno.test("schedule() and run() refuse a concurrency that would let no task start", async () => {
  for (const concurrency of [0, -1, NaN]) {
    await assertRefused(
      { concurrency },
      /^RangeError: concurrency must be a number of at least 1, not /,
    );
  }
});

Deno.test("schedule() and run() refuse a concurrency that is not a whole number, as -j and a file do", async () => {
  // 1.5 let two tasks run at once; "4" and true passed as numbers.
  const cases: [unknown, RegExp][] = [
    [1.5, /^RangeError: concurrency must be a whole number, not 1\.5$/],
    ["4", /^TypeError: concurrency must be a number, not a string \("4"\)$/],
    [true, /^TypeError: concurrency must be a number, not a boolean \(true\)$/],
  ];
  for (const [concurrency, message] of cases) await assertRefused({ concurrency }, message);
  // No limit, and a limit of any size, still do.
  for (const concurrency of [Infinity, 1, 2 ** 40]) {
    const report = await run([{ name: "a", type: "exec", arguments: "true" }], { concurrency });
    assert.equal(report.ok, true);
  }
});

Deno.test("run() refuses timeoutMs and retryDelayMs a file could not give", async () => {
  for (
    const bad of [{ timeoutMs: 1e10 }, { timeoutMs: 0 }, { timeoutMs: NaN }, { retryDelayMs: -1 }]
  ) {
    await assert.rejects(
      run([{ name: "a", type: "exec", arguments: "true", ...bad }]),
      (error: unknown) =>
        error instanceof TaskFileError &&
        /^<tasks>:\d+:\d+: task "a": "(timeoutMs|retryDelayMs)" must be a number of milliseconds/
          .test(error.message),
      JSON.stringify(bad),
    );
  }
});

Deno.test("an executor's output() of something other than a stream and a string fails its task", async () => {
  const calls: [unknown, unknown][] = [["stdout", 42], ["bogus", "text"], ["stderr", null]];
  for (const [stream, text] of calls) {
    const executor: Executor = {
      type: "fake",
      run: (_task, context) => {
        context.output(stream as "stdout", text as string);
        return Promise.resolve({ ok: true });
      },
    };
    const events: RunEvent[] = [];
    const report = await schedule([task("a")], {
      executorFor: () => executor,
      onEvent: (event) => events.push(event),
    });
    assert.equal(report.tasks[0]!.status, "failed");
    assert.match(
      report.tasks[0]!.error!,
      /^executor error: output\(stream, text\) takes "stdout" or "stderr" and a string, not /,
    );
    assert.equal(events.filter((event) => event.event === "output").length, 0);
  }
});

Deno.test("a result whose error, exitCode or signal is of the wrong type fails its task, nothing else", async () => {
  const wrong: Record<string, unknown> = {
    symbol: { ok: false, error: Symbol("q") },
    bigint: { ok: false, error: 10n },
    object: { ok: false, error: {} },
    throwing: {
      ok: false,
      error: {
        toString: () => {
          throw 1;
        },
        toJSON: () => {
          throw 1;
        },
      },
    },
    code: { ok: false, exitCode: "x" },
    signal: { ok: false, signal: 5 },
  };
  const executor = {
    type: "fake",
    run: (task: TaskSpec) => wrong[task.name],
  } as unknown as Executor;
  const events: string[] = [];
  const report = await schedule(Object.keys(wrong).map((name) => task(name)), {
    executorFor: () => executor,
    // The NDJSON formatter's work: it must be able to write every event.
    onEvent: (event) => events.push(JSON.stringify(event)),
  });
  for (const entry of report.tasks) {
    assert.equal(entry.status, "failed");
    assert.match(entry.error!, /^executor error: run\(\) resolved with a result whose error/);
  }
  assert.equal(events.at(-1)!.startsWith('{"event":"run_ended"'), true);
});

Deno.test("an executor that ignores being stopped is given up on after stopGraceMs", async (t) => {
  // It resolves only when the test says so: long after it was told to stop.
  const late: ((result: TaskResult) => void)[] = [];
  const executor: Executor = {
    type: "fake",
    run: () => new Promise<TaskResult>((resolve) => late.push(resolve)),
  };
  await t.step("past its timeout, retried as a timed-out task is", async () => {
    const report = await schedule(
      [task("stuck", { timeoutMs: 20, retries: 1 }), task("after", { dependencies: ["stuck"] })],
      { executorFor: () => executor, stopGraceMs: 30 },
    );
    assert.deepEqual(
      report.tasks.map(({ name, status, error, attempts }) => [name, status, error, attempts]),
      [
        ["stuck", "failed", "timed out after 0.02s", 2],
        ["after", "skipped", undefined, undefined],
      ],
    );
    // What it resolves with now is ignored (it once ended the task twice: an internal error).
    for (const resolve of late.splice(0)) resolve({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
  await t.step("on cancellation", async () => {
    const controller = new AbortController();
    const run = schedule([task("stuck")], {
      executorFor: () => executor,
      signal: controller.signal,
      stopGraceMs: 30,
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort("interrupted");
    const report = await run;
    assert.deepEqual(report.tasks.map(({ status, error }) => [status, error]), [
      ["failed", "interrupted"],
    ]);
    for (const resolve of late.splice(0)) resolve({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});

Deno.test("a stopGraceMs of Infinity, or past a timer's range, never gives a task up", async () => {
  // setTimeout fires at once past 2^31 - 1 ms: such a grace gave the task up in 1 ms, with
  // Deno's TimeoutOverflowWarning on stderr, while its executor was still stopping.
  for (const stopGraceMs of [Infinity, 2 ** 31]) {
    let finish: (() => void) | undefined;
    const executor: Executor = {
      type: "fake",
      run: (_task, context) =>
        new Promise<TaskResult>((resolve) => {
          context.signal.addEventListener("abort", () => {
            finish = () => resolve({ ok: false, error: "stopped" });
          });
        }),
    };
    const controller = new AbortController();
    let settled = false;
    const running = schedule([task("slow")], {
      executorFor: () => executor,
      signal: controller.signal,
      stopGraceMs,
    }).finally(() => settled = true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort("interrupted");
    // Well past the 1 ms the overflowing timer took: still waiting for the executor.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(settled, false, `stopGraceMs ${stopGraceMs}: given up on`);
    finish!();
    const report = await running;
    assert.equal(report.tasks[0]!.status, "failed");
  }
});

Deno.test("schedule() and run() refuse a stopGraceMs that is not a number of milliseconds", async () => {
  const cases: [unknown, RegExp][] = [
    [-1, /^RangeError: stopGraceMs must be a number of milliseconds from 0 .*, not -1$/],
    [NaN, /^RangeError: stopGraceMs must be a number of milliseconds from 0 .*, not NaN$/],
    ["5s", /^TypeError: stopGraceMs must be a number of milliseconds, not a string \("5s"\)$/],
  ];
  for (const [stopGraceMs, message] of cases) await assertRefused({ stopGraceMs }, message);
});
