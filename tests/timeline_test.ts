import assert from "node:assert/strict";
import {
  createTimelineRecorder,
  MAX_OUTPUT_BYTES,
  MAX_OUTPUT_LINES,
} from "../src/format/timeline.ts";
import { MAX_LINE_LENGTH } from "../src/lines.ts";
import { utf8Length } from "../src/utf8_length.ts";
import { graph } from "./helpers.ts";
import type { OutputStream, RunEvent } from "../src/types.ts";

/** A timeline recorder of a run of one task, "build", that has started. */
function buildStarted(): ReturnType<typeof createTimelineRecorder> {
  const recorder = createTimelineRecorder(graph({ build: [] }));
  recorder.onEvent({ event: "run_started", total: 1, time: 0 });
  recorder.onEvent({ event: "task_started", task: "build", type: "exec", time: 0 });
  return recorder;
}

Deno.test("the timeline keeps the last lines of a task's output, counted in lines, not events", () => {
  const recorder = buildStarted();
  // One event may carry many lines (the output is passed on in blocks).
  const lines = Array.from({ length: 250 }, (_, i) => `line ${i}`);
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: lines.join("\n") });
  recorder.onEvent({ event: "output", task: "build", stream: "stderr", text: "last" });
  const [task] = recorder.timeline().tasks;
  assert.equal(task!.output.length, MAX_OUTPUT_LINES);
  // "line 0" to "line 50", each with its newline.
  assert.equal(task!.droppedBytes, 10 * "line 0\n".length + 41 * "line 10\n".length);
  assert.deepEqual(task!.output[0], { stream: "stdout", text: "line 51" });
  assert.deepEqual(task!.output.at(-1), { stream: "stderr", text: "last" });
});

Deno.test("the timeline keeps the last MAX_OUTPUT_BYTES of output in UTF-8, never half a character", () => {
  const recorder = buildStarted();
  // 40,000 characters of 2 bytes, then 30,000 emoji of 4 bytes (2 UTF-16 units each).
  const first = "é".repeat(40_000), second = "🙂".repeat(30_000);
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: first });
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: second });
  const [task] = recorder.timeline().tasks;
  assert.deepEqual(task!.output, [{ stream: "stdout", text: "🙂".repeat(MAX_OUTPUT_BYTES / 4) }]);
  assert.equal(task!.droppedBytes, 80_001 + 120_000 - MAX_OUTPUT_BYTES);
  assert.equal(utf8Length("aé€🙂"), 1 + 2 + 3 + 4);
});

Deno.test("a resumed task has no bar in the HTML report and no event in the trace", async () => {
  const { renderHtmlReport } = await import("../src/format/html.ts");
  const { toTraceEvents } = await import("../src/format/trace.ts");
  const emoji = "a".repeat(26) + "🙂xyz";
  const recorder = createTimelineRecorder(graph({ done: [], [emoji]: ["done"], "n\u0000ul": [] }));
  const events: RunEvent[] = [
    { event: "run_started", total: 3, time: 1000 },
    { event: "task_ended", task: "done", status: "ok", durationMs: 0, resumed: true, time: 1000 },
    { event: "task_started", task: emoji, type: "exec", time: 1001 },
    { event: "task_started", task: "n\u0000ul", type: "exec", time: 1001 },
    { event: "task_ended", task: emoji, status: "ok", durationMs: 5, time: 1006 },
    { event: "task_ended", task: "n\u0000ul", status: "ok", durationMs: 5, time: 1006 },
  ];
  for (const event of events) recorder.onEvent(event);
  const timeline = recorder.timeline();
  const traced = toTraceEvents(timeline).traceEvents.filter((event) => event.ph === "X");
  assert.deepEqual(traced.map((event) => event.name).sort(), [emoji, "n\u0000ul"].sort());
  const html = renderHtmlReport(timeline, "tasks.json");
  assert.equal((html.match(/<rect class="bar /g) ?? []).length, 2);
  assert.match(html, /resumed: ok in the earlier run/);
  // The label is cut between characters, not inside the emoji's surrogate pair.
  assert.ok(html.includes(`${"a".repeat(26)}🙂…`), "label cut whole");
  assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(html), "no lone surrogate");
  assert.ok(!html.includes("\u0000"), "no NUL in the page");
  assert.match(html, /<p class="summary">3 tasks: /);
  const one = createTimelineRecorder(graph({ only: [] }));
  one.onEvent({ event: "run_started", total: 1, time: 0 });
  assert.match(renderHtmlReport(one.timeline(), "t.json"), /<p class="summary">1 task: /);
});

Deno.test("the timeline's cut into a long line never leaves the rest of an escape sequence", () => {
  const recorder = buildStarted();
  // The last MAX_OUTPUT_BYTES begin two characters into "\x1b[31m": at "31m".
  const line = "x".repeat(1000) + "\x1b[31m" + "r".repeat(MAX_OUTPUT_BYTES - 3);
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: line });
  const [task] = recorder.timeline().tasks;
  assert.deepEqual(task!.output, [{ stream: "stdout", text: "r".repeat(MAX_OUTPUT_BYTES - 3) }]);
  assert.equal(task!.droppedBytes, 1005);
});

