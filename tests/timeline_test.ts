import assert from "node:assert/strict";
import { createTimelineRecorder, MAX_OUTPUT_LINES } from "../src/format/timeline.ts";
import { graph } from "./helpers.ts";

Deno.test("the timeline keeps the last lines of a task's output, counted in lines, not events", () => {
  const recorder = createTimelineRecorder(graph({ build: [] }));
  recorder.onEvent({ event: "run_started", total: 1, time: 0 });
  recorder.onEvent({ event: "task_started", task: "build", type: "exec", time: 0 });
  // One event may carry many lines (the output is passed on in blocks).
  const lines = Array.from({ length: 250 }, (_, i) => `line ${i}`);
  recorder.onEvent({ event: "output", task: "build", stream: "stdout", text: lines.join("\n") });
  recorder.onEvent({ event: "output", task: "build", stream: "stderr", text: "last" });
  const [task] = recorder.timeline().tasks;
  assert.equal(task!.output.length, MAX_OUTPUT_LINES);
  assert.equal(task!.droppedLines, 251 - MAX_OUTPUT_LINES);
  assert.deepEqual(task!.output[0], { stream: "stdout", text: "line 51" });
  assert.deepEqual(task!.output.at(-1), { stream: "stderr", text: "last" });
});
