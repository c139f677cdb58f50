import assert from "node:assert/strict";
import { reportRow, spawnCli, survivors, taskFile, withMarker } from "./reliability_helpers.ts";
import { MOD, writeTaskFile } from "./helpers.ts";

/** Two exec tasks with background children, an eval task, and one that never starts. */
async function interruptible(mark: string): Promise<string> {
  return await taskFile([
    { name: "tree", arguments: `sleep ${mark}1 & sleep ${mark}2` },
    { name: "plain", arguments: `sleep ${mark}3` },
    { name: "script", type: "eval", arguments: "await new Promise((r) => setTimeout(r, 60_000))" },
    { name: "later", arguments: `sleep ${mark}4`, dependencies: ["tree"] },
  ]);
}

for (
  const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const
) {
  Deno.test(`dagrun stops every task on ${signal}, reports and exits ${code}`, () =>
    withMarker(async (mark) => {
      const cli = spawnCli([await interruptible(mark)]);
      await cli.started(3);
      // Give the shells time to start their children.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await survivors(`sleep ${mark}`)).length > 0, true, "the sleeps are running");
      const signalled = performance.now();
      Deno.kill(cli.child.pid, signal);
      const exitCode = await cli.done();
      const elapsed = performance.now() - signalled;
      assert.equal(exitCode, code, cli.stderr());
      // The bound: children honouring SIGTERM, out within a second.
      assert.ok(elapsed < 1_000, `took ${Math.round(elapsed)}ms`);
      const stdout = cli.stdout();
      assert.match(reportRow(stdout, "tree")!, /^tree exec failed \S+ interrupted$/);
      assert.match(reportRow(stdout, "plain")!, /^plain exec failed \S+ interrupted$/);
      assert.match(reportRow(stdout, "script")!, /^script eval failed \S+ interrupted$/);
      assert.equal(reportRow(stdout, "later"), "later exec skipped - cancelled");
      assert.match(stdout, /0 ok, 3 failed, 1 skipped .*; cancelled\n$/);
      assert.deepEqual(await survivors(`sleep ${mark}`), []);
    }));
}

