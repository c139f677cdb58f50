import assert from "node:assert/strict";
import { MOD, runCli } from "./helpers.ts";
import { failsUntil, parseEvents, project } from "./options_helpers.ts";
import {
  allowedOutsideProc,
  assertAskedNothing,
  dagrunOnTerminal,
  hasTerminal,
} from "./terminal_helpers.ts";

Deno.test("an exec task over its file timeout fails as timed out and its process is stopped", async () => {
  const p = await project({
    tasks: [
      { name: "slow", type: "exec", arguments: "echo $$ > shell.pid; sleep 10", timeout: "300ms" },
      { name: "after", type: "exec", arguments: "echo never", dependencies: ["slow"] },
    ],
  });
  const started = performance.now();
  const result = await runCli([p.file], { cwd: p.dir });
  // Generous: the point is "not 10 s", on a loaded machine.
  assert.ok(performance.now() - started < 8_000);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /slow +exec +failed +\S+ +timed out after 0\.3s/);
  assert.match(result.stdout, /after +exec +skipped/);
  const pid = Number(await p.read("shell.pid"));
  assert.throws(() => Deno.kill(pid, "SIGCONT"), Deno.errors.NotFound);
});

Deno.test("an exec task that traps SIGTERM and exits 0 past its timeout still fails as timed out", async () => {
  const p = await project({
    tasks: [
      {
        name: "polite",
        type: "exec",
        arguments: "trap 'exit 0' TERM; echo up; sleep 10 & wait",
        timeout: "300ms",
      },
      { name: "after", type: "exec", arguments: "echo never", dependencies: ["polite"] },
    ],
  });
  const result = await runCli([p.file, "--no-history"], { cwd: p.dir });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /polite +exec +failed +\S+ +timed out after 0\.3s/);
  assert.match(result.stdout, /after +exec +skipped/);
  assert.doesNotMatch(result.stdout, /never/);
});

Deno.test("an eval busy loop over its timeout fails and the CLI still exits promptly", async () => {
  const p = await project({
    tasks: [
      { name: "spin", type: "eval", arguments: "while (true) {}", timeout: 1 },
      { name: "after", type: "eval", arguments: "console.log('never')", dependencies: ["spin"] },
      { name: "other", type: "exec", arguments: "echo other done" },
    ],
  });
  const started = performance.now();
  const result = await runCli([p.file]);
  assert.ok(performance.now() - started < 10_000);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /spin +eval +failed +\S+ +timed out after 1s/);
  assert.match(result.stdout, /after +eval +skipped/);
  assert.match(result.stdout, /other +exec +ok/);
});

Deno.test("a task that fails once and has retries succeeds on its second attempt", async () => {
  const p = await project({
    tasks: [{ name: "flaky", type: "exec", arguments: failsUntil(2, "count"), retries: 2 }],
  });
  const result = await runCli([p.file, "--report", "report.ndjson"], { cwd: p.dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^Retry {2}: flaky \(attempt 2\/3, after exit code 1\)$/m);
  assert.match(result.stdout, /flaky +exec +ok +\S+ +ok after 2 attempts/);
  assert.equal((await p.read("count")).trim(), "2");
  const events = parseEvents(await p.read("report.ndjson"));
  const retry = events.find((e) => e.event === "task_retry");
  assert.deepEqual(retry && { ...retry, time: 0 }, {
    event: "task_retry",
    task: "flaky",
    attempt: 2,
    attempts: 3,
    delayMs: 0,
    exitCode: 1,
    error: "exit code 1",
    time: 0,
  });
  const end = events.at(-1)!;
  assert.equal(end.event === "run_ended" && end.tasks[0]!.attempts, 2);
});

Deno.test("env merges over the environment and defaults; cwd is relative to the task file", async () => {
  const p = await project({
    defaults: { env: { GREETING: "hello", WHO: "nobody" } },
    tasks: [
      {
        name: "env",
        type: "exec",
        arguments: 'echo "$GREETING $WHO $HOME_SEEN"',
        env: { WHO: "world" },
      },
      { name: "cwd", type: "exec", arguments: "pwd", cwd: "sub" },
    ],
  });
  await Deno.mkdir(`${p.dir}/sub`);
  // Run from elsewhere, to show cwd follows the file, not the process.
  const result = await runCli([p.file], { cwd: "/", env: { HOME_SEEN: "inherited" } });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\[env\] hello world inherited$/m);
  assert.match(
    result.stdout,
    new RegExp(`^\\[cwd\\] ${await Deno.realPath(`${p.dir}/sub`)}$`, "m"),
  );
});

