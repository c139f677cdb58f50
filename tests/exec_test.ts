import assert from "node:assert/strict";
import { createExecExecutor } from "../executors/exec.ts";
import { libc } from "../executors/libc.ts";
import type { ExecutorContext, OutputStream, TaskSpec } from "../src/types.ts";

const exec = createExecExecutor({ graceMs: 500 });

function execTask(command: string): TaskSpec {
  return { name: "t", type: "exec", arguments: command, dependencies: [] };
}

/** A task's context in the working directory, its output handed to `output`. */
function contextFor(signal: AbortSignal, output: ExecutorContext["output"]): ExecutorContext {
  return {
    signal,
    timeoutMs: undefined,
    env: undefined,
    cwd: Deno.cwd(),
    baseDir: Deno.cwd(),
    output,
  };
}

/** Runs a command, recording each output line with the time it arrived. */
async function runCommand(command: string, signal = new AbortController().signal) {
  const lines: { stream: OutputStream; text: string; at: number }[] = [];
  const context = contextFor(
    signal,
    (stream, text) => lines.push({ stream, text, at: performance.now() }),
  );
  const result = await exec.run(execTask(command), context);
  return { result, lines, endedAt: performance.now() };
}

Deno.test("exec runs the arguments through sh -c and passes stdout and stderr on", async () => {
  const { result, lines } = await runCommand("echo one; echo two >&2; printf 'no newline'");
  assert.deepEqual(result, { ok: true, exitCode: 0 });
  // The two pipes are read independently, so only the order within a stream is defined.
  const of = (stream: OutputStream) => lines.filter((l) => l.stream === stream).map((l) => l.text);
  assert.deepEqual(of("stdout"), ["one", "no newline"]);
  assert.deepEqual(of("stderr"), ["two"]);
});

Deno.test("exec streams output live, before the command ends", async () => {
  const { lines, endedAt } = await runCommand("echo first; sleep 0.6; echo second");
  const first = lines.find((line) => line.text === "first")!;
  // Buffered until the end, "first" would arrive with "second", right before the end.
  assert.ok(endedAt - first.at >= 400, `first line came ${endedAt - first.at} ms before the end`);
});

Deno.test("exec reports a non-zero exit code as a failure", async () => {
  const { result } = await runCommand("exit 42");
  assert.deepEqual(result, { ok: false, exitCode: 42, error: "exit code 42" });
});

Deno.test("exec reports death by a signal with the signal's name", async () => {
  const { result } = await runCommand("kill -KILL $$");
  assert.deepEqual(result, { ok: false, signal: "SIGKILL", error: "killed by SIGKILL" });
});

Deno.test("exec reports death by a signal without a name by its number, and cleans up after", async () => {
  const pidFile = await Deno.makeTempFile();
  try {
    const { result } = await runCommand(
      `sleep 30 >/dev/null 2>&1 & echo $! > '${pidFile}'; kill -s 40 $$`,
    );
    assert.deepEqual(result, { ok: false, error: "killed by signal 40" });
    // What the shell left in its group is killed when the task ends, not when the run does.
    const leftover = Number(await Deno.readTextFile(pidFile));
    let gone = false;
    for (let attempt = 0; attempt < 20 && !gone; attempt++) {
      const stat = await Deno.readTextFile(`/proc/${leftover}/stat`).catch(() => "");
      gone = stat === "" || /^\d+ \(.*\) Z/.test(stat);
      if (!gone) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!gone) Deno.kill(leftover, "SIGKILL");
    assert.ok(gone, "the background sleep was left running");
  } finally {
    await Deno.remove(pidFile);
  }
});

Deno.test("exec gives each child its own process group and stdin from null", async () => {
  const { result, lines } = await runCommand("echo $$; ps -o pgid= -p $$; cat; echo read-nothing");
  assert.equal(result.ok, true);
  // One output event may hold several lines, as the lines arrive together or not.
  const [pid, pgid, after] = lines.flatMap((line) => line.text.split("\n")).map((t) => t.trim());
  assert.equal(pgid, pid, "the shell leads its own process group");
  assert.equal(after, "read-nothing", "cat saw end of input at once");
});

