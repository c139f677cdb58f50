import assert from "node:assert/strict";
import { createExecExecutor } from "../executors/exec.ts";
import { addProcessGroup, signalProcessGroups } from "../src/process_groups.ts";
import { schedule } from "../src/scheduler.ts";
import { spawnCli, survivors, taskFile, withMarker } from "./reliability_helpers.ts";

const CRASH = new URL("./orphan_crash.ts", import.meta.url).pathname;

for (
  const [ending, script, code] of [
    ["a normal ending", "echo done", 0],
    ["a failure", "exit 4", 1],
  ] as const
) {
  Deno.test(`dagrun leaves no process behind after ${ending}`, () =>
    withMarker(async (mark) => {
      // The shell ends at once; its background children would live on without the group kill.
      const file = await taskFile([{ name: "tree", arguments: `sleep ${mark} & ${script}` }]);
      const cli = spawnCli([file]);
      assert.equal(await cli.done(), code, cli.stderr());
      assert.deepEqual(await survivors(`sleep ${mark}`), []);
    }));
}

Deno.test("a timed-out exec task leaves no process behind", () =>
  withMarker(async (mark) => {
    const exec = createExecExecutor({ graceMs: 100 });
    const report = await schedule([{
      name: "slow",
      type: "exec",
      arguments: `sleep ${mark} & sleep ${mark}`,
      dependencies: [],
      timeoutMs: 300,
    }], { executorFor: () => exec });
    assert.equal(report.tasks[0]!.status, "failed");
    assert.match(report.tasks[0]!.error!, /timed out/);
    assert.deepEqual(await survivors(`sleep ${mark}`), []);
    // Nor a group recorded as live, which dagrun's way out would signal (and, its number
    // reused meanwhile, hit a stranger): a signal to every live group reaches none.
    assert.deepEqual(signalsToGroups(() => signalProcessGroups("SIGCONT")), []);
  }));

/** The process groups (negative pids) `action` sends a signal to, none of them sent. */
function signalsToGroups(action: () => void): number[] {
  const kill = Deno.kill;
  const groups: number[] = [];
  Deno.kill = (pid, signal) => pid < 0 ? void groups.push(pid) : kill(pid, signal);
  try {
    action();
  } finally {
    Deno.kill = kill;
  }
  return groups;
}

for (const how of ["error", "rejection"]) {
  Deno.test(`a crash of our own (uncaught ${how}) leaves no process behind`, () =>
    withMarker(async (mark) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", CRASH, mark, how],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = await child.output();
      const stdout = new TextDecoder().decode(output.stdout);
      assert.equal(stdout, "started\n");
      assert.notEqual(output.code, 0);
      assert.match(new TextDecoder().decode(output.stderr), /our own bug/);
      assert.deepEqual(await survivors(`sleep ${mark}`), []);
    }));
}

Deno.test("a crash in the same turn as a task's spawn leaves no process behind", () =>
  withMarker(async (mark) => {
    // The plugin's error is thrown from a microtask queued in the turn that started both
    // tasks: before the exec tasks' spawns had come back through their awaits to the code
    // that recorded their process groups.
    const directory = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${directory}/crash.ts`,
      `export default {
        type: "crash",
        run() {
          queueMicrotask(() => { throw new Error("thrown at once"); });
          return new Promise(() => {});
        },
      };`,
    );
    const file = `${directory}/tasks.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        executors: { crash: "./crash.ts" },
        tasks: [
          // Plain words (spawned directly) and shell syntax (through `sh -c`).
          { name: "direct", type: "exec", arguments: `sleep ${mark}` },
          { name: "shell", type: "exec", arguments: `sleep ${mark} & sleep ${mark}` },
          { name: "crash", type: "crash", arguments: null },
        ],
      }),
    );
    const cli = spawnCli([file, "--no-history", "-j", "3"]);
    assert.equal(await cli.done(), 70, cli.stderr());
    assert.match(cli.stderr(), /thrown at once/);
    assert.deepEqual(await survivors(`sleep ${mark}`), []);
    await Deno.remove(directory, { recursive: true });
  }));

Deno.test("dagrun leaves no process behind when its stdout is closed", () =>
  withMarker(async (mark) => {
    const file = await taskFile([
      { name: "chatty", arguments: "while :; do echo tick; sleep 0.02; done" },
      { name: "tree", arguments: `sleep ${mark} & sleep ${mark}` },
    ]);
    // The real thing: a shell pipeline whose reader goes away after one line.
    const errors = await Deno.makeTempFile();
    const output = await new Deno.Command("bash", {
      args: [
        "-c",
        `"$0" run -A --quiet "$1" "$2" 2>"$3" | head -1; echo "code=\${PIPESTATUS[0]}"`,
        Deno.execPath(),
        new URL("../mod.ts", import.meta.url).pathname,
        file,
        errors,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
    }).output();
    const lines = new TextDecoder().decode(output.stdout).split("\n");
    assert.match(lines[0]!, /^Started: /);
    // 128 + SIGPIPE, as a program killed by it, but after stopping its tasks.
    assert.equal(lines[1], "code=141");
    assert.equal(await Deno.readTextFile(errors), "", "no error dump");
    assert.deepEqual(await survivors(`sleep ${mark}`), []);
    assert.deepEqual(await survivors("sleep 0.02"), []);
  }));

Deno.test("spawnCli helper notices a CLI that ends before its tasks start", async () => {
  const cli = spawnCli(["/nonexistent/tasks.json"]);
  await assert.rejects(cli.started(1), /ended before 1 tasks started/);
  assert.equal(await cli.done(), 2);
});

Deno.test("killing every group on our way out kills what left a group for another of its session", () =>
  withMarker(async (mark) => {
    // GNU timeout runs its command in a group of its own, in the same session.
    const child = new Deno.Command("sh", {
      args: ["-c", `timeout 60 sleep ${mark} & wait`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    addProcessGroup(child.pid);
    while ((await survivors(`sleep ${mark}`)).length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    signalProcessGroups("SIGKILL");
    await child.status;
    assert.deepEqual(await survivors(`sleep ${mark}`), []);
  }));
