import assert from "node:assert/strict";
import { formatDuration, formatReport } from "../src/format/human.ts";
import type { RunReport, TaskReport } from "../src/types.ts";

function reportOf(tasks: TaskReport[]): RunReport {
  const counts = { ok: 0, failed: 0, skipped: 0 };
  for (const task of tasks) counts[task.status]++;
  return {
    ok: counts.failed === 0 && counts.skipped === 0,
    cancelled: false,
    counts,
    durationMs: 1,
    tasks,
  };
}

Deno.test("formatReport() aligns the table in terminal columns, wide names included", () => {
  const table = formatReport(reportOf([
    { name: "编译", type: "exec", status: "ok", durationMs: 5 },
    {
      name: "build",
      type: "exec",
      status: "failed",
      durationMs: 7,
      exitCode: 1,
      error: "exit code 1",
    },
    {
      name: "🚀",
      type: "eval",
      status: "skipped",
      durationMs: 0,
      reason: 'dependency "build" failed',
    },
  ]));
  const lines = table.split("\n").slice(1, 5);
  // Every STATUS cell begins in the same terminal column.
  const columns = lines.map((line) => {
    const at = line.search(/STATUS|ok|failed|skipped/);
    return [...line.slice(0, at)].reduce(
      (width, c) => width + (/[\u4e00-\u9fff]|\p{Emoji_Presentation}/u.test(c) ? 2 : 1),
      0,
    );
  });
  assert.deepEqual(new Set(columns).size, 1, table);
});

Deno.test("formatReport() prints the table of a run of 300,000 tasks", () => {
  const tasks: TaskReport[] = Array.from({ length: 300_000 }, (_, i) => ({
    name: `t${i}`,
    type: "exec",
    status: "ok",
    durationMs: 1,
  }));
  const table = formatReport(reportOf(tasks));
  assert.equal(table.split("\n").length, 300_000 + 5);
});

Deno.test("formatReport() of a run of no tasks is the summary alone, without an empty table", () => {
  assert.equal(formatReport(reportOf([])), "\n0 tasks: 0 ok, 0 failed, 0 skipped in 1ms\n");
});

Deno.test("formatDuration() picks its unit after rounding: no 1000ms, 60.00s or 1m60s", () => {
  const cases: [number, string][] = [
    [0, "0ms"],
    [850, "850ms"],
    [999.4, "999ms"],
    [999.5, "1.00s"],
    [1250, "1.25s"],
    [59_994, "59.99s"],
    [59_996, "1m00s"],
    [125_000, "2m05s"],
    [119_499, "1m59s"],
    [119_500, "2m00s"],
    [3_599_999, "60m00s"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
});