Deno.test("the timeline marks the pieces of a long line, and a piece left out leaves no rest of a sequence", () => {
  const recorder = buildStarted();
  // Pieces as the line splitter passes them on: "\x1b" ends the first, "[31m" begins the
  // second, which fills MAX_OUTPUT_BYTES alone, so that the first is left out whole.
  const pieces = [
    "x".repeat(MAX_LINE_LENGTH - 1) + "\x1b",
    "[31m" + "y".repeat(MAX_LINE_LENGTH - 4),
  ];
  for (const text of pieces) {
    recorder.onEvent({ event: "output", task: "build", stream: "stdout", text, continues: true });
  }
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: "z" });
  const [task] = recorder.timeline().tasks;
  assert.deepEqual(task!.output, [
    { stream: "stdout", text: "y".repeat(MAX_LINE_LENGTH - 4), continues: true },
    { stream: "stdout", text: "z" },
  ]);
  assert.equal(task!.droppedBytes, MAX_LINE_LENGTH + 1 + 4);
  // Only an event that says it continues is taken for a piece.
  const other = buildStarted();
  other.onEvent({ event: "output", task: "build", stream: "stdout", text: "a\nb" });
  assert.deepEqual(other.timeline().tasks[0]!.output.map((line) => line.continues), [
    undefined,
    undefined,
  ]);
});

Deno.test("a whole line as long as a piece is a line: what an unfinished sequence ends in it does not eat the next", () => {
  const recorder = buildStarted();
  // `head -c 65535 /dev/zero | tr '\0' x; printf '\33\n[31m…'`: a line of exactly
  // MAX_LINE_LENGTH characters, its newline in the next read, so alone in its event; the next
  // line fills MAX_OUTPUT_BYTES alone, so that the first is left out whole.
  const whole = "x".repeat(MAX_LINE_LENGTH - 1) + "\x1b";
  const next = "[31m" + "y".repeat(MAX_OUTPUT_BYTES - 4);
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: whole });
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: next });
  const [task] = recorder.timeline().tasks;
  // The next line kept whole, as the terminal showed it: its "[31m" is text there.
  assert.deepEqual(task!.output, [{ stream: "stdout", text: next }]);
  assert.equal(task!.droppedBytes, MAX_LINE_LENGTH + 1);
});

Deno.test("a sequence begun in a piece left out is left out to its end, however many pieces it runs through", () => {
  const L = MAX_LINE_LENGTH;
  const record = (events: [OutputStream, string][]) => {
    const recorder = buildStarted();
    for (const [stream, text] of events) {
      // Pieces as the line splitter passes them on: alone, and MAX_LINE_LENGTH long (or one
      // less, not to split a surrogate pair).
      const continues = text.length >= L - 1 && !text.includes("\n");
      recorder.onEvent({
        event: "output",
        task: "build",
        stream,
        text,
        ...(continues ? { continues: true as const } : {}),
      });
    }
    return recorder.timeline().tasks[0]!;
  };
  // An inline image's OSC through three pieces: the first is left out when the second comes.
  const image = record([
    ["stdout", "a\x1b]1337;" + "Q".repeat(L - 8)],
    ["stdout", "Q".repeat(L)],
    ["stdout", "QQQ\x07after"],
  ]);
  assert.deepEqual(image.output, [
    { stream: "stdout", text: "", continues: true },
    { stream: "stdout", text: "after" },
  ]);
  assert.equal(image.droppedBytes, L + 1 + L + 4);
  // A piece cut inside the sequence it leaves unfinished keeps none of it, nor does the next.
  const cut = record([
    ["stdout", "a".repeat(10) + "\x1b]1337;" + "Q".repeat(L - 17)],
    ["stdout", "QQ\x07after"],
    ["stdout", "b".repeat(100)],
  ]);
  assert.deepEqual(cut.output, [
    { stream: "stdout", text: "", continues: true },
    { stream: "stdout", text: "after" },
    { stream: "stdout", text: "b".repeat(100) },
  ]);
  // A piece left out before its stream's next line came, and that line left out with the
  // start of its block: the rest of the sequence went with it, the lines kept lose nothing.
  const lines = Array.from({ length: 250 }, (_, i) => `line ${i}`);
  const block = record([
    ["stdout", "x".repeat(L - 1) + "\x1b"],
    ["stderr", "é".repeat(L / 2)],
    ["stdout", ["[31mred", ...lines].join("\n")],
  ]);
  assert.deepEqual(block.output[0], { stream: "stdout", text: "line 50" });
});
