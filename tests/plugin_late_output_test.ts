/**
 * Output a plugin writes after its task ended (from a timer, a stream it forgot) is not that
 * task's output: it is dropped, with one warning naming the task, on stderr and, while the
 * run lasts, as a `warning` event.
 */

import assert from "node:assert/strict";
import { run } from "../src/run.ts";
import { createDefaultRegistry } from "../src/run.ts";
import type { Executor, ExecutorContext, RunEvent } from "../src/types.ts";
import { runCli } from "./helpers.ts";
import { parseEvents } from "./options_helpers.ts";

/**
 * A module with two executors: `late` ends its task, then writes twice from a timer; `after`
 * (run after it) ends once those writes were made, so the run is still under way then.
 */
const PLUGIN = `
let wrote;
const written = new Promise((resolve) => wrote = resolve);
export default [
  {
    type: "late",
    run(task, context) {
      context.output("stdout", "in time");
      setTimeout(() => {
        context.output("stdout", "too late");
        context.output("stderr", "later still");
        wrote();
      }, 0);
      return Promise.resolve({ ok: true });
    },
  },
  {
    type: "after",
    async run(task, context) {
      await written;
      context.output("stdout", "after ran");
      return { ok: true };
    },
  },
];
`;

/** A directory with the plugin and a task file running `a` (late) then `b` (after). */
async function lateProject(): Promise<string> {
  const cwd = await Deno.makeTempDir({ prefix: "dagrun-late-" });
  await Deno.writeTextFile(`${cwd}/late.ts`, PLUGIN);
  await Deno.writeTextFile(
    `${cwd}/tasks.json`,
    JSON.stringify({
      executors: { late: "./late.ts", after: "./late.ts" },
      tasks: [
        { name: "a", type: "late", arguments: "" },
        { name: "b", type: "after", arguments: "", dependencies: ["a"] },
      ],
    }),
  );
  return cwd;
}

const WARNING = 'task "a" (type "late") wrote output after it ended; dropped';

Deno.test("a plugin's output after its task ended is dropped with one warning", async () => {
  const cwd = await lateProject();
  try {
    const result = await runCli(["tasks.json"], { cwd });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\[a\] in time$/m);
    assert.match(result.stdout, /^\[b\] after ran$/m);
    assert.doesNotMatch(result.stdout + result.stderr, /too late|later still/);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("warning"));
    assert.deepEqual(warnings, [`dagrun: warning: ${WARNING}`]);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("--format ndjson records the dropped output in one warning event", async () => {
  const cwd = await lateProject();
  try {
    const result = await runCli(["tasks.json", "--format", "ndjson"], { cwd });
    assert.equal(result.code, 0, result.stderr);
    const events = parseEvents(result.stdout);
    const warnings = events.filter((event) => event.event === "warning");
    assert.deepEqual(warnings.map(({ time: _, ...event }) => event), [
      { event: "warning", task: "a", message: WARNING },
    ]);
    // In order: after a's end, before b's and the run's.
    const position = (wanted: (event: RunEvent) => boolean) => events.findIndex(wanted);
    const warning = position((event) => event.event === "warning");
    assert.ok(warning > position((event) => event.event === "task_ended" && event.task === "a"));
    assert.ok(warning < position((event) => event.event === "task_ended" && event.task === "b"));
    assert.equal(events.at(-1)!.event, "run_ended");
    // stderr says it too, as in the human view.
    assert.match(result.stderr, /^dagrun: warning: task "a" \(type "late"\) wrote output/m);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("run(): no output event of a task comes after its task_ended", async () => {
  let wrote!: () => void;
  const written = new Promise<void>((resolve) => wrote = resolve);
  const late: Executor = {
    type: "late",
    run(_task, context) {
      setTimeout(() => {
        context.output("stdout", "too late");
        wrote();
      }, 0);
      return Promise.resolve({ ok: true });
    },
  };
  const after: Executor = { type: "after", run: () => written.then(() => ({ ok: true })) };
  const registry = createDefaultRegistry().register(late).register(after);
  const events: RunEvent[] = [];
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  try {
    const report = await run([
      { name: "a", type: "late", arguments: "" },
      { name: "b", type: "after", arguments: "", dependencies: ["a"] },
    ], { registry, onEvent: (event) => events.push(event) });
    assert.equal(report.ok, true);
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(events.filter((event) => event.event === "output"), []);
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0]![0]), /task "a" \(type "late"\) wrote output after it ended/);
  assert.deepEqual(
    events.filter((event) => event.event === "warning").map(({ time: _, ...event }) => event),
    [{ event: "warning", task: "a", message: WARNING }],
  );
});

Deno.test("run(): output after the run has ended is warned of on stderr, with no event after run_ended", async () => {
  let kept: ExecutorContext | undefined;
  const keeper: Executor = {
    type: "keeper",
    run(_task, context) {
      kept = context;
      return Promise.resolve({ ok: true });
    },
  };
  const events: RunEvent[] = [];
  const warnings: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  try {
    await run([{ name: "k", type: "keeper", arguments: "" }], {
      registry: createDefaultRegistry().register(keeper),
      onEvent: (event) => events.push(event),
    });
    kept!.output("stdout", "after the run");
  } finally {
    console.warn = warn;
  }
  assert.equal(events.at(-1)!.event, "run_ended");
  assert.equal(warnings.length, 1);
  assert.match(String(warnings[0]![0]), /task "k" \(type "keeper"\) wrote output after it ended/);
});
