/**
 * An executor plugin's `prepare()` that returns a promise: awaited before the run begins, its
 * rejection a one-line error before anything starts, and Ctrl-C while it is pending an
 * interrupted run rather than a hang. The plugins are real files, loaded from their path.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { aThreadWaitsIn, MOD, runCli, until, writeTaskFile } from "./helpers.ts";
import { bashInTmux, denoCommandLine, findProgram } from "./terminal_helpers.ts";
import { pgrep, spawnCli } from "./reliability_helpers.ts";
import { run } from "../src/run.ts";
import { loadTaskFile } from "../src/load.ts";
import { TaskFileError } from "../src/errors.ts";
import type { RunEvent } from "../src/types.ts";

/**
 * Plugins whose module also exports what they did, for a test that imports the same file
 * (one module instance per process) to read. "ready" becomes ready a few timer turns into
 * its prepare(), and its tasks print whether it was by then; "early" is prepared first (its
 * tasks come first) and records its dispose(); "failing" rejects; "pending" never settles
 * until the test lets it.
 */
const PLUGINS = `
export const log = [];
let ready = false;
let release;
export const pendingStarted = new Promise((resolve) => release = resolve);
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ok = () => Promise.resolve({ ok: true });
export default [
  { type: "early", prepare() { log.push("early prepared"); }, dispose() { log.push("early disposed"); }, run: ok },
  {
    type: "ready",
    async prepare() { await wait(20); await wait(20); ready = true; log.push("ready prepared"); },
    run(task, context) { context.output("stdout", "ready=" + ready); return ok(); },
  },
  {
    type: "failing",
    async prepare(tasks) { await wait(20); throw new Error("no database for " + tasks.length + " task(s)"); },
    run() { log.push("failing ran"); return ok(); },
  },
  {
    type: "pending",
    prepare() { log.push("pending preparing"); release(); return new Promise(() => {}); },
    dispose() { log.push("pending disposed"); },
    run() { log.push("pending ran"); return ok(); },
  },
];
`;

async function pluginsFile(): Promise<
  { path: string; log: string[]; pendingStarted: Promise<void> }
> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-prepare-" });
  const path = `${directory}/plugins.ts`;
  await Deno.writeTextFile(path, PLUGINS);
  const module = await import(new URL(`file://${path}`).href);
  return { path, log: module.log, pendingStarted: module.pendingStarted };
}

async function taskFileUsing(path: string, tasks: unknown[]): Promise<string> {
  const types = new Set(tasks.map((task) => (task as { type: string }).type));
  return await writeTaskFile({
    executors: Object.fromEntries(
      [...types].filter((type) => type !== "exec").map((
        type,
      ) => [type, path]),
    ),
    tasks,
  });
}

Deno.test("run() awaits an async prepare() before the first task starts", async () => {
  const { path, log } = await pluginsFile();
  const file = await taskFileUsing(path, [{ name: "use", type: "ready", arguments: null }]);
  const events: RunEvent[] = [];
  const report = await run(await loadTaskFile(file), { onEvent: (event) => events.push(event) });
  assert.equal(report.ok, true);
  const output = events.flatMap((event) => event.event === "output" ? [event.text] : []);
  assert.deepEqual(output, ["ready=true"], "the task ran after prepare() resolved");
  assert.deepEqual(log, ["ready prepared"]);
});

Deno.test("run() rejects with a TaskFileError when an async prepare() rejects; nothing starts", async () => {
  const { path, log } = await pluginsFile();
  const file = await taskFileUsing(path, [
    { name: "first", type: "early", arguments: null },
    { name: "db", type: "failing", arguments: null },
    { name: "echo", type: "exec", arguments: "echo never" },
  ]);
  const events: RunEvent[] = [];
  await assert.rejects(
    run(await loadTaskFile(file), { onEvent: (event) => events.push(event) }),
    (error) => {
      assert.ok(error instanceof TaskFileError);
      assert.equal(
        error.message,
        `${file}: task "db": executor "failing": prepare() failed: no database for 1 task(s)`,
      );
      return true;
    },
  );
  assert.deepEqual(events, [], "the run never began");
  assert.deepEqual(log, ["early prepared", "early disposed"]);
});

Deno.test("run() stops waiting for a pending prepare() when its signal aborts: every task skipped", async () => {
  const { path, log, pendingStarted } = await pluginsFile();
  const file = await taskFileUsing(path, [
    { name: "first", type: "early", arguments: null },
    { name: "slow", type: "pending", arguments: null },
    { name: "echo", type: "exec", arguments: "echo never" },
  ]);
  const controller = new AbortController();
  // A timer's turn later: a run not waiting for prepare() would have started its tasks by then.
  void pendingStarted.then(() => setTimeout(() => controller.abort("interrupted"), 0));
  const report = await run(await loadTaskFile(file), { signal: controller.signal });
  assert.deepEqual(
    report.tasks.map((task) => [task.name, task.status, task.reason]),
    [["first", "skipped", "cancelled"], ["slow", "skipped", "cancelled"], [
      "echo",
      "skipped",
      "cancelled",
    ]],
  );
  assert.deepEqual(log, [
    "early prepared",
    "pending preparing",
    "early disposed",
    "pending disposed",
  ]);
});