Deno.test("a cwd that does not exist is refused before anything runs", async () => {
  const p = await project({
    tasks: [
      { name: "first", type: "exec", arguments: "touch ran" },
      { name: "build", type: "exec", arguments: "make", cwd: "missing" },
    ],
  });
  const result = await runCli([p.file], { cwd: p.dir });
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /tasks\.json:\d+:\d+: task "build": "cwd" "missing": working directory \/.*\/missing does not exist\n/,
  );
  await assert.rejects(p.read("ran"));
});

Deno.test("an allowed failure is reported, its dependents run, and the run exits 0", async () => {
  const p = await project({
    tasks: [
      { name: "lint", type: "exec", arguments: "exit 3", allowFailure: true },
      { name: "build", type: "exec", arguments: "echo built", dependencies: ["lint"] },
    ],
  });
  const result = await runCli([p.file, "--report", `${p.dir}/report.ndjson`]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /lint +exec +failed +\S+ +allowed to fail: exit code 3/);
  assert.match(result.stdout, /build +exec +ok/);
  assert.match(
    result.stdout,
    /2 tasks: 1 ok, 1 failed \(1 allowed\), 0 skipped .*; allowed failure: lint/,
  );
  const events = parseEvents(await p.read("report.ndjson"));
  const ended = events.find((e) => e.event === "task_ended" && e.task === "lint");
  assert.equal(ended?.event === "task_ended" && ended.allowed, true);
  const end = events.at(-1)!;
  assert.equal(end.event === "run_ended" && end.ok, true);
  assert.deepEqual(end.event === "run_ended" && end.counts, {
    ok: 1,
    failed: 1,
    skipped: 0,
    allowed: 1,
  });
});

Deno.test("--timeout replaces the file's default timeout but not a task's own", async () => {
  const p = await project({
    defaults: { timeout: 60 },
    tasks: [
      { name: "default", type: "exec", arguments: "sleep 10" },
      { name: "own", type: "exec", arguments: "sleep 1", timeout: "30s" },
    ],
  });
  const result = await runCli([p.file, "--timeout", "300ms"]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /default +exec +failed +\S+ +timed out after 0\.3s/);
  assert.match(result.stdout, /own +exec +ok/);
});

Deno.test("--retries replaces the file's default retries but not a task's own", async () => {
  const p = await project({
    defaults: { retries: 0 },
    tasks: [
      { name: "default", type: "exec", arguments: failsUntil(2, "a") },
      { name: "own", type: "exec", arguments: failsUntil(2, "b"), retries: 0, allowFailure: true },
    ],
  });
  const result = await runCli([p.file, "--retries", "1"], { cwd: p.dir });
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /default +exec +ok +\S+ +ok after 2 attempts/);
  assert.match(result.stdout, /own +exec +failed/);
  assert.equal((await p.read("b")).trim(), "1");
});

Deno.test("the file's concurrency limits the run and -j replaces it", async () => {
  const tasks = ["a", "b", "c"].map((name) => ({ name, type: "exec", arguments: "sleep 0.2" }));
  const p = await project({ concurrency: 1, tasks });
  const lines = (stdout: string) => stdout.split("\n").filter((l) => /^(Started|Ended )/.test(l));
  const limited = await runCli([p.file]);
  assert.deepEqual(lines(limited.stdout).map((l) => l.slice(0, 5)), [
    "Start",
    "Ended",
    "Start",
    "Ended",
    "Start",
    "Ended",
  ]);
  const wide = await runCli([p.file, "-j", "3"]);
  // All three start before any ends; their order follows the recorded durations (history).
  assert.deepEqual(lines(wide.stdout).slice(0, 3).sort(), [
    "Started: a",
    "Started: b",
    "Started: c",
  ]);
});

