import assert from "node:assert/strict";
import {
  fifoWriting,
  killIfRunning,
  runCli,
  runCliUnderDataLimit,
  writeTrueTasks,
} from "./helpers.ts";
import { parseEvents, project } from "./options_helpers.ts";
import { readResumeReport } from "../src/resume.ts";

const pipeline = {
  tasks: [
    { name: "fetch", type: "exec", arguments: "echo fetched >> log" },
    { name: "build", type: "exec", arguments: "test -e fixed && echo built >> log" },
    { name: "test", type: "exec", arguments: "echo tested >> log", dependencies: ["build"] },
    { name: "docs", type: "eval", arguments: "console.log('docs')" },
  ],
};

Deno.test("--resume takes tasks ok in the report as done and runs the rest", async () => {
  await using p = await project(pipeline);
  const first = await runCli([p.file, "--report", "run1.ndjson"], { cwd: p.dir });
  assert.equal(first.code, 1);
  await p.write("", "fixed");
  await p.write("", "log");
  const second = await runCli([p.file, "--resume", "run1.ndjson", "--report", "run2.ndjson"], {
    cwd: p.dir,
  });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /^Resumed: fetch$/m);
  assert.match(second.stdout, /^Resumed: docs$/m);
  assert.match(second.stdout, /^Started: build$/m);
  assert.match(second.stdout, /fetch +exec +ok +- +resumed: ok in the earlier run/);
  assert.match(second.stdout, /4 tasks: 4 ok \(2 resumed\), 0 failed, 0 skipped/);
  assert.equal(await p.read("log"), "built\ntested\n");
  const events = parseEvents(await p.read("run2.ndjson"));
  const resumed = events.filter((e) => e.event === "task_ended" && e.resumed);
  assert.deepEqual(resumed.map((e) => e.event === "task_ended" && e.task), ["fetch", "docs"]);
  assert.ok(resumed.every((e) => e.event === "task_ended" && /^[0-9a-f]{16}$/.test(e.hash!)));

  // A report of a resumed run resumes in turn: now everything is done.
  const third = await runCli([p.file, "--resume", "run2.ndjson"], { cwd: p.dir });
  assert.equal(third.code, 0);
  assert.match(third.stdout, /4 tasks: 4 ok \(4 resumed\)/);
  assert.equal(await p.read("log"), "built\ntested\n");
});

Deno.test("--resume runs again a changed task and what depends on it", async () => {
  await using p = await project(pipeline);
  await p.write("", "fixed");
  const first = await runCli([p.file, "--format", "ndjson"], { cwd: p.dir });
  assert.equal(first.code, 0, first.stderr);
  // The stdout of --format ndjson is a report too.
  await p.write(first.stdout, "run1.ndjson");
  const changed = structuredClone(pipeline);
  changed.tasks[1]!.arguments = "echo built again >> log";
  // A timeout is not part of a task's definition: fetch stays done.
  Object.assign(changed.tasks[0]!, { timeout: 30 });
  await p.write(changed);
  await p.write("", "log");
  const second = await runCli([p.file, "--resume", "run1.ndjson"], { cwd: p.dir });
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /^Resumed: fetch$/m);
  assert.match(second.stdout, /^Resumed: docs$/m);
  assert.match(second.stdout, /^Started: build$/m);
  assert.match(second.stdout, /^Started: test$/m);
  assert.equal(await p.read("log"), "built again\ntested\n");
});

Deno.test("--resume runs again a task whose env or cwd changed", async () => {
  const exec = (name: string, fields: Record<string, unknown> = {}) => ({
    name,
    type: "exec",
    arguments: "true",
    ...fields,
  });
  await using p = await project({
    defaults: { env: { MODE: "debug" } },
    tasks: [exec("own"), exec("inherits"), exec("moves", { cwd: "." })],
  });
  await Deno.mkdir(`${p.dir}/sub`);
  assert.equal((await runCli([p.file, "--report", "r.ndjson"], { cwd: p.dir })).code, 0);
  await p.write({
    defaults: { env: { MODE: "release" } },
    tasks: [
      exec("own", { env: { MODE: "debug" } }),
      exec("inherits"),
      exec("moves", { cwd: "sub" }),
    ],
  });
  const second = await runCli([p.file, "--resume", "r.ndjson"], { cwd: p.dir });
  assert.equal(second.code, 0, second.stderr);
  // The effective env is what counts: "own" keeps MODE=debug, "inherits" gets release.
  assert.match(second.stdout, /^Resumed: own$/m);
  assert.match(second.stdout, /^Started: inherits$/m);
  assert.match(second.stdout, /^Started: moves$/m);
});