Deno.test("the command line: an async prepare() that rejects is one line, exit 2, nothing run", async () => {
  const { path } = await pluginsFile();
  const file = await taskFileUsing(path, [
    { name: "echo", type: "exec", arguments: "echo ran" },
    { name: "db", type: "failing", arguments: null },
  ]);
  const result = await runCli([file, "--no-history"]);
  assert.equal(result.stdout, "", "nothing ran");
  assert.equal(
    result.stderr,
    `dagrun: ${file}: task "db": executor "failing": prepare() failed: no database for 1 task(s)\n`,
  );
  assert.equal(result.code, 2);
});

/**
 * Writes a plugin of type "pending" whose prepare() never settles and says "preparing" on
 * stderr, for a test to know when to interrupt; with `saysDisposed`, its dispose() says
 * "disposed". Returns the plugin's path.
 */
async function pendingPlugin({ saysDisposed }: { saysDisposed: boolean }): Promise<string> {
  const path = `${await Deno.makeTempDir({ prefix: "dagrun-prepare-" })}/pending.ts`;
  await Deno.writeTextFile(
    path,
    `export default {
      type: "pending",
      prepare() { console.error("preparing"); return new Promise(() => {}); },
      ${saysDisposed ? 'dispose() { console.error("disposed"); },' : ""}
      run: () => Promise.resolve({ ok: true }),
    };\n`,
  );
  return path;
}

Deno.test("the command line: Ctrl-C while an async prepare() is pending ends the run, exit 130", async () => {
  const file = await taskFileUsing(await pendingPlugin({ saysDisposed: true }), [
    { name: "echo", type: "exec", arguments: "echo ran" },
    { name: "slow", type: "pending", arguments: null },
  ]);
  const cli = spawnCli([file, "--no-history"]);
  while (!cli.stderr().includes("preparing\n")) {
    const ended = await Promise.race([
      cli.child.status.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 20)),
    ]);
    if (ended) break;
  }
  Deno.kill(cli.child.pid, "SIGINT");
  assert.equal(await cli.done(), 130, cli.stdout() + cli.stderr());
  assert.equal(cli.stderr(), "preparing\ndisposed\n");
  assert.doesNotMatch(cli.stdout(), /Started:/);
  assert.match(cli.stdout(), /^echo +exec +skipped +- +cancelled$/m);
  assert.match(cli.stdout(), /^slow +pending +skipped +- +cancelled$/m);
});

const tmux = await findProgram("tmux");
const bash = await findProgram("bash");

Deno.test({
  name:
    "on a terminal, the first line after Ctrl-C during a pending prepare() does not start with ^C",
  ignore: tmux === undefined || bash === undefined || Deno.build.os !== "linux",
  async fn(t) {
    // No dispose(): its line would come first after ^C, which this test looks at.
    const file = await taskFileUsing(await pendingPlugin({ saysDisposed: false }), [
      { name: "h", type: "pending", arguments: null },
    ]);
    const plain = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
    const fifo = `${dirname(plain)}/fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    // An interactive bash, whose terminal echoes the Ctrl-C typed into it as `^C`.
    const term = await bashInTmux(tmux!, bash!, "prepare");
    try {
      for (
        const [name, args, waiting, after] of [
          ["a plugin's prepare() pending", [file], /^preparing$/m, /^Skipped: h \(cancelled\)$/m],
          [
            "a FIFO report waiting for its reader",
            [plain, "--report", fifo],
            [/wait_for_partner/, fifo],
            /^dagrun: interrupted while waiting for a reader to open .*fifo; nothing ran$/m,
          ],
          [
            "the task file read from the terminal (-)",
            ["-"],
            // This checkout's dagrun (its path), reading the terminal.
            [/wait_woken/, `${MOD} --no-history -$`],
            /^dagrun: interrupted while reading standard input; nothing ran$/m,
          ],
        ] as const
      ) {
        await t.step(name, async () => {
          await term.type("clear", "Enter");
          const command = denoCommandLine(["run", "-A", "--quiet", MOD, "--no-history", ...args]);
          await term.type(`${command}; echo "exit=$?"`, "Enter");
          if (waiting instanceof RegExp) await term.waitFor(waiting, "the plugin preparing", 600);
          else {
            // Nothing to see while the open or the read waits: dagrun's process (the one whose
            // command line matches), waiting there in the kernel.
            const [wchan, commandLine] = waiting;
            await until(async () => {
              for (const pid of await pgrep(commandLine)) {
                // A pid pgrep saw may have ended since.
                if (await aThreadWaitsIn(pid, wchan).catch(() => false)) return true;
              }
              return false;
            }, `dagrun waiting (${wchan.source})`);
          }
          await term.type("C-c");
          const text = await term.waitFor(/^exit=\d+$/m, "dagrun ending", 600);
          assert.match(text, /^exit=130$/m, text);
          assert.match(text, after, text);
          assert.doesNotMatch(text, /\^C./, text);
        });
      }
    } finally {
      await term.close();
    }
  },
});
