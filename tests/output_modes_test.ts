import assert from "node:assert/strict";
import { createHumanFormatter } from "../src/format/human.ts";
import { runCli, writeTaskFile } from "./helpers.ts";

// Two tasks whose output alternates: a prints, then b, then a again. They hand over through
// marker files rather than sleeps, so a loaded machine cannot reorder them.
const markers = await Deno.makeTempDir({ prefix: "dagrun-markers-" });
const waitFor = (name: string) => `while [ ! -f ${markers}/${name} ]; do sleep 0.02; done`;
const interleaving = {
  tasks: [
    {
      name: "a",
      type: "exec",
      arguments: `echo a1; touch ${markers}/a1; ${waitFor("b1")}; sleep 0.1; echo a2`,
    },
    {
      name: "b",
      type: "exec",
      arguments: `${waitFor("a1")}; echo b1; touch ${markers}/b1; exit 3`,
    },
  ],
};
const reset = () => Deno.remove(markers, { recursive: true }).then(() => Deno.mkdir(markers));

Deno.test("--output prefixed (the default) prefixes lines as they come", async () => {
  await reset();
  const file = await writeTaskFile(interleaving);
  const { stdout, code } = await runCli([file]);
  assert.equal(code, 1);
  const lines = stdout.split("\n").filter((line) => line.startsWith("["));
  assert.deepEqual(lines, ["[a] a1", "[b] b1", "[a] a2"]);
});

Deno.test("--output grouped prints each task's output as one block between its Started/Ended lines", async () => {
  await reset();
  const file = await writeTaskFile(interleaving);
  const { stdout, code } = await runCli([file, "--output", "grouped"]);
  assert.equal(code, 1);
  const body = stdout.slice(0, stdout.indexOf("\nTASK"));
  assert.equal(body, "Started: b\nb1\nEnded : b\nStarted: a\na1\na2\nEnded : a\n");
  assert.match(stdout, /first failure: b \(exit code 3\)/);
});

Deno.test("--output grouped keeps a task's Retry lines in its block, between its attempts", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "flaky", type: "exec", arguments: "echo attempt; exit 1", retries: 2 },
      { name: "after", type: "exec", arguments: "echo after", dependencies: ["flaky"] },
    ],
  });
  const { stdout, code } = await runCli([file, "--output", "grouped", "--no-history"]);
  assert.equal(code, 1);
  const body = stdout.slice(0, stdout.indexOf("\nTASK"));
  assert.equal(
    body,
    "Started: flaky\nattempt\nRetry  : flaky (attempt 2/3, after exit code 1)\nattempt\n" +
      "Retry  : flaky (attempt 3/3, after exit code 1)\nattempt\nEnded : flaky\n" +
      'Skipped: after (dependency "flaky" failed)\n',
  );
});

Deno.test("--output-errors-only keeps only the failed tasks' blocks", async () => {
  await reset();
  const file = await writeTaskFile(interleaving);
  const { stdout } = await runCli([file, "--output-errors-only"]);
  const body = stdout.slice(0, stdout.indexOf("\nTASK"));
  assert.equal(body, "Started: b\nb1\nEnded : b\nStarted: a\nEnded : a\n");
});

// As the README says: a retried task that ended ok shows no Retry lines (its report line says
// "ok after N attempts"); one that failed keeps them in its block, between its attempts.
Deno.test("--output-errors-only leaves out the Retry lines of a task that ended ok", async () => {
  const markers = await Deno.makeTempDir({ prefix: "dagrun-retry-" });
  const file = await writeTaskFile({
    tasks: [
      {
        name: "flaky",
        type: "exec",
        arguments: `echo try; [ -f ${markers}/tried ] || { touch ${markers}/tried; exit 1; }`,
        retries: 1,
      },
      { name: "broken", type: "exec", arguments: "echo try; exit 1", retries: 1 },
    ],
  });
  const { stdout, code } = await runCli([file, "--output-errors-only", "-j", "1", "--no-history"]);
  await Deno.remove(markers, { recursive: true });
  assert.equal(code, 1);
  const body = stdout.slice(0, stdout.indexOf("\nTASK"));
  assert.equal(
    body,
    "Started: flaky\nEnded : flaky\n" +
      "Started: broken\ntry\nRetry  : broken (attempt 2/2, after exit code 1)\ntry\nEnded : broken\n",
  );
  assert.match(stdout, /flaky +exec +ok +\S+ +ok after 2 attempts/);
});

Deno.test("--output-errors-only with --output prefixed is a usage error", async () => {
  await reset();
  const file = await writeTaskFile(interleaving);
  const { code, stderr } = await runCli([file, "--output-errors-only", "--output", "prefixed"]);
  assert.equal(code, 2);
  assert.match(stderr, /^dagrun: Cannot use --output-errors-only with --output prefixed/);
});

Deno.test("--quiet and --output with --format ndjson are usage errors, not ignored", async () => {
  await reset();
  const file = await writeTaskFile(interleaving);
  for (
    const [flags, named] of [
      [["-q"], "--quiet"],
      [["--output", "grouped"], "--output grouped"],
      [["--output-errors-only"], "--output-errors-only"],
    ] as const
  ) {
    const { code, stdout, stderr } = await runCli([file, "--format", "ndjson", ...flags]);
    assert.equal(code, 2, named);
    assert.equal(stdout, "", "nothing ran");
    assert.equal(
      stderr,
      `dagrun: Cannot use ${named} with --format ndjson: it applies to the human view only\n` +
        "Try 'dagrun run --help' for usage.\n",
    );
  }
});