Deno.test("dagrun kills a task ignoring SIGTERM after --grace", () =>
  withMarker(async (mark) => {
    const file = await taskFile([
      { name: "stubborn", arguments: `trap '' TERM; sleep ${mark} & sleep ${mark}; wait` },
    ]);
    const cli = spawnCli(["--grace", "400ms", file]);
    await cli.started(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signalled = performance.now();
    Deno.kill(cli.child.pid, "SIGINT");
    assert.equal(await cli.done(), 130);
    const elapsed = performance.now() - signalled;
    assert.ok(elapsed >= 400, `the grace period was cut short: ${Math.round(elapsed)}ms`);
    assert.match(reportRow(cli.stdout(), "stubborn")!, /failed \S+ interrupted$/);
    assert.deepEqual(await survivors(`sleep ${mark}`), []);
  }));

Deno.test("dagrun kills everything at once on a second Ctrl-C", () =>
  withMarker(async (mark) => {
    const file = await taskFile([
      { name: "stubborn", arguments: `trap '' TERM; sleep ${mark} & sleep ${mark}; wait` },
    ]);
    const cli = spawnCli(["--grace", "60s", file]);
    await cli.started(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    Deno.kill(cli.child.pid, "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 200));
    Deno.kill(cli.child.pid, "SIGINT");
    // Without the second signal this would wait out the 60 s grace period.
    assert.equal(await cli.done(), 130);
    assert.deepEqual(await survivors(`sleep ${mark}`), []);
  }));

Deno.test("a second Ctrl-C writes --report-html and --trace as the run stands", () =>
  withMarker(async (mark) => {
    const file = await taskFile([
      { name: "first", arguments: "echo done first" },
      {
        name: "stubborn",
        arguments: `trap '' TERM; echo waiting; sleep ${mark} & sleep ${mark}; wait`,
        dependencies: ["first"],
      },
      { name: "later", arguments: "echo never", dependencies: ["stubborn"] },
    ]);
    const directory = file.replace(/\/[^/]*$/, "");
    const [page, trace] = [`${directory}/timeline.html`, `${directory}/trace.json`];
    const cli = spawnCli(["--grace", "60s", "--report-html", page, "--trace", trace, file]);
    await cli.started(2); // "stubborn" starts once "first" has ended
    await new Promise((resolve) => setTimeout(resolve, 200));
    Deno.kill(cli.child.pid, "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 200));
    Deno.kill(cli.child.pid, "SIGINT");
    assert.equal(await cli.done(), 130, cli.stderr());
    assert.deepEqual(await survivors(`sleep ${mark}`), []);

    const html = await Deno.readTextFile(page);
    assert.match(html, /<rect class="bar ok[^"]*" data-task="first" data-status="ok"/);
    assert.match(html, /<rect class="bar failed[^"]*" data-task="stubborn" data-status="failed"/);
    assert.match(html, /<title>stubborn\n[^<]*error: interrupted<\/title>/);
    assert.match(html, /<g class="skip" data-task="later"[^]*?skipped: cancelled/);
    assert.match(html, /<pre>waiting<\/pre>/);
    const events = JSON.parse(await Deno.readTextFile(trace)).traceEvents as {
      name: string;
      ph: string;
      dur: number;
      args: { status: string };
    }[];
    const ran = events.filter((event) => event.ph === "X");
    assert.deepEqual(ran.map((event) => [event.name, event.args.status]), [
      ["first", "ok"],
      ["stubborn", "failed"],
    ]);
    assert.ok(ran.every((event) => event.dur >= 0));
  }));

Deno.test("dagrun --fail-fast stops running tasks and skips the rest at the first failure", () =>
  withMarker(async (mark) => {
    const file = await taskFile([
      { name: "breaks", arguments: "sleep 0.3; exit 3" },
      { name: "long", arguments: `sleep ${mark} & sleep ${mark}` },
      { name: "after-long", arguments: "echo never", dependencies: ["long"] },
      { name: "after-breaks", arguments: "echo never", dependencies: ["breaks"] },
    ]);
    const cli = spawnCli(["--fail-fast", file]);
    assert.equal(await cli.done(), 1);
    const stdout = cli.stdout();
    assert.match(reportRow(stdout, "breaks")!, /failed \S+ exit code 3$/);
    assert.match(
      reportRow(stdout, "long")!,
      /failed \S+ cancelled: "breaks" failed \(fail-fast\)$/,
    );
    assert.equal(reportRow(stdout, "after-long"), "after-long exec skipped - cancelled");
    assert.equal(
      reportRow(stdout, "after-breaks"),
      'after-breaks exec skipped - dependency "breaks" failed',
    );
    assert.doesNotMatch(stdout, /never/);
    assert.deepEqual(await survivors(`sleep ${mark}`), []);
  }));

Deno.test("dagrun without --fail-fast lets unrelated tasks finish after a failure", async () => {
  const file = await taskFile([
    { name: "breaks", arguments: "exit 3" },
    { name: "slow", arguments: "sleep 0.3; echo finished" },
  ]);
  const cli = spawnCli([file]);
  assert.equal(await cli.done(), 1);
  assert.match(reportRow(cli.stdout(), "slow")!, /^slow exec ok /);
});

Deno.test("Ctrl-C stops a task retrying a command that fails at once", async () => {
  // Each attempt fails without waiting for anything: retried in microtasks alone, the run
  // never let the event loop turn, and the signal waited for every attempt.
  const file = await taskFile([
    { name: "missing", arguments: "no-such-command-dagrun-test", retries: 10_000 },
  ]);
  const cli = spawnCli([file, "--no-history"]);
  await cli.started(1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const signalled = performance.now();
  Deno.kill(cli.child.pid, "SIGINT");
  const exitCode = await cli.done();
  const elapsed = performance.now() - signalled;
  assert.equal(exitCode, 130, cli.stderr());
  assert.ok(elapsed < 2_000, `took ${Math.round(elapsed)}ms`);
  assert.match(reportRow(cli.stdout(), "missing")!, /^missing exec failed \S+ interrupted/);
});

Deno.test("a stopped task's group gets the grace period even when its shell dies at once", () =>
  withMarker(async (mark) => {
    const directory = await Deno.makeTempDir({ prefix: "dagrun-grace-" });
    // The task's shell dies of SIGTERM at once; the inner shell, in the same group, traps it,
    // takes 300 ms to clean up and leaves a file: that work must not be SIGKILLed.
    const inner = `trap 'sleep 0.3; touch ${directory}/cleaned; exit 0' TERM; ` +
      `while :; do sleep 0.05; done # ${mark}`;
    const file = await taskFile([
      { name: "wrapped", arguments: `sh -c "${inner}"; echo after` },
    ]);
    const cli = spawnCli(["--grace", "5s", file]);
    await cli.started(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    Deno.kill(cli.child.pid, "SIGTERM");
    assert.equal(await cli.done(), 143, cli.stderr());
    const cleaned = await Deno.stat(`${directory}/cleaned`).then(() => true, () => false);
    assert.ok(cleaned, "the inner shell was killed before its cleanup");
    assert.deepEqual(await survivors(mark), []);
    await Deno.remove(directory, { recursive: true });
  }));

for (const path of ["posix_spawn", "Deno.Command"] as const) {
  Deno.test(`a process that left the task's group does not hold the task with its pipes (${path})`, () =>
    withMarker(async (mark) => {
      const file = await writeTaskFile({
        tasks: [
          {
            name: "daemon",
            type: "exec",
            // `setsid` takes it out of the task's group: it keeps stdout and stderr open.
            arguments: `setsid sleep ${mark} & sleep 0.2; echo parent done`,
            timeout: "20s",
            // An env of its own sends the task through Deno.Command.
            ...(path === "Deno.Command" ? { env: { DAGRUN_TEST: "1" } } : {}),
          },
          { name: "next", type: "exec", arguments: "echo next", dependencies: ["daemon"] },
        ],
      });
      const cli = spawnCli(["--no-history", file]);
      // Without the fix the run waits for the sleep's pipes, past the test's own time limit.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const code = await Promise.race([
        cli.done(),
        new Promise<string>((resolve) =>
          timer = setTimeout(() => resolve("still running"), 10_000)
        ),
      ]);
      clearTimeout(timer);
      assert.equal(code, 0, cli.stdout() + cli.stderr());
      assert.match(cli.stdout(), /\[daemon\] parent done\n[^]*\[next\] next\n/);
      assert.match(reportRow(cli.stdout(), "daemon")!, /ok/);
    }));
}

Deno.test("a signal dagrun was started ignoring (SIGHUP under nohup) stays ignored", () =>
  withMarker(async (mark) => {
    const file = await taskFile([{ name: "slow", arguments: `sleep 1.${mark.slice(3)}` }]);
    // As `nohup` does: SIGHUP ignored before the program starts.
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        `trap '' HUP; exec "$0" run -A --quiet "$1" --no-history "$2"`,
        Deno.execPath(),
        MOD,
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill("SIGHUP");
    const { code, stdout } = await output;
    const text = new TextDecoder().decode(stdout);
    assert.equal(code, 0, text);
    assert.match(reportRow(text, "slow")!, /ok/);
  }));

Deno.test("a stopped task whose pipes a process that left its group holds does not wait out the grace", () =>
  withMarker(async (mark) => {
    const file = await taskFile([
      { name: "server", arguments: `setsid sleep ${mark} & exec sleep ${mark}`, timeout: "500ms" },
    ]);
    // The grace is long: waiting it out (for pipes that will not end) would outlast the race.
    const cli = spawnCli(["--no-history", "--grace", "30s", file]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      cli.done(),
      new Promise<string>((resolve) => timer = setTimeout(() => resolve("still running"), 15_000)),
    ]);
    clearTimeout(timer);
    assert.equal(code, 1, cli.stdout() + cli.stderr());
    assert.match(reportRow(cli.stdout(), "server")!, /failed +\S+ +timed out after 0\.5s$/);
  }));
