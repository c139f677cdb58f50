import assert from "node:assert/strict";
import { buildRunReport, describe, FAILED, OK, SKIPPED } from "../src/run_report.ts";
import type { TaskSpec } from "../src/types.ts";

const task = (name: string, allowFailure?: boolean): TaskSpec => ({
  name,
  type: "noop",
  arguments: null,
  dependencies: [],
  ...(allowFailure ? { allowFailure } : {}),
});

Deno.test("buildRunReport() counts statuses and gives each task only the fields that apply", () => {
  const report = buildRunReport(
    [task("a"), task("b", true), task("c"), task("d")],
    {
      state: Uint8Array.of(OK, FAILED, SKIPPED, FAILED),
      durations: Float64Array.of(1.5, 2, 0, 3),
      results: [{ ok: true }, { ok: false, exitCode: 1 }, undefined, { ok: false, error: "x" }],
      skipReasons: [undefined, undefined, 'dependency "d" failed', undefined],
      attempts: Uint32Array.of(1, 2, 0, 1),
      resumed: Uint8Array.of(1, 0, 0, 0),
    },
    false,
    10,
  );
  assert.deepEqual(report, {
    ok: false,
    cancelled: false,
    counts: { ok: 1, failed: 2, skipped: 1, allowed: 1 },
    durationMs: 10,
    tasks: [
      { name: "a", type: "noop", status: "ok", durationMs: 1.5, resumed: true },
      {
        name: "b",
        type: "noop",
        status: "failed",
        durationMs: 2,
        exitCode: 1,
        attempts: 2,
        allowed: true,
      },
      {
        name: "c",
        type: "noop",
        status: "skipped",
        durationMs: 0,
        reason: 'dependency "d" failed',
      },
      { name: "d", type: "noop", status: "failed", durationMs: 3, error: "x" },
    ],
  });
});

Deno.test("describe() gives one line for any thrown value", () => {
  assert.equal(describe(new TypeError("boom")), "boom");
  assert.equal(describe("text"), "text");
  assert.equal(describe({ a: 1 }), '{"a":1}');
  assert.equal(describe(undefined), "undefined");
});
