import assert from "node:assert/strict";
import type { TraceEvent } from "../src/format/trace.ts";
import { toTraceEvents } from "../src/format/trace.ts";
import type { TaskRecord } from "../src/format/timeline.ts";
import { runCli, writeTaskFile } from "./helpers.ts";

function record(name: string, start: number, end: number): TaskRecord {
  return {
    name,
    type: "exec",
    arguments: "",
    dependencies: [],
    status: "ok",
    start,
    end,
    output: [],
    droppedBytes: 0,
  };
}

function assertNoOverlapPerLane(events: TraceEvent[]) {
  const byLane = Map.groupBy(events.filter((e) => e.ph === "X"), (e) => e.tid);
  for (const [lane, laneEvents] of byLane) {
    laneEvents.sort((a, b) => a.ts - b.ts);
    for (let i = 1; i < laneEvents.length; i++) {
      const previous = laneEvents[i - 1]!;
      assert.ok(previous.ts + previous.dur! <= laneEvents[i]!.ts, `lane ${lane} overlaps`);
    }
  }
}

Deno.test("toTraceEvents() puts overlapping tasks on separate lanes and reuses free ones", () => {
  const { traceEvents } = toTraceEvents({
    start: 1000,
    end: 1010,
    tasks: [
      record("a", 1000, 1005),
      record("b", 1001, 1003),
      record("c", 1003, 1008),
      record("d", 1005, 1006),
    ],
  });
  const complete = traceEvents.filter((e) => e.ph === "X");
  assert.deepEqual(complete.map((e) => [e.name, e.ts, e.dur, e.tid]), [
    ["a", 0, 5000, 1],
    ["b", 1000, 2000, 2],
    ["c", 3000, 5000, 2],
    ["d", 5000, 1000, 1],
  ]);
  assertNoOverlapPerLane(traceEvents);
});

Deno.test("--trace writes Chrome trace-event JSON: one X event per task that ran, no overlap per lane", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "sleep 0.3" },
      { name: "b", type: "exec", arguments: "sleep 0.1" },
      { name: "c", type: "exec", arguments: "sleep 0.1", dependencies: ["b"] },
      { name: "d", type: "exec", arguments: "exit 4" },
      { name: "e", type: "eval", arguments: "1", dependencies: ["d"] },
    ],
  });
  const trace = file.replace(/tasks\.json$/, "trace.json");
  const { code } = await runCli([file, "--trace", trace]);
  assert.equal(code, 1);
  const { traceEvents } = JSON.parse(await Deno.readTextFile(trace)) as {
    traceEvents: TraceEvent[];
  };
  const complete = traceEvents.filter((e) => e.ph === "X");
  assert.deepEqual(complete.map((e) => e.name).sort(), ["a", "b", "c", "d"]);
  for (const event of complete) {
    assert.equal(typeof event.ts, "number");
    assert.ok(event.dur! >= 0 && event.pid === 1 && event.tid >= 1);
  }
  assert.ok(complete.find((e) => e.name === "a")!.dur! >= 250_000, "durations are in µs");
  assert.deepEqual(complete.find((e) => e.name === "d")!.args, {
    status: "failed",
    exitCode: 4,
    error: "exit code 4",
    arguments: "exit 4",
  });
  assertNoOverlapPerLane(traceEvents);
});