Deno.test("bad --timeout and --retries values are usage errors", async () => {
  const p = await project({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  const timeout = await runCli([p.file, "--timeout", "soon"]);
  assert.equal(timeout.code, 2);
  assert.match(
    timeout.stderr,
    /^dagrun: Invalid timeout: expected a number of seconds or a duration/,
  );
  const retries = await runCli([p.file, "--retries", "-1"]);
  assert.equal(retries.code, 2);
  // Zero however written is said as such, as the task file's "timeout" says it; above zero
  // but under a millisecond is not whole milliseconds.
  for (
    const [value, expected] of [
      ["0", "a duration > 0"],
      ["0s", "a duration > 0"],
      ["--timeout=0ms", "a duration > 0"],
      ["0.0001", "at least 1ms"],
    ] as const
  ) {
    const args = value.startsWith("--") ? [value] : ["--timeout", value];
    const zero = await runCli([p.file, ...args]);
    assert.equal(zero.code, 2);
    assert.equal(
      zero.stderr,
      `dagrun: Invalid timeout: expected ${expected}, received '${
        value.replace(/^--timeout=/, "")
      }'\n` +
        "Try 'dagrun run --help' for usage.\n",
    );
  }
});

Deno.test("--report writes the NDJSON events to a file while the terminal gets the human view", async () => {
  const p = await project({
    tasks: [
      { name: "hello", type: "exec", arguments: "echo hi" },
      { name: "world", type: "eval", arguments: "console.log('there')", dependencies: ["hello"] },
    ],
  });
  const result = await runCli([p.file, "--report", `${p.dir}/report.ndjson`]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Started: hello$/m);
  assert.doesNotMatch(result.stdout, /"event"/);
  const events = parseEvents(await p.read("report.ndjson"));
  assert.deepEqual(events.map((e) => e.event), [
    "run_started",
    "task_started",
    "output",
    "task_ended",
    "task_started",
    "output",
    "task_ended",
    "run_ended",
  ]);
  const start = events[0]!;
  assert.equal(start.event === "run_started" && start.file, await Deno.realPath(p.file));
});

Deno.test("--report to an unwritable path is an error before anything runs", async () => {
  const p = await project({ tasks: [{ name: "a", type: "exec", arguments: "touch ran" }] });
  const result = await runCli([p.file, "--report", "no/such/dir/report.ndjson"], { cwd: p.dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /report\.ndjson: cannot write report/);
  await assert.rejects(p.read("ran"));
});

for (const [flag, other] of [["--report-html", "--trace"], ["--trace", "--report-html"]]) {
  Deno.test(`${flag} to an unwritable path is an error before anything runs, other reports untouched`, async () => {
    const p = await project({ tasks: [{ name: "a", type: "exec", arguments: "touch ran" }] });
    await p.write("an earlier report\n", "report.ndjson");
    const result = await runCli(
      [p.file, "--report", "report.ndjson", other!, "new.out", flag!, "no/such/dir/r"],
      { cwd: p.dir },
    );
    assert.equal(result.code, 2);
    // One line, naming the path.
    assert.match(
      result.stderr,
      /^dagrun: no\/such\/dir\/r: cannot write report: no such file or directory\n$/,
    );
    await assert.rejects(p.read("ran"));
    // Nothing was half-done: the earlier report is as it was, no new file was left behind.
    assert.equal(await p.read("report.ndjson"), "an earlier report\n");
    await assert.rejects(p.read("new.out"));
  });
}

Deno.test("a report that would overwrite the task file or another report is refused before anything runs", async () => {
  const p = await project({ tasks: [{ name: "a", type: "exec", arguments: "touch ran" }] });
  const before = await p.read("tasks.json");
  const onTaskFile = await runCli(["tasks.json", "--report", `${p.dir}/tasks.json`], {
    cwd: p.dir,
  });
  assert.equal(onTaskFile.code, 2);
  assert.equal(
    onTaskFile.stderr,
    `dagrun: ${p.dir}/tasks.json: cannot write report: it is the task file; --report would overwrite it\n`,
  );
  const twice = await runCli(["tasks.json", "--report-html", "r", "--trace", "./r"], {
    cwd: p.dir,
  });
  assert.equal(twice.code, 2);
  assert.match(
    twice.stderr,
    /^dagrun: \.\/r: cannot write report: it is the file of --report-html/,
  );
  assert.equal(await p.read("tasks.json"), before);
  await assert.rejects(p.read("ran"));
  await assert.rejects(p.read("r"));
});

Deno.test("a report at the duration history's path is refused, unless --no-history", async () => {
  // The history is replaced (renamed over) when the run ends: the report written into the
  // file it replaced was lost, with exit status 0.
  const p = await project({ tasks: [{ name: "a", type: "exec", arguments: "touch ran" }] });
  for (const option of ["--report", "--report-html", "--trace"]) {
    const result = await runCli(["tasks.json", option, "./.dagrun_history.json"], { cwd: p.dir });
    assert.equal(result.code, 2, option);
    assert.equal(
      result.stderr,
      `dagrun: ./.dagrun_history.json: cannot write report: it is the duration history; ${option} would overwrite it\n`,
    );
  }
  await assert.rejects(p.read("ran"));
  await assert.rejects(p.read(".dagrun_history.json"));
  const without = await runCli(["tasks.json", "--no-history", "--report", ".dagrun_history.json"], {
    cwd: p.dir,
  });
  assert.equal(without.code, 0, without.stderr);
  assert.match(await p.read(".dagrun_history.json"), /"event":"run_ended"/);
});

Deno.test("report files are emptied only when the run begins: a plugin failing to prepare leaves them", async () => {
  const p = await project({
    executors: { broken: "./broken.ts" },
    tasks: [{ name: "a", type: "exec", arguments: "touch ran" }, {
      name: "b",
      type: "broken",
      arguments: 1,
    }],
  });
  await p.write(
    'export default { type: "broken", prepare() { throw new Error("nope"); }, run: async () => ({ ok: true }) };\n',
    "broken.ts",
  );
  for (const name of ["r.ndjson", "r.html", "r.trace"]) await p.write("earlier\n", name);
  const result = await runCli(
    ["tasks.json", "--report", "r.ndjson", "--report-html", "r.html", "--trace", "r.trace"],
    { cwd: p.dir },
  );
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /prepare\(\) failed: nope/);
  for (const name of ["r.ndjson", "r.html", "r.trace"]) {
    assert.equal(await p.read(name), "earlier\n");
  }
  await assert.rejects(p.read("ran"));
});

Deno.test("a report may go to a device, such as /dev/null or another descriptor", async () => {
  const p = await project({ tasks: [{ name: "a", type: "exec", arguments: "echo hi" }] });
  const { code, stderr } = await new Deno.Command("sh", {
    args: [
      "-c",
      '"$@" 3>r.ndjson',
      "sh",
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      MOD,
      "tasks.json",
      "--no-history",
      "-q",
      "--report",
      "/dev/fd/3",
      "--report-html",
      "/dev/null",
    ],
    cwd: p.dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.match(await p.read("r.ndjson"), /^\{"event":"run_started"[^]*"event":"run_ended"/);
});

Deno.test("reports and history go where their paths pointed at the start, though a task moves the process", async () => {
  const p = await project({
    tasks: [{ name: "move", type: "eval", arguments: "Deno.chdir('elsewhere')" }],
  });
  await Deno.mkdir(`${p.dir}/elsewhere`);
  const result = await runCli(
    ["tasks.json", "--report-html", "r.html", "--trace", "t.json", "--report", "r.ndjson"],
    { cwd: p.dir },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(await p.read("r.html"), /<html/i);
  assert.match(await p.read("t.json"), /"traceEvents"/);
  assert.match(await p.read("r.ndjson"), /"run_ended"/);
  assert.match(await p.read(".dagrun_history.json"), /"move"/);
  assert.deepEqual([...Deno.readDirSync(`${p.dir}/elsewhere`)], []);
});

Deno.test("a file of the original schema shows none of the task options", async () => {
  const p = await project({
    tasks: [
      { name: "a", type: "exec", arguments: "echo a" },
      { name: "b", type: "exec", arguments: "exit 1", dependencies: ["a"] },
      { name: "c", type: "eval", arguments: "console.log('c')", dependencies: ["b"] },
    ],
  });
  const input = p.file;
  const human = await runCli([input]);
  assert.equal(human.code, 1);
  assert.doesNotMatch(human.stdout, /^(Retry|Resumed)/m);
  assert.doesNotMatch(human.stdout, /allowed|attempts|resumed/);
  const ndjson = await runCli([input, "--format", "ndjson"]);
  for (const event of parseEvents(ndjson.stdout)) {
    assert.notEqual(event.event, "task_retry");
    for (const key of ["attempts", "allowed", "resumed"]) assert.ok(!(key in event), key);
    if (event.event === "run_ended") {
      assert.deepEqual(Object.keys(event.counts), ["ok", "failed", "skipped"]);
      for (const task of event.tasks) {
        for (const key of ["attempts", "allowed", "resumed"]) assert.ok(!(key in task), key);
      }
    }
  }
});

Deno.test({
  name: "on a terminal, a task's cwd outside what dagrun may read asks no permission",
  ignore: !hasTerminal,
  async fn() {
    // The task runs in a directory dagrun has no read access to (a spawn needs none): looking
    // at it when the file is checked would stop the run at a prompt.
    const elsewhere = await Deno.makeTempDir({ prefix: "dagrun-elsewhere-" });
    const p = await project({
      tasks: [
        { name: "a", type: "exec", arguments: "echo marker > made", cwd: elsewhere },
        { name: "b", type: "exec", arguments: "echo 'a b' | cat" },
      ],
    });
    try {
      const { code, output: screen } = await dagrunOnTerminal(
        allowedOutsideProc(p.dir),
        "--no-history",
        p.file,
      );
      assertAskedNothing(screen);
      assert.equal(code, 0, screen);
      assert.equal(await Deno.readTextFile(`${elsewhere}/made`), "marker\n");
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
      await Deno.remove(p.dir, { recursive: true });
    }
  },
});
