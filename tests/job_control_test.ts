/**
 * Ctrl-Z: a suspended run suspends its tasks, its time limits wait with it, `fg` resumes it;
 * a job in the background draws no status line. In a real terminal (tmux, with an interactive
 * bash for job control), with real signals.
 */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { killIfRunning, MOD, writeTaskFile } from "./helpers.ts";
import { bindStopSelf } from "../src/job_control.ts";
import {
  allowedOutsideProc,
  assertAskedNothing,
  bashInTmux,
  dagrunOnTerminal,
  denoCommandLine,
  findProgram,
  hasTerminal,
  onTerminal,
} from "./terminal_helpers.ts";

const tmux = await findProgram("tmux");
const bash = await findProgram("bash");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The state letter of each process whose command line contains `marker` (T: stopped). */
async function statesOf(marker: string): Promise<string[]> {
  const states: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const command = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      if (!command.includes(marker) || command.includes("deno")) continue;
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      states.push(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
    } catch {
      // Gone meanwhile.
    }
  }
  return states;
}

/**
 * What `ending` gives, or a failure saying `stuck` after 20 s: a process stopped with nobody
 * to continue it would never end.
 */
async function endsWithin20s<T>(ending: Promise<T>, stuck: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tooLate = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: stuck })), 20_000);
  });
  try {
    return await Promise.race([ending, tooLate]);
  } finally {
    clearTimeout(timer);
  }
}

const lines = async (path: string) =>
  (await Deno.readTextFile(path).catch(() => "")).split("\n").length - 1;

Deno.test({
  name: "Ctrl-Z stops the tasks with dagrun; time limits wait; fg resumes the run",
  ignore: tmux === undefined || bash === undefined || Deno.build.os !== "linux",
  async fn() {
    const marker = `jobs-tick-${Deno.pid}`;
    const file = await writeTaskFile({
      tasks: [
        {
          name: "tick",
          type: "exec",
          // A line every 0.1 s, 30 of them: ≈ 3 s of running, within its 4 s.
          arguments: `for i in $(seq 30); do echo ${marker} >> ticks; sleep 0.1; done`,
          timeout: "4s",
        },
        {
          name: "wait",
          type: "eval",
          arguments: "await new Promise((resolve) => setTimeout(resolve, 2500))",
          timeout: "4s",
        },
      ],
    });
    const ticks = join(dirname(file), "ticks");
    const term = await bashInTmux(tmux!, bash!, "jobs-fg");
    try {
      await term.type(
        `cd '${
          dirname(file)
        }' && '${Deno.execPath()}' run -A --quiet '${MOD}' --no-history '${file}'; echo "EXIT=$?"`,
        "Enter",
      );
      await term.waitFor(/running: /, "no status line");
      while (await lines(ticks) < 3) await sleep(20);
      await term.type("C-z");
      await term.waitFor(/Stopped/, "the shell did not see the job stop");
      // The task's shell (and its sleep) stopped too, and writes no more lines.
      const shellStates = await statesOf(marker);
      assert.ok(
        shellStates.length > 0 && shellStates.every((state) => state === "T"),
        `${shellStates}`,
      );
      const ticksWhenStopped = await lines(ticks);
      // Longer than the time limits: they must not count it.
      await sleep(4_500);
      assert.equal(
        await lines(ticks),
        ticksWhenStopped,
        "the task ran on while the run was stopped",
      );
      // (The command line's own echo ran when the job stopped: fg's status is dagrun's.)
      await term.type('fg; echo "AFTER=$?"', "Enter");
      const final = await term.waitFor(/AFTER=\d+/, "the run did not end");
      assert.match(final, /^tick +exec +ok /m, final);
      assert.match(final, /^wait +eval +ok /m, final);
      assert.match(final, /AFTER=0/);
      // Its duration is the time it ran, not the 4.5 s it spent stopped besides.
      const duration = Number(final.match(/^tick +exec +ok +([\d.]+)s/m)![1]);
      assert.ok(duration < 4.5, final);
      assert.equal(await lines(ticks), 30);
    } finally {
      await term.close();
    }
  },
});