Deno.test("exec stops the whole process group when the task is aborted", async () => {
  const controller = new AbortController();
  const marker = `sleep 31.${Date.now() % 1000}7`;
  const running = runCommand(`${marker} & ${marker}; echo unreachable`, controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 300));
  controller.abort("interrupted");
  const { result, lines } = await running;
  assert.equal(result.ok, false);
  assert.equal(result.signal, "SIGTERM");
  assert.equal(lines.length, 0);
  const pgrep = await new Deno.Command("pgrep", { args: ["-f", marker], stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(pgrep.stdout), "", "no sleep left behind");
});

Deno.test("exec with graceMs Infinity never sends SIGKILL to a task told to stop", async () => {
  // A timer past 2^31 - 1 ms fires at once: such a grace sent SIGKILL 1 ms after SIGTERM.
  const patient = createExecExecutor({ graceMs: Infinity });
  const controller = new AbortController();
  const texts: string[] = [];
  const { promise: ready, resolve: isReady } = Promise.withResolvers<void>();
  const context = contextFor(controller.signal, (_stream, text) => {
    texts.push(text);
    if (text === "ready") isReady();
  });
  const running = patient.run(
    execTask("trap '' TERM; echo ready; sleep 0.5; echo survived"),
    context,
  );
  await ready;
  controller.abort("interrupted");
  await running;
  assert.deepEqual(texts, ["ready", "survived"]);
});

Deno.test("createExecExecutor refuses a graceMs that is not a number of milliseconds", () => {
  assert.throws(() => createExecExecutor({ graceMs: -1 }), {
    name: "RangeError",
    message: "graceMs must be a number of milliseconds from 0 (Infinity: no limit), not -1",
  });
  assert.throws(() => createExecExecutor({ graceMs: NaN }), RangeError);
  assert.throws(() => createExecExecutor({ graceMs: "5" as unknown as number }), {
    name: "TypeError",
    message: 'graceMs must be a number of milliseconds, not a string ("5")',
  });
});

Deno.test("exec splits a long line without a newline into bounded pieces", async () => {
  const { result, lines } = await runCommand("head -c 200000 /dev/zero | tr '\\0' x");
  assert.equal(result.ok, true);
  assert.equal(lines.map((line) => line.text).join(""), "x".repeat(200_000));
  assert.ok(lines.every((line) => line.text.length <= 64 * 1024));
});

Deno.test("exec wakes a stopped process to hear its SIGTERM when the task is stopped", async () => {
  const controller = new AbortController();
  const pid = Promise.withResolvers<number>();
  const lines: string[] = [];
  const context = contextFor(controller.signal, (_stream, text) => {
    lines.push(text);
    if (/^\d+$/.test(text)) pid.resolve(Number(text));
  });
  const running = exec.run(
    execTask("trap 'echo got TERM; exit 3' TERM; echo $$; kill -STOP $$; echo resumed"),
    context,
  );
  // Stopped (state T), a process holds a SIGTERM pending until it is continued: without a
  // SIGCONT its trap would never run, and the grace period end in SIGKILL.
  const stat = `/proc/${await pid.promise}/stat`;
  while (!/^\d+ \(.*\) T/.test(await Deno.readTextFile(stat))) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  controller.abort("interrupted");
  const result = await running;
  assert.deepEqual(result, { ok: false, exitCode: 3, error: "exit code 3" });
  assert.equal(lines.slice(1).join("\n"), "got TERM");
});

/** Pids of running processes whose command line is `command` (none a zombie). */
async function processesRunning(command: string): Promise<number[]> {
  const pgrep = await new Deno.Command("pgrep", { args: ["-x", "-f", command], stdout: "piped" })
    .output();
  const pids = new TextDecoder().decode(pgrep.stdout).split("\n").filter(Boolean).map(Number);
  const running: number[] = [];
  for (const pid of pids) {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
    if (stat !== "" && !/^\d+ \(.*\) Z/.test(stat)) running.push(pid);
  }
  return running;
}

