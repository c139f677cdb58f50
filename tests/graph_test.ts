import assert from "node:assert/strict";
import { formatGraph } from "../src/format/graph.ts";
import { printable } from "../src/format/printable.ts";
import { parsePreviousRun } from "../src/format/previous_report.ts";
import { TaskFileError } from "../src/errors.ts";
import type { TaskSpec } from "../src/types.ts";
import { runCli, writeTaskFile } from "./helpers.ts";
import { findProgram, runProgram } from "./terminal_helpers.ts";

const tasks: TaskSpec[] = [
  { name: "build", type: "exec", arguments: "", dependencies: [] },
  { name: 'say "hi" \\ <b>', type: "exec", arguments: "", dependencies: ["build"] },
];

Deno.test("formatGraph() writes DOT with escaped names and status colours", () => {
  const dot = formatGraph(tasks, "dot", new Map([["build", "failed"]]));
  assert.match(dot, /^digraph dagrun \{/);
  assert.match(dot, /"build" \[tooltip="exec \(failed\)", fillcolor="#e53935"\];/);
  assert.match(dot, /"build" -> "say \\"hi\\" \\\\ <b>";/);
});

Deno.test("formatGraph() writes Mermaid with escaped labels and status classes", () => {
  const mermaid = formatGraph(tasks, "mermaid", new Map([["build", "ok"]]));
  assert.equal(
    mermaid,
    'flowchart LR\n  t0["build"]\n  t1["say #34;hi#34; \\ #60;b#62;"]\n  t0 --> t1\n' +
      "  classDef ok fill:#4caf50,color:#000\n  class t0 ok\n",
  );
});

Deno.test("formatGraph() keeps a name starting with a backtick out of Mermaid's Markdown strings", () => {
  // In Mermaid's flowchart lexer `"` then a backtick opens a Markdown string, which ends only
  // at a backtick then `"`: the label of `a`b would not parse, and `k` would lose its quotes.
  const named = (name: string): TaskSpec => ({
    name,
    type: "exec",
    arguments: "",
    dependencies: [],
  });
  const mermaid = formatGraph([named("`a`b"), named("`k`")], "mermaid");
  assert.equal(mermaid, 'flowchart LR\n  t0["#96;a#96;b"]\n  t1["#96;k#96;"]\n');
  assert.doesNotMatch(mermaid, /"`/);
});

Deno.test("parsePreviousRun() reads statuses and durations, and names a bad line", () => {
  const text = [
    '{"event":"run_started","total":3,"time":1}',
    '{"event":"task_ended","task":"a","status":"failed","durationMs":12,"time":2}',
    '{"event":"task_skipped","task":"b","reason":"x","time":3}',
    '{"event":"run_ended","tasks":[{"name":"c","status":"ok","durationMs":5}],"time":4}',
  ].join("\n");
  const run = parsePreviousRun(text, "r.ndjson");
  assert.deepEqual([...run.statuses], [["a", "failed"], ["b", "skipped"], ["c", "ok"]]);
  assert.deepEqual([...run.durations], [["a", 12], ["c", 5]]);
  assert.throws(
    () => parsePreviousRun('{"event":"x"}\nnot json\n{"event":"y"}\n', "r.ndjson"),
    (error: unknown) =>
      error instanceof TaskFileError && /^r\.ndjson:2:1: not an NDJSON/.test(error.message),
  );
  for (const other of ["", '{"event":"task_ended","task":"a","status":"ok","time":1}\n']) {
    assert.throws(
      () => parsePreviousRun(other, "r.ndjson"),
      (error: unknown) =>
        error instanceof TaskFileError &&
        error.message === "r.ndjson: not a dagrun NDJSON report: it has no run_started event",
    );
  }
});

Deno.test("parsePreviousRun() reads the last of several runs, and a run killed mid-line", () => {
  const events = (...list: object[]) => list.map((event) => JSON.stringify(event)).join("\n");
  const first = events(
    { event: "run_started", total: 2, time: 1 },
    { event: "task_ended", task: "a", status: "failed", durationMs: 12, time: 2 },
    { event: "task_ended", task: "b", status: "ok", durationMs: 30, time: 2 },
  );
  const second = events(
    { event: "run_started", total: 2, time: 3 },
    { event: "task_ended", task: "b", status: "ok", durationMs: 0, resumed: true, time: 3 },
    { event: "task_ended", task: "a", status: "ok", durationMs: 20, time: 4 },
  );
  // The first run was killed while writing a line; the second was appended; the second was
  // then killed while writing its last line.
  const text = first + '\n{"event":"task_ended","ta' + second + '\n{"event":"run_en';
  const run = parsePreviousRun(text, "r.ndjson");
  assert.deepEqual([...run.statuses], [["b", "ok"], ["a", "ok"]]);
  // b's duration is the one it ran for: resumed, it did not run.
  assert.deepEqual([...run.durations].sort(), [["a", 20], ["b", 30]]);
});

const dot = await findProgram("dot");

Deno.test({
  name: "dagrun graph output renders with graphviz, coloured by a previous report",
  ignore: dot === undefined,
  async fn() {
    const file = await writeTaskFile({
      tasks: [
        { name: "fetch", type: "exec", arguments: "true" },
        { name: "build", type: "exec", arguments: "false", dependencies: ["fetch"] },
        { name: "<test>", type: "exec", arguments: "true", dependencies: ["build"] },
      ],
    });
    const previous = await runCli([file, "--format", "ndjson"]);
    const report = file.replace(/tasks\.json$/, "run.ndjson");
    await Deno.writeTextFile(report, previous.stdout);
    const graph = await runCli(["graph", file, "--from-report", report]);
    assert.equal(graph.code, 0, graph.stderr);
    const dotFile = file.replace(/tasks\.json$/, "graph.dot");
    await Deno.writeTextFile(dotFile, graph.stdout);
    const svg = await runProgram(dot!, ["-Tsvg", dotFile]);
    assert.match(svg, /<svg/);
    for (const name of ["fetch", "build", "&lt;test&gt;"]) {
      assert.ok(svg.includes(`>${name}</text>`), name);
    }
    assert.ok(svg.includes('fill="#e53935"'), "the failed task is red");
    assert.ok(svg.includes('fill="#4caf50"'), "the ok task is green");
    assert.ok(svg.includes('fill="#bdbdbd"'), "the skipped task is grey");
    assert.equal(svg.match(/class="edge"/g)?.length, 2);

    const mermaid = await runCli(["graph", file, "--format", "mermaid"]);
    assert.match(mermaid.stdout, /^flowchart LR\n/);
  },
});

Deno.test("formatGraph() gives each task its own DOT node, whatever its name escapes to", async () => {
  // A name with a control character and one spelling its escape; a lone surrogate and U+FFFD.
  const names = ["ctl\u0001x", "ctl\\u0001x", "lone\ud800", "lone\ufffd", "n\u0000ul"];
  const chain: TaskSpec[] = names.map((name, i) => ({
    name,
    type: "exec",
    arguments: "",
    dependencies: i === 0 ? [] : [names[i - 1]!],
  }));
  const text = formatGraph(chain, "dot");
  const ids = [...text.matchAll(/^ {2}("(?:[^"\\]|\\.)*") \[/gm)].map(([, id]) => id);
  assert.equal(new Set(ids).size, names.length, text);
  // Nothing raw that could drive a terminal, nor a lone surrogate (written as U+FFFD).
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f]|[\ud800-\udfff]/);
  // Shown as dagrun prints them elsewhere.
  assert.match(text, /^ {2}"ctl\\u0001x" \[label="ctl\\\\u0001x", tooltip="exec"\];$/m);
  assert.match(text, /^ {2}"ctl\\\\u0001x" \[tooltip="exec"\];$/m);
  if (dot === undefined) return;
  const file = await Deno.makeTempFile({ suffix: ".dot" });
  await Deno.writeTextFile(file, text);
  const svg = await runProgram(dot, ["-Tsvg", file]);
  assert.equal(svg.match(/class="node"/g)?.length, names.length);
  assert.equal(svg.match(/class="edge"/g)?.length, names.length - 1);
  for (const shown of ["ctl\\u0001x", "n\\u0000ul"]) {
    assert.equal(svg.split(`>${shown}</text>`).length - 1, shown.startsWith("ctl") ? 2 : 1);
  }
});

Deno.test("the Mermaid export parses with Mermaid's own parser, every label as dagrun prints it", async () => {
  const names = [
    "build",
    'say "hi" \\ <b>',
    "#35; not an entity & #lt;",
    "`a`b",
    '"`quoted backticks`"',
    "[brackets] (parens) {braces} |pipes| --> arrow ::: class",
    "end",
    "%% not a comment",
    "semi; colon: comma,",
    "é unicode 🙂 中文",
    "control \u0001 and \u202e bidi",
    "\\u0001",
    "trailing space ",
    " leading and trailing\u00a0",
  ];
  const tasks: TaskSpec[] = names.map((name, i) => ({
    name,
    type: "exec",
    arguments: "",
    dependencies: i === 0 ? [] : [names[i - 1]!],
  }));
  const text = formatGraph(tasks, "mermaid", new Map([["build", "ok"], ["end", "failed"]]));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // Its own lock file, every package of Mermaid's tree pinned: a new release of one
      // cannot change what this test checks, and a stale lock fails it (--frozen).
      `--lock=${new URL("mermaid_parse.lock", import.meta.url).pathname}`,
      "--frozen",
      "--quiet",
      new URL("mermaid_parse.ts", import.meta.url).pathname,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const parsed = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(parsed.error, undefined, `${parsed.error}\n${text}`);
  assert.deepEqual(parsed.vertices, names.map((name, i) => [`t${i}`, printable(name)]));
  assert.deepEqual(parsed.edges, names.slice(1).map((_, i) => [`t${i}`, `t${i + 1}`]));
});
