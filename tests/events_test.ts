import assert from "node:assert/strict";
import { runEvents } from "../src/events.ts";
import { TaskFileError } from "../src/errors.ts";
import { ExecutorRegistry } from "../src/registry.ts";
import { run } from "../src/run.ts";
import { schedule } from "../src/scheduler.ts";
import type { Executor, RunEvent } from "../src/types.ts";

Deno.test("runEvents() yields the run's events in order and ends after run_ended", async () => {
  const events: RunEvent[] = [];
  for await (
    const event of runEvents([
      { name: "a", type: "exec", arguments: "echo one" },
      { name: "b", type: "eval", arguments: "console.log('two')", dependencies: ["a"] },
    ])
  ) {
    events.push(event);
  }
  assert.deepEqual(events.map((e) => e.event === "output" ? `output:${e.text}` : e.event), [
    "run_started",
    "task_started",
    "output:one",
    "task_ended",
    "task_started",
    "output:two",
    "task_ended",
    "run_ended",
  ]);
  const last = events.at(-1)!;
  assert.ok(last.event === "run_ended" && last.ok);
});

Deno.test("runEvents() throws the validation error from the first iteration", async () => {
  const events = runEvents([{ name: "a", type: "exec", arguments: "true", dependencies: ["b"] }]);
  await assert.rejects(async () => {
    for await (const _ of events) assert.fail("no event expected");
  }, (error) => error instanceof TaskFileError && /unknown dependency "b"/.test(error.message));
});

Deno.test("leaving a runEvents() loop early cancels the run and waits for it", async () => {
  let stopped = false;
  const waiter: Executor = {
    type: "wait",
    run: (_task, context) =>
      new Promise((resolve) => {
        context.signal.addEventListener("abort", () => {
          stopped = true;
          resolve({ ok: false, error: "stopped" });
        });
      }),
  };
  const registry = new ExecutorRegistry().register(waiter);
  for await (
    const event of runEvents([{ name: "forever", type: "wait", arguments: null }], { registry })
  ) {
    if (event.event === "task_started") break;
  }
  assert.equal(stopped, true, "the running task was told to stop before the loop ended");
});

Deno.test("runEvents() drops output past maxBufferedOutput while the consumer is behind", async () => {
  const chatty: Executor = {
    type: "chatty",
    run: (_task, context) => {
      for (let i = 0; i < 100; i++) context.output("stdout", `line ${i}`);
      return Promise.resolve({ ok: true });
    },
  };
  const registry = new ExecutorRegistry().register(chatty);
  const events = runEvents([{ name: "c", type: "chatty", arguments: null }], {
    registry,
    maxBufferedOutput: 10,
  });
  const outputs: string[] = [];
  let ended = false;
  for await (const event of events) {
    if (event.event === "output") outputs.push(event.text);
    if (event.event === "run_ended") ended = event.ok;
  }
  assert.equal(ended, true, "lifecycle events are never dropped");
  assert.deepEqual(outputs, Array.from({ length: 10 }, (_, i) => `line ${i}`));
  assert.equal(events.droppedOutput, 90);
});

Deno.test("runEvents() can be iterated only once", async () => {
  const events = runEvents([{ name: "a", type: "exec", arguments: "true" }]);
  for await (const _ of events) { /* drain */ }
  assert.throws(() => events[Symbol.asyncIterator](), TypeError);
});

Deno.test("an event listener that throws stops the run, which rejects with its error", async (t) => {
  const tasks = [
    { name: "a", type: "exec", arguments: "echo hi" },
    { name: "b", type: "exec", arguments: "exit 1" },
    { name: "c", type: "exec", arguments: "true", dependencies: ["b"] },
    { name: "d", type: "eval", arguments: "console.log('from eval')" },
  ];
  const kinds = [
    "run_started",
    "task_started",
    "output",
    "task_ended",
    "task_skipped",
    "run_ended",
  ];
  for (const kind of kinds) {
    await t.step(kind, async () => {
      const boom = new Error(`boom at ${kind}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("run() neither resolved nor rejected")), 10_000);
      });
      try {
        await assert.rejects(
          Promise.race([
            run(tasks, {
              onEvent: (event) => {
                if (event.event === kind) throw boom;
              },
            }),
            stuck,
          ]),
          (error) => error === boom,
        );
      } finally {
        clearTimeout(timer);
      }
    });
  }
});

Deno.test("after the event listener throws, no further task starts", async () => {
  // Task b is ready the moment a ends, in the same turn as the event that throws.
  const started: string[] = [];
  const executor: Executor = {
    type: "fake",
    run: (task) => {
      started.push(task.name);
      return Promise.resolve({ ok: true });
    },
  };
  const boom = new Error("boom");
  await assert.rejects(
    schedule([
      { name: "a", type: "fake", arguments: null, dependencies: [] },
      { name: "b", type: "fake", arguments: null, dependencies: ["a"] },
    ], {
      executorFor: () => executor,
      onEvent: (event) => {
        if (event.event === "task_ended" && event.task === "a") throw boom;
      },
    }),
    (error) => error === boom,
  );
  assert.deepEqual(started, ["a"]);
});