Deno.test("exec stops what left the task's process group but not its session (GNU timeout)", async () => {
  // `timeout` runs its command in a process group of its own, still in the task's session:
  // a SIGTERM to the task's group missed both.
  const marker = `sleep 33.${Date.now() % 1000}7`;
  const controller = new AbortController();
  const lines: string[] = [];
  const started = Promise.withResolvers<void>();
  const context = contextFor(controller.signal, (_stream, text) => {
    lines.push(text);
    if (text === "started") started.resolve();
  });
  const running = exec.run(
    execTask(`echo started; timeout 60 ${marker}; echo unreachable`),
    context,
  );
  await started.promise;
  // Until sleep runs, in timeout's group.
  while ((await processesRunning(marker)).length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  controller.abort("interrupted");
  const ended = await running;
  let left = await processesRunning(marker);
  // Signalled before the task ended; gone a moment later.
  for (let attempt = 0; attempt < 40 && left.length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await processesRunning(marker);
  }
  for (const pid of left) Deno.kill(pid, "SIGKILL");
  assert.equal(ended.ok, false);
  assert.deepEqual(lines, ["started"]);
  assert.deepEqual(left, [], "timeout's sleep was left running");
});

Deno.test("exec kills what its shell left in another group of its session, when it holds the pipes", async () => {
  const marker = `sleep 34.${Date.now() % 1000}7`;
  // Once the sleep runs, timeout has its group (until then, the task's group has it).
  const { result, lines } = await runCommand(
    `timeout 60 ${marker} & until pgrep -x -f '${marker}' >/dev/null; do sleep 0.01; done; echo started`,
  );
  assert.deepEqual(result, { ok: true, exitCode: 0 });
  assert.deepEqual(lines.map((line) => line.text), ["started"]);
  let left = await processesRunning(marker);
  // SIGKILLed as the task ended; gone a moment later.
  for (let attempt = 0; attempt < 40 && left.length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await processesRunning(marker);
  }
  for (const pid of left) Deno.kill(pid, "SIGKILL");
  assert.deepEqual(left, [], "timeout's sleep was left running");
});

Deno.test("exec tasks stopped together share each look at /proc while what left their groups lingers", async () => {
  // GNU timeout's command, in a group of its own in the task's session, cleans up after its
  // SIGTERM until told it may go; the task's group itself is gone. Each task looks for what is
  // left every 20 ms: one read of /proc (≈ 10 µs a process) must serve all of them.
  const count = 3;
  const dir = await Deno.makeTempDir();
  const go = `${dir}/go`;
  const controller = new AbortController();
  const ready = Promise.withResolvers<void>();
  let started = 0;
  const slow = createExecExecutor({ graceMs: 60_000 });
  const runs = Array.from({ length: count }, () =>
    slow.run(
      execTask(
        `timeout 60 sh -c 'trap "until [ -e ${go} ]; do sleep 0.01; done; exit 0" TERM; ` +
          `echo ready; while :; do sleep 0.05; done'`,
      ),
      contextFor(controller.signal, (_stream, text) => {
        if (text === "ready" && ++started === count) ready.resolve();
      }),
    ));
  await ready.promise;
  // The looks: each poll of a task asks whether its group is still there (libc's `kill` with
  // signal 0, libc being shared, its functions read-only in their type only), then, the group
  // gone, for what left it.
  const symbols = libc()! as { kill: (pid: number, signal: number) => number };
  const kill = symbols.kill;
  let asked = 0;
  symbols.kill = (pid, signal) => {
    if (pid < 0 && signal === 0) asked++;
    return kill(pid, signal);
  };
  // The reads of /proc, and those that came in the same run of microtasks as another (where
  // one look would have served): the tasks' polls share a clock, so they all look at once.
  const readDirSync = Deno.readDirSync;
  let scans = 0, repeated = 0, scannedNow = false;
  Deno.readDirSync = (path) => {
    if (path === "/proc") {
      scans++;
      if (scannedNow) repeated++;
      scannedNow = true;
      queueMicrotask(() => scannedNow = false);
    }
    return readDirSync(path);
  };
  controller.abort("interrupted");
  // Twenty polls of every task, all waiting for what is left of theirs (unless they ended).
  let ended = false;
  Promise.all(runs).finally(() => ended = true);
  try {
    while (!ended && asked < 20 * count) await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    Deno.readDirSync = readDirSync;
    symbols.kill = kill;
  }
  await Deno.writeTextFile(go, "");
  const results = await Promise.all(runs);
  const pgrep = await new Deno.Command("pgrep", { args: ["-f", go], stdout: "piped" }).output();
  await Deno.remove(dir, { recursive: true });
  assert.deepEqual(results.map((result) => result.ok), [false, false, false]);
  assert.equal(new TextDecoder().decode(pgrep.stdout), "", "nothing left behind");
  // Each poll asks once per task; each turn of polls reads /proc once.
  assert.ok(scans > 0);
  assert.ok(scans * 2 <= asked, `${scans} reads of /proc for ${asked} looks`);
  assert.equal(repeated, 0, `${repeated} of ${scans} reads of /proc could have been shared`);
});