Deno.test({
  name: "a run in the background draws no status line; brought to the foreground, it does",
  ignore: tmux === undefined || bash === undefined || Deno.build.os !== "linux",
  async fn() {
    const file = await writeTaskFile({
      tasks: [{ name: "slow", type: "exec", arguments: "sleep 4" }],
    });
    const term = await bashInTmux(tmux!, bash!, "jobs-bg");
    try {
      await term.type(
        `'${Deno.execPath()}' run -A --quiet '${MOD}' --no-history '${file}' &`,
        "Enter",
      );
      await term.waitFor(/Started: slow/, "the run did not start");
      // Long enough for ten refreshes of the line, were it drawn.
      await sleep(1_000);
      assert.doesNotMatch(await term.screen(), /running: /);
      await term.type("fg", "Enter");
      await term.waitFor(/\[0\/1\] running: slow/, "no status line in the foreground");
      await term.waitFor(/1 tasks?: 1 ok/, "the run did not end");
    } finally {
      await term.close();
    }
  },
});

Deno.test({
  name: "SIGTSTP to a run that no shell controls stops nothing for good: the run goes on",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const file = await writeTaskFile({
      tasks: [{ name: "a", type: "exec", arguments: "sleep 1.5; echo done-a" }],
    });
    const out = join(dirname(file), "out.txt");
    // setsid: a session and process group of its own, whose parent (this test) is in another
    // session: orphaned, so the kernel drops a stop signal's default action; stdout a file, so
    // that dagrun listens for SIGTSTP.
    const child = new Deno.Command("setsid", {
      args: [
        "sh",
        "-c",
        `exec '${Deno.execPath()}' run -A --quiet '${MOD}' --no-history '${file}' > '${out}' 2>&1`,
      ],
    }).spawn();
    try {
      while (!(await Deno.readTextFile(out).catch(() => "")).includes("Started: a")) {
        await sleep(20);
      }
      Deno.kill(child.pid, "SIGTSTP");
      const status = await endsWithin20s(child.status, "the run stayed stopped");
      assert.equal(status.code, 0);
      assert.match(await Deno.readTextFile(out), /\[a\] done-a/);
    } finally {
      killIfRunning(child);
    }
  },
});

Deno.test({
  name: "on a terminal, without read access to /proc, the status line and Ctrl-Z ask no permission",
  ignore: !hasTerminal,
  async fn() {
    const file = await writeTaskFile({
      tasks: [{ name: "a", type: "exec", arguments: "sleep 0.3" }],
    });
    const dir = dirname(file);
    // A terminal (script's), and every permission the run needs but /proc's: a read of it
    // would stop the run at a prompt (or, with no answer, fail).
    const { code, output: screen } = await dagrunOnTerminal(
      allowedOutsideProc(dir, dir),
      "--no-history",
      file,
    );
    assertAskedNothing(screen);
    assert.match(screen, /running: a/);
    assert.equal(code, 0, screen);
  },
});

Deno.test("bindStopSelf() falls back to stopping without libc where libc cannot be opened", () => {
  const calls: string[] = [];
  const stopSelf = bindStopSelf(
    () => {
      throw new Error("Could not open library: libc.so.6: cannot open shared object file");
    },
    () => calls.push("stopped without libc"),
  );
  stopSelf();
  assert.deepEqual(calls, ["stopped without libc"]);
});