Deno.test("--resume runs again a task without cwd when dagrun runs in another directory", async () => {
  // Such a task runs in dagrun's directory: from elsewhere, it writes elsewhere.
  await using p = await project({
    tasks: [
      { name: "fetch", type: "exec", arguments: "echo fetched > data.txt" },
      { name: "here", type: "exec", arguments: "true", cwd: "." },
    ],
  });
  await Deno.mkdir(`${p.dir}/elsewhere`);
  assert.equal((await runCli([p.file, "--report", "r.ndjson"], { cwd: p.dir })).code, 0);
  const same = await runCli([p.file, "--resume", "r.ndjson"], { cwd: p.dir });
  assert.match(same.stdout, /2 tasks: 2 ok \(2 resumed\)/);
  const moved = await runCli([p.file, "--resume", "../r.ndjson"], { cwd: `${p.dir}/elsewhere` });
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /^Started: fetch$/m);
  assert.match(moved.stdout, /^Resumed: here$/m);
  assert.equal(await p.read("elsewhere/data.txt"), "fetched\n");
});

Deno.test("--resume refuses a report of another task file", async () => {
  await using p = await project(pipeline);
  assert.equal((await runCli([p.file, "--report", "r.ndjson"], { cwd: p.dir })).code, 1);
  await p.write({ tasks: [{ name: "other", type: "exec", arguments: "touch ran" }] }, "other.json");
  const result = await runCli([`${p.dir}/other.json`, "--resume", "r.ndjson"], { cwd: p.dir });
  assert.equal(result.code, 2);
  const file = await Deno.realPath(p.file);
  assert.equal(
    result.stderr,
    `dagrun: r.ndjson: is a report of another task file (${file}): none of its 4 tasks is in ${
      file.replace(/tasks\.json$/, "other.json")
    }; refusing to resume from it\n`,
  );
  await assert.rejects(p.read("ran"));
});

