import assert from "node:assert/strict";
import { createStatusLine, formatStatus } from "../src/format/status_line.ts";
import { ERASE_LINE } from "../src/output.ts";
import { createRunView } from "../src/terminal.ts";
import { clipToWidth, displayWidth } from "../src/format/display_width.ts";
import { parseTaskFile } from "../src/load.ts";
import { MOD, ROOT, runCli, writeTaskFile } from "./helpers.ts";
import { findProgram, recordingSink, runProgram } from "./terminal_helpers.ts";

Deno.test("formatStatus() lists running tasks and folds the rest into (+N) to fit", () => {
  assert.equal(formatStatus(3, 9, ["a", "b", "c"], 1234, 80), "[3/9] running: a, b, c 1.2s");
  const names = Array.from({ length: 7 }, (_, i) => `task-number-${i}`);
  const line = formatStatus(2, 20, names, 500, 60);
  assert.ok(line.length <= 59, line);
  assert.match(line, /^\[2\/20\] running: task-number-0, .* \(\+\d\) 0\.5s$/);
  assert.equal(formatStatus(5, 5, [], 2000, 80), "[5/5] 2.0s");
});

Deno.test("formatStatus() never takes a terminal's last column, however narrow, or wide the names", () => {
  const cases: [string[], number][] = [];
  for (const width of [1, 2, 5, 10, 19, 20, 21, 40, 60]) {
    cases.push([["alpha", "beta", "gamma"], width]);
    cases.push([["编译", "测试".repeat(14)], width]);
    cases.push([["🚀 deploy", "e\u0301tude", "ｆｕｌｌ"], width]);
  }
  for (const [names, width] of cases) {
    const line = formatStatus(0, 3, names, 1234, width);
    assert.ok(displayWidth(line) <= width - 1, `${width} columns: ${JSON.stringify(line)}`);
  }
  assert.equal(
    formatStatus(0, 2, ["编译", "测试测试测试测试"], 500, 30),
    "[0/2] running: 编译 (+1) 0.5s",
  );
  assert.equal(formatStatus(0, 3, ["alpha"], 1234, 10), "[0/3] ru…");
  assert.equal(formatStatus(0, 3, ["alpha"], 1234, 1), "");
});

Deno.test("displayWidth() counts columns as a terminal does; clipToWidth() cuts whole characters", () => {
  assert.equal(displayWidth("build"), 5);
  assert.equal(displayWidth("编译"), 4);
  assert.equal(displayWidth("ｆｕｌｌ"), 8);
  assert.equal(displayWidth("한글"), 4);
  assert.equal(displayWidth("🚀x"), 3);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(displayWidth("a\u200db"), 2);
  assert.equal(displayWidth("☃"), 1);
  assert.equal(clipToWidth("编译测试", 5), "编译…");
  assert.equal(clipToWidth("🚀🚀🚀", 4), "🚀…");
  assert.equal(clipToWidth("short", 5), "short");
  assert.equal(clipToWidth("x", 0), "");
});

Deno.test("status line is erased before each write and redrawn after it", async () => {
  const sink = recordingSink();
  const status = createStatusLine(sink, { columns: () => 80, intervalMs: 60_000 });
  status.onEvent({ event: "run_started", total: 2, time: 0 });
  status.onEvent({ event: "task_started", task: "a", type: "exec", time: 0 });
  await Promise.resolve();
  status.sink.out("Started: a\n");
  await Promise.resolve();
  status.onEvent({
    event: "run_ended",
    ok: true,
    cancelled: false,
    counts: { ok: 0, failed: 0, skipped: 0 },
    durationMs: 0,
    tasks: [],
    time: 0,
  });
  status.sink.out("report\n");
  assert.deepEqual(sink.pieces.map((piece) => piece.replace(/\d+\.\ds$/, "T")), [
    "[0/2] running: a T",
    ERASE_LINE,
    "Started: a\n",
    "[0/2] running: a T",
    ERASE_LINE,
    "report\n",
  ]);
});

Deno.test("status line is drawn only on a terminal, for human output, without --quiet", async () => {
  const taskFile = parseTaskFile(
    JSON.stringify({ tasks: [{ name: "a", type: "exec", arguments: "true" }] }),
  );
  const cases = [
    { terminal: true, format: "human", quiet: false, expected: true },
    { terminal: false, format: "human", quiet: false, expected: false },
    { terminal: true, format: "ndjson", quiet: false, expected: false },
    { terminal: true, format: "human", quiet: true, expected: false },
  ] as const;
  for (const { terminal, format, quiet, expected } of cases) {
    const sink = recordingSink();
    const view = await createRunView(taskFile, { format, color: false, quiet }, sink, terminal);
    view.onEvent({ event: "run_started", total: 1, time: 0 });
    view.onEvent({ event: "task_started", task: "a", type: "exec", time: 0 });
    await Promise.resolve();
    view.stop();
    assert.equal(
      sink.text().includes("running: a"),
      expected,
      JSON.stringify({ terminal, format, quiet }),
    );
  }
});

Deno.test("status line never reaches a pipe", async () => {
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "exec", arguments: "echo hi; sleep 0.3" }],
  });
  const result = await runCli([file]);
  assert.equal(result.code, 0);
  assert.ok(!result.stdout.includes("\r") && !result.stdout.includes("running:"), result.stdout);
});

const tmux = await findProgram("tmux");

Deno.test({
  name: "status line shows under tmux during a run of examples/input1.json, gone at the end",
  ignore: tmux === undefined,
  async fn() {
    const file = new URL("examples/input1.json", ROOT).pathname;
    // A server of our own, so nothing here touches anyone else's tmux sessions.
    const socket = `dagrun-test-${Deno.pid}`;
    const tmuxRun = (...args: string[]) => runProgram(tmux!, ["-L", socket, ...args]);
    const command =
      `'${Deno.execPath()}' run -A --quiet '${MOD}' --no-history '${file}'; echo __DONE__; sleep 60`;
    await tmuxRun("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", command);
    try {
      const screen = () => tmuxRun("capture-pane", "-p", "-t", "t");
      const statusPattern = /^\[\d\/9\] running: .*\d+\.\ds$/;
      let running: string | undefined;
      for (let i = 0; i < 300 && running === undefined; i++) {
        const lines = (await screen()).trimEnd().split("\n");
        if (statusPattern.test(lines.at(-1)!) && lines.some((l) => l.startsWith("[task1] "))) {
          running = lines.join("\n");
        } else if (lines.some((line) => line.includes("__DONE__"))) break;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(running, "no status line below the output while running");
      assert.match(running, /running: .*task4/);
      let final = "";
      for (let i = 0; i < 400 && !final.includes("__DONE__"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        final = await screen();
      }
      assert.match(final, /9 tasks: 7 ok, 1 failed, 1 skipped/);
      assert.doesNotMatch(final, /\[\d\/9\]|running:/, final);
      assert.match(final, /^\[task8\] task 8 done$/m);
    } finally {
      await tmuxRun("kill-server").catch(() => {});
    }
  },
});