Deno.test("bindStopSelf() with libc: the default action for the stop, then Deno's handler back", () => {
  const calls: string[] = [];
  const stopSelf = bindStopSelf(() => ({
    sigaction: (signal, action, old) => {
      calls.push(`sigaction ${signal} ${action.every((byte) => byte === 0)} ${old !== null}`);
      return 0;
    },
    raise: (signal) => {
      calls.push(`raise ${signal}`);
      return 0;
    },
  }), () => calls.push("stopped without libc"));
  stopSelf();
  // The first with SIG_DFL (all zeros), keeping the handler; the second puts it back.
  assert.deepEqual(calls, ["sigaction 20 true true", "raise 20", "sigaction 20 true false"]);
});

/** A script stopping itself as dagrun does on Ctrl-Z where libc cannot be opened. */
async function stopWithoutLibcScript(): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-stop-" });
  const script = join(directory, "stop.ts");
  await Deno.writeTextFile(
    script,
    `import { bindStopSelf } from ${
      JSON.stringify(new URL("../src/job_control.ts", import.meta.url).href)
    };
const stopSelf = bindStopSelf(() => { throw new Error("libc.so.6: cannot open shared object file"); });
console.log("stopping");
stopSelf();
console.log("continued");
`,
  );
  return script;
}

Deno.test({
  name: "without libc, the stop still stops the job in a shell, and fg continues it",
  ignore: tmux === undefined || bash === undefined || Deno.build.os !== "linux",
  async fn() {
    const script = await stopWithoutLibcScript();
    const term = await bashInTmux(tmux!, bash!, "jobs-nolibc");
    try {
      await term.type(`'${Deno.execPath()}' run -A --quiet '${script}'`, "Enter");
      const stopped = await term.waitFor(/Stopped/, "the shell did not see the job stop");
      assert.doesNotMatch(stopped, /continued/, "it ran on past the stop");
      await term.type('fg; echo "AFTER=$?"', "Enter");
      const final = await term.waitFor(/AFTER=\d+/, "it was not continued");
      assert.match(final, /^continued$/m);
      assert.match(final, /AFTER=0/);
    } finally {
      await term.close();
    }
  },
});

Deno.test({
  name: "without libc, a process group no shell controls is not stopped for good",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const script = await stopWithoutLibcScript();
    // Orphaned (see above): the kernel drops the stop, as it drops SIGTSTP's.
    const child = new Deno.Command("setsid", {
      args: [Deno.execPath(), "run", "-A", "--quiet", script],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const output = await endsWithin20s(child.output(), "it stayed stopped");
      assert.equal(new TextDecoder().decode(output.stdout), "stopping\ncontinued\n");
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    } finally {
      killIfRunning(child);
    }
  },
});

Deno.test({
  name: "Ctrl-Z is listened for once the first task is spawned: its set-up does not delay it",
  ignore: !hasTerminal,
  async fn() {
    const tasks = await writeTaskFile({
      tasks: [
        { name: "first", type: "exec", arguments: "true" },
        { name: "second", type: "exec", arguments: "true", dependencies: ["first"] },
      ],
    });
    // Logs, in order, each spawn and each SIGTSTP listener dagrun adds.
    const preload = join(dirname(tasks), "order.ts");
    await Deno.writeTextFile(
      preload,
      `const log = (what: string) => Deno.stderr.writeSync(new TextEncoder().encode("ORDER " + what + "\\n"));
      const addSignalListener = Deno.addSignalListener;
      Deno.addSignalListener = (signal, listener) => {
        if (signal === "SIGTSTP") log("listen");
        return addSignalListener(signal, listener);
      };
      const spawn = Deno.Command.prototype.spawn;
      Deno.Command.prototype.spawn = function () {
        log("spawn");
        return spawn.call(this);
      };`,
    );
    // On a terminal: with stdout a pipe, dagrun does not listen at all.
    const { code, output } = await onTerminal(
      denoCommandLine(["run", "-A", "--quiet", "--preload", preload, MOD, tasks, "--no-history"]),
    );
    assert.equal(code, 0, output);
    assert.deepEqual(output.match(/ORDER \w+/g), ["ORDER spawn", "ORDER listen", "ORDER spawn"]);
  },
});