Deno.test("--output interleaved passes output through unprefixed", async () => {
  await reset();
  const file = await writeTaskFile(interleaving);
  const { stdout } = await runCli([file, "--output", "interleaved"]);
  const lines = stdout.split("\n").filter((line) => /^[ab]\d$/.test(line));
  assert.deepEqual(lines, ["a1", "b1", "a2"]);
  assert.match(stdout, /^Started: a$/m);
});

Deno.test("--quiet prints only the report, without a blank line before it", async () => {
  await reset();
  const file = await writeTaskFile(interleaving);
  const { stdout, stderr } = await runCli([file, "--quiet"]);
  assert.equal(stderr, "");
  // The blank line sets the report apart from what came before it: here nothing did.
  assert.ok(stdout.startsWith("TASK "), stdout);
  assert.doesNotMatch(stdout, /Started:|Ended :|a1|b1/);
  assert.match(stdout, /2 tasks: 1 ok, 1 failed, 0 skipped .*first failure: b/);
});

Deno.test("--output grouped keeps apart the blocks of two tasks whose names print alike", () => {
  const out: string[] = [];
  const sink = { out: (text: string) => out.push(text), err: () => {}, flush() {} };
  const onEvent = createHumanFormatter(sink, { output: "grouped" });
  // A BEL prints as \u0007, as a name holding those six characters is printed.
  const bell = "a\u0007", spelt = "a\\u0007";
  const time = 0;
  onEvent({ event: "task_started", task: bell, type: "exec", time });
  onEvent({ event: "task_started", task: spelt, type: "exec", time });
  onEvent({ event: "output", task: bell, stream: "stdout", text: "from bell" });
  onEvent({ event: "output", task: spelt, stream: "stdout", text: "from spelt" });
  onEvent({ event: "task_ended", task: bell, status: "ok", durationMs: 1, time });
  onEvent({ event: "task_ended", task: spelt, status: "ok", durationMs: 1, time });
  assert.equal(
    out.join(""),
    "Started: a\\u0007\nfrom bell\nEnded : a\\u0007\n" +
      "Started: a\\u0007\nfrom spelt\nEnded : a\\u0007\n",
  );
});

Deno.test("--output prefixed prefixes what follows a carriage return, which would overwrite it", () => {
  const out: string[] = [];
  const sink = { out: (text: string) => out.push(text), err: () => {}, flush() {} };
  const onEvent = createHumanFormatter(sink);
  onEvent({ event: "output", task: "t", stream: "stdout", text: "10%\r20%\r100%\ndone" });
  assert.equal(out.join(""), "[t] 10%\r[t] 20%\r[t] 100%\n[t] done\n");
  // Unprefixed, the text is left as it came.
  const raw: string[] = [];
  const interleaved = createHumanFormatter(
    { out: (text: string) => raw.push(text), err: () => {}, flush() {} },
    { output: "interleaved" },
  );
  interleaved({ event: "output", task: "t", stream: "stdout", text: "10%\r20%" });
  assert.equal(raw.join(""), "10%\r20%\n");
});

Deno.test("the report is set apart by a blank line only from what was printed before it", async (t) => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "echo hi" }] });
  for (
    const mode of [[], ["--output", "grouped"], ["--output", "interleaved"], [
      "--output-errors-only",
    ]]
  ) {
    await t.step(mode.join(" ") || "prefixed", async () => {
      const { stdout, code } = await runCli([file, "--no-history", ...mode]);
      assert.equal(code, 0);
      assert.match(stdout, /^Started: a\n/);
      assert.match(stdout, /\nEnded : a\n\nTASK /);
    });
  }
  await t.step("ndjson: one event a line, no blank one", async () => {
    const { stdout, code } = await runCli([file, "--no-history", "--format", "ndjson"]);
    assert.equal(code, 0);
    for (const line of stdout.trimEnd().split("\n")) JSON.parse(line);
  });
  await t.step("a run of no tasks: the summary alone", async () => {
    const empty = await writeTaskFile({ tasks: [] });
    const { stdout, code } = await runCli([empty, "--no-history"]);
    assert.equal(code, 0);
    assert.match(stdout, /^0 tasks: 0 ok, 0 failed, 0 skipped in \S+\n$/);
  });
  await t.step("the formatter: output on stderr alone is something before", () => {
    const out: string[] = [];
    const sink = { out: (text: string) => out.push(text), err: () => {}, flush() {} };
    const onEvent = createHumanFormatter(sink, { output: "interleaved" });
    onEvent({ event: "output", task: "a", stream: "stderr", text: "oops" });
    onEvent({
      event: "run_ended",
      ok: true,
      cancelled: false,
      durationMs: 1,
      counts: { ok: 0, failed: 0, skipped: 0 },
      tasks: [],
      time: 0,
    } as never);
    assert.equal(out.join(""), "\n0 tasks: 0 ok, 0 failed, 0 skipped in 1ms\n");
  });
});