Deno.test("--resume of another task file's report names the report and both files escaped once", async () => {
  // The files' names went into the message raw, so that the whole line was escaped again,
  // the report's name (escaped already, as a place) twice: r\\u0001.ndjson.
  const dir = await Deno.makeTempDir();
  const ran = `${dir}/ran\u0007.json`, other = `${dir}/other\u0001.json`;
  try {
    await writeTrueTasks(ran, ["a"]);
    await writeTrueTasks(other, ["x"]);
    const args = ["-q", "--no-history"];
    assert.equal(
      (await runCli([ran, "--report", "r\u0001.ndjson", ...args], { cwd: dir })).code,
      0,
    );
    const result = await runCli([other, "--resume", "r\u0001.ndjson", ...args], { cwd: dir });
    assert.equal(result.code, 2);
    const real = await Deno.realPath(dir);
    assert.equal(
      result.stderr,
      `dagrun: r\\u0001.ndjson: is a report of another task file (${real}/ran\\u0007.json): its one task is not in ${real}/other\\u0001.json; refusing to resume from it\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--resume accepts a report of the same tasks at another path", async () => {
  await using p = await project(pipeline);
  await p.write("", "fixed");
  assert.equal((await runCli([p.file, "--report", "r.ndjson"], { cwd: p.dir })).code, 0);
  await p.write(pipeline, "copy.json");
  const result = await runCli([`${p.dir}/copy.json`, "--resume", "r.ndjson"], { cwd: p.dir });
  assert.equal(result.code, 0);
  assert.match(result.stdout, /4 ok \(4 resumed\)/);
});

Deno.test("--resume with a subset accepts a report of the same tasks at another path", async () => {
  // The task names that identify a file are all of its names, whatever part of it a run
  // runs: a subset's report resumes a whole run elsewhere, and a whole run's a subset.
  await using p = await project(pipeline);
  await p.write("", "fixed");
  assert.equal((await runCli([p.file, "--report", "whole.ndjson"], { cwd: p.dir })).code, 0);
  assert.equal((await runCli([p.file, "test", "--report", "part.ndjson"], { cwd: p.dir })).code, 0);
  await p.write(pipeline, "copy.json");
  const part = await runCli([`${p.dir}/copy.json`, "test", "--resume", "whole.ndjson"], {
    cwd: p.dir,
  });
  assert.equal(part.code, 0, part.stderr);
  assert.match(part.stdout, /2 tasks: 2 ok \(2 resumed\)/);
  const whole = await runCli([`${p.dir}/copy.json`, "--resume", "part.ndjson"], { cwd: p.dir });
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stdout, /4 tasks: 4 ok \(2 resumed\)/);
  const tasksHash = async (name: string) =>
    parseEvents(await p.read(name)).find((e) => e.event === "run_started")!.tasksHash;
  assert.equal(await tasksHash("part.ndjson"), await tasksHash("whole.ndjson"));
});

Deno.test("--resume - reads the report from standard input, as a task file - is", async () => {
  await using p = await project(pipeline);
  await runCli([p.file, "--report", "run1.ndjson"], { cwd: p.dir });
  await p.write("", "fixed");
  const resumed = await runCli([p.file, "--resume", "-"], {
    cwd: p.dir,
    stdin: await p.read("run1.ndjson"),
  });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /4 tasks: 4 ok \(2 resumed\)/);
  // Not a report: named as standard input is, with the line.
  const bad = await runCli([p.file, "--resume", "-"], { cwd: p.dir, stdin: "{}\n" });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^dagrun: <stdin>:1:1: not an NDJSON report/);
  // Standard input is read once: not by the task file and a report both.
  for (const option of ["--resume", "--from-report"]) {
    const both = await runCli(["-", option, "-", ...(option === "--resume" ? [] : ["--dry-run"])], {
      cwd: p.dir,
      stdin: JSON.stringify(pipeline),
    });
    assert.equal(both.code, 2, option);
    assert.match(
      both.stderr,
      new RegExp(
        `^dagrun: Cannot read both the task file and ${option} from standard input \\(-\\)\n`,
      ),
    );
  }
  // --schema - too: read from standard input, and not with the task file.
  const schema = await runCli(["validate", p.file, "--schema", "-"], {
    cwd: p.dir,
    stdin: '{"type": "object", "required": ["nope"]}',
  });
  assert.equal(schema.code, 2);
  assert.match(schema.stderr, /"nope"/);
  const bothSchema = await runCli(["-", "--schema", "-"], { cwd: p.dir, stdin: "{}" });
  assert.equal(bothSchema.code, 2);
  assert.match(bothSchema.stderr, /^dagrun: Cannot read both the task file and --schema from/);
  // graph reads its --from-report as a run's --dry-run does.
  const graph = await runCli(["graph", "-", "--from-report", "-"], {
    cwd: p.dir,
    stdin: JSON.stringify(pipeline),
  });
  assert.equal(graph.code, 2);
  assert.match(graph.stderr, /^dagrun: Cannot read both the task file and --from-report from/);
});

Deno.test("--resume refuses what is not a report", async (t) => {
  await using p = await project(pipeline);
  await t.step("a missing file", async () => {
    const result = await runCli([p.file, "--resume", "nope.ndjson"], { cwd: p.dir });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "dagrun: nope.ndjson: cannot read report: no such file or directory\n",
    );
  });
  await t.step("a directory", async () => {
    await Deno.mkdir(`${p.dir}/runs`);
    const result = await runCli([p.file, "--resume", "runs"], { cwd: p.dir });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "dagrun: runs: cannot read report: it is a directory\n");
  });
  await t.step("a task file", async () => {
    const result = await runCli([p.file, "--resume", "tasks.json"], { cwd: p.dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^dagrun: tasks\.json:1:1: not an NDJSON report/);
  });
  await t.step("NDJSON without a run", async () => {
    await p.write('{"event":"output","task":"a","stream":"stdout","text":"x"}\n', "x.ndjson");
    const result = await runCli([p.file, "--resume", "x.ndjson"], { cwd: p.dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /x\.ndjson: not a dagrun NDJSON report: it has no run_started/);
  });
});

Deno.test("readResumeReport() reads a run appended after a line cut short", async () => {
  await using p = await project(pipeline);
  const first = [
    { event: "run_started", total: 2, file: "/old", tasksHash: "h", time: 1 },
    { event: "task_started", task: "a", type: "exec", hash: "ha", time: 1 },
    { event: "task_ended", task: "a", status: "ok", durationMs: 1, time: 2 },
  ].map((event) => JSON.stringify(event));
  const second = [
    { event: "run_started", total: 2, file: "/new", tasksHash: "h2", time: 3 },
    { event: "task_started", task: "b", type: "exec", hash: "hb", time: 3 },
    { event: "task_ended", task: "b", status: "ok", durationMs: 1, time: 4 },
  ].map((event) => JSON.stringify(event));
  // The first run was killed while writing an output event; the second was appended (>>).
  const text = first.join("\n") + '\n{"event":"output","task":"a","text":"{\\"ev' +
    second.join("\n") + "\n";
  await p.write(text, "r.ndjson");
  const report = await readResumeReport(`${p.dir}/r.ndjson`);
  assert.equal(report.file, "/new");
  assert.deepEqual([...report.done], [["b", "hb"]]);
  await assertAppendedRunReadAfterEveryCut(p, first, second);
});

/** Wherever the first run's last event is cut, the appended run is what is read. */
async function assertAppendedRunReadAfterEveryCut(
  p: Awaited<ReturnType<typeof project>>,
  first: string[],
  second: string[],
): Promise<void> {
  const victim = first.at(-1)!;
  for (let cut = 1; cut < victim.length; cut++) {
    const text = first.slice(0, -1).join("\n") + "\n" + victim.slice(0, cut) +
      second.join("\n") + "\n";
    await p.write(text, "r.ndjson");
    const report = await readResumeReport(`${p.dir}/r.ndjson`);
    assert.equal(report.file, "/new", `cut after ${cut} characters`);
    assert.deepEqual([...report.done], [["b", "hb"]]);
  }
}

Deno.test("readResumeReport() ignores a last line cut short and keeps the last run", async () => {
  await using p = await project(pipeline);
  const lines = [
    { event: "run_started", total: 1, file: "/old", tasksHash: "h", time: 1 },
    { event: "task_started", task: "a", type: "exec", hash: "ha", time: 1 },
    { event: "task_ended", task: "a", status: "ok", durationMs: 1, time: 2 },
    { event: "run_started", total: 2, file: "/new", tasksHash: "h2", time: 3 },
    { event: "task_started", task: "b", type: "exec", hash: "hb", time: 3 },
    { event: "task_ended", task: "b", status: "ok", durationMs: 1, time: 4 },
    { event: "task_started", task: "c", type: "exec", hash: "hc", time: 3 },
    { event: "task_ended", task: "c", status: "failed", durationMs: 1, time: 4 },
  ].map((event) => JSON.stringify(event));
  await p.write(lines.join("\n") + '\n{"event":"task_en', "r.ndjson");
  const report = await readResumeReport(`${p.dir}/r.ndjson`);
  assert.equal(report.file, "/new");
  assert.deepEqual([...report.done], [["b", "hb"]]);
});

Deno.test({
  name:
    "a report from a stream without end (/dev/zero, or a link to it) is refused past 256 MiB, not read until memory runs out",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    await using p = await project(pipeline);
    await Deno.symlink("/dev/zero", `${p.dir}/zeros.ndjson`);
    const past = "cannot read report: it goes on past 256 MiB (a stream such as /dev/zero?)";
    await t.step("--resume", async () => {
      const result = await runCliUnderDataLimit([p.file, "--resume", "zeros.ndjson"], p.dir);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `dagrun: zeros.ndjson: ${past}\n`);
    });
    await t.step("--from-report", async () => {
      const result = await runCliUnderDataLimit(
        [p.file, "--dry-run", "--from-report", "/dev/zero"],
        p.dir,
      );
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `dagrun: /dev/zero: ${past}\n`);
    });
  },
});

Deno.test({
  name: "--resume reads a report from a FIFO as a stream, once its writer comes",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using p = await project(pipeline);
    await p.write("", "fixed");
    const first = await runCli([p.file, "--format", "ndjson"], { cwd: p.dir });
    assert.equal(first.code, 0, first.stderr);
    const writer = await fifoWriting(`${p.dir}/report`, first.stdout);
    const result = await runCli([p.file, "--resume", "report"], { cwd: p.dir });
    killIfRunning(writer); // Still waiting for a reader if dagrun failed before opening it.
    await writer.status;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^4 tasks: 4 ok \(4 resumed\)/m);
  },
});

Deno.test("a line cut short inside a run is an error for --resume and --from-report, as a garbage line is", async () => {
  await using p = await project(pipeline);
  // The run's own next event glued to its cut line: not a run appended after a killed one.
  // The line lost may have been this run's run_started: read on, the report would mix two
  // runs and take "build" as done, though it failed last.
  const lines = [
    { event: "run_started", total: 1, file: p.file, tasksHash: "h", time: 1 },
    { event: "task_started", task: "build", type: "exec", hash: "hb", time: 1 },
    { event: "task_ended", task: "build", status: "ok", durationMs: 1, time: 2 },
  ].map((event) => JSON.stringify(event));
  const glued = '{"event":"run_sta' +
    JSON.stringify({ event: "task_started", task: "build", type: "exec", hash: "hb2", time: 3 });
  const failed = JSON.stringify({
    event: "task_ended",
    task: "build",
    status: "failed",
    durationMs: 1,
    time: 4,
  });
  await p.write([...lines, glued, failed].join("\n") + "\n", "r.ndjson");
  const message =
    "r.ndjson:4:1: not an NDJSON report: this line is cut short, and the event after the cut is not a new run's run_started";
  for (const args of [["--resume", "r.ndjson"], ["--dry-run", "--from-report", "r.ndjson"]]) {
    const result = await runCli([p.file, ...args, "--no-history"], { cwd: p.dir });
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stderr, `dagrun: ${message}\n`);
  }
  // As a garbage line there is.
  await p.write([...lines, "garbage", failed].join("\n") + "\n", "r.ndjson");
  const garbage = await runCli([p.file, "--resume", "r.ndjson"], { cwd: p.dir });
  assert.equal(garbage.code, 2);
  assert.equal(
    garbage.stderr,
    "dagrun: r.ndjson:4:1: not an NDJSON report: this line is not JSON\n",
  );
});
