import assert from "node:assert/strict";
import { createSink, type SyncWriter } from "../src/output.ts";
import { parseDurationOption } from "../src/cli.ts";
import { MOD, runCli } from "./helpers.ts";
import { taskFile } from "./reliability_helpers.ts";

Deno.test("createSink() reports a closed stream once and drops what follows", () => {
  let writes = 0;
  const broken: SyncWriter = {
    writeSync: () => {
      writes++;
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  };
  const closed: unknown[] = [];
  const sink = createSink({ stdout: broken, stderr: broken, onClosed: (e) => closed.push(e) });
  sink.out("one\n");
  sink.flush();
  sink.out("two\n");
  sink.err("three\n");
  sink.flush();
  assert.equal(closed.length, 1);
  assert.ok(closed[0] instanceof Deno.errors.BrokenPipe);
  assert.equal(writes, 1);
});

Deno.test("createSink() writes text longer than its buffer whole, multi-byte included", () => {
  const chunks: Uint8Array[] = [];
  const writer: SyncWriter = {
    writeSync: (bytes) => {
      // Take at most 1000 bytes at a time, as a full pipe might.
      const taken = bytes.slice(0, 1000);
      chunks.push(taken);
      return taken.length;
    },
  };
  const sink = createSink({ stdout: writer, stderr: writer });
  const text = "é€😀x".repeat(50_000);
  sink.out(text);
  sink.flush();
  const written = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    written.set(chunk, offset);
    offset += chunk.length;
  }
  assert.equal(new TextDecoder("utf-8", { fatal: true }).decode(written), text);
});

Deno.test("parseDurationOption() takes seconds or a duration with ms, s or m", () => {
  assert.equal(parseDurationOption("grace", "5"), 5_000);
  assert.equal(parseDurationOption("grace", "0.5"), 500);
  assert.equal(parseDurationOption("grace", "500ms"), 500);
  assert.equal(parseDurationOption("grace", "2s"), 2_000);
  assert.equal(parseDurationOption("grace", "1m"), 60_000);
  assert.equal(parseDurationOption("grace", "0"), 0);
  assert.throws(() => parseDurationOption("grace", "soon"), /Invalid grace/);
  assert.throws(() => parseDurationOption("grace", "-1"), /Invalid grace/);
});

Deno.test("dagrun refuses a bad --grace on one line, running nothing", async () => {
  const file = await taskFile([{ name: "a", arguments: "echo ran" }]);
  const result = await runCli(["--grace", "soon", file]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^dagrun: Invalid grace: .* received 'soon'\n/);
});

Deno.test("createSink(): a broken stderr drops stderr's text only; stdout goes on, unreported", () => {
  const out: string[] = [];
  const stdout: SyncWriter = {
    writeSync: (bytes) => (out.push(new TextDecoder().decode(bytes)), bytes.length),
  };
  const stderr: SyncWriter = {
    writeSync: () => {
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  };
  const closed: unknown[] = [];
  const sink = createSink({ stdout, stderr, onClosed: (e) => closed.push(e) });
  sink.out("one\n");
  sink.err("lost\n");
  sink.out("two\n");
  sink.flush();
  sink.out("three\n");
  sink.flush();
  assert.deepEqual(out.join(""), "one\ntwo\nthree\n");
  assert.deepEqual(closed, []);
});

const devFull = await Deno.stat("/dev/full").then(() => true, () => false);

Deno.test({
  name: "dagrun says on one line that it could not write its output or a report, exit 74",
  ignore: !devFull,
  async fn(t) {
    const file = await taskFile([
      { name: "a", arguments: "echo hi" },
      { name: "b", arguments: "echo err >&2; false", dependencies: ["a"] },
    ]);
    // The directories of both task files go at the end, with the reports written in them.
    const directories = [file.replace(/\/[^/]*$/, "")];
    const run = (shell: string, tasks = file) =>
      new Deno.Command("sh", {
        args: ["-c", shell],
        env: { DAGRUN: `'${Deno.execPath()}' run -A --quiet '${MOD}' --no-history '${tasks}'` },
        stdout: "piped",
        stderr: "piped",
      }).output().then(({ code, stdout, stderr }) => ({
        code,
        stdout: new TextDecoder().decode(stdout),
        stderr: new TextDecoder().decode(stderr),
      }));
    const full = "no space left on device";
    try {
      await t.step("standard output to a full disk", async () => {
        const result = await run('eval "$DAGRUN" > /dev/full');
        assert.equal(result.code, 74);
        assert.equal(result.stderr, `dagrun: cannot write to standard output: ${full}\n`);
      });
      // A report path on a full device is refused before the run (see report_files_test.ts):
      // a write failing at the end is a file the system will not let grow, past `ulimit -f`
      // (SIGXFSZ ignored, so that the write fails with EFBIG rather than killing dagrun).
      const directory = directories[0];
      const tooLarge = "file too large";
      for (const option of ["--report", "--trace", "--report-html"]) {
        await t.step(`${option} to a file past its size limit`, async () => {
          const path = `${directory}/limited${option}`;
          const result = await run(
            `trap '' XFSZ; ulimit -f 0; eval "$DAGRUN -q ${option} ${path}"`,
          );
          assert.equal(result.code, 74);
          assert.match(result.stdout, /2 tasks: 1 ok, 1 failed/);
          assert.equal(result.stderr, `dagrun: ${path}: cannot write report: ${tooLarge}\n`);
        });
      }
      await t.step("one report past the limit: the others are written all the same", async () => {
        // 2,560 bytes (dash counts 512-byte blocks): the page (over 4 KB) does not fit, the
        // trace and the NDJSON report (about 0.5 and 1 KB) do.
        const html = `${directory}/r.html`;
        const result = await run(
          `trap '' XFSZ; ulimit -f 5; eval "$DAGRUN -q --report-html ${html} --trace ${directory}/t.json --report ${directory}/r.ndjson"`,
        );
        assert.equal(result.code, 74);
        assert.equal(result.stderr, `dagrun: ${html}: cannot write report: ${tooLarge}\n`);
        const trace = JSON.parse(await Deno.readTextFile(`${directory}/t.json`));
        assert.equal(
          trace.traceEvents.filter((event: { ph: string }) => event.ph === "X").length,
          2,
        );
        const report = await Deno.readTextFile(`${directory}/r.ndjson`);
        assert.match(report, /"event":"run_ended"/);
      });
      await t.step("every report past the limit: each is named, on one line", async () => {
        // Only the first was named: the others were left empty, and the user never told.
        const [ndjson, html, trace] = ["r.ndjson", "all.html", "all.json"].map((name) =>
          `${directory}/${name}`
        );
        const result = await run(
          `trap '' XFSZ; ulimit -f 0; eval "$DAGRUN -q --report ${ndjson} --report-html ${html} --trace ${trace}"`,
        );
        assert.equal(result.code, 74);
        assert.match(result.stdout, /2 tasks: 1 ok, 1 failed/);
        assert.equal(
          result.stderr,
          `dagrun: cannot write reports: ${ndjson}: ${tooLarge}; ${html}: ${tooLarge}; ${trace}: ${tooLarge}\n`,
        );
        // The same without --report: the two written at the end.
        const both = await run(
          `trap '' XFSZ; ulimit -f 0; eval "$DAGRUN -q --report-html ${html} --trace ${trace}"`,
        );
        assert.equal(both.code, 74);
        assert.equal(
          both.stderr,
          `dagrun: cannot write reports: ${html}: ${tooLarge}; ${trace}: ${tooLarge}\n`,
        );
      });
      await t.step(
        "reports that fail in a run a signal ended: named, the signal's exit status",
        async () => {
          // --report's failure went unsaid, and the page's exited 74, not 130.
          const [ndjson, html] = [`${directory}/int.ndjson`, `${directory}/int.html`];
          const interrupted = await taskFile([{
            name: "k",
            arguments: "kill -INT $PPID; sleep 1",
          }]);
          directories.push(interrupted.replace(/\/[^/]*$/, ""));
          const result = await run(
            `trap '' XFSZ; ulimit -f 0; eval "$DAGRUN -q --report ${ndjson} --report-html ${html}"`,
            interrupted,
          );
          assert.equal(result.code, 130);
          assert.equal(
            result.stderr,
            `dagrun: cannot write reports: ${ndjson}: ${tooLarge}; ${html}: ${tooLarge}\n`,
          );
        },
      );
      await t.step(
        "standard error to a full disk: the run goes on, its report printed",
        async () => {
          const result = await run('eval "$DAGRUN" 2> /dev/full');
          assert.equal(result.code, 1);
          assert.match(result.stdout, /Ended : b\n[^]*2 tasks: 1 ok, 1 failed/);
        },
      );
    } finally {
      for (const directory of directories) await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test("dagrun writes all of a run to a non-blocking stdout that a slow reader drains", async () => {
  const line = "x".repeat(99);
  const file = await taskFile([
    { name: "a", arguments: `yes ${line} | head -n 20000` },
    { name: "b", arguments: "echo after", dependencies: ["a"] },
  ]);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      new URL("./nonblocking_stdout.ts", import.meta.url).pathname,
      "--no-history",
      file,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  // Nothing is read until dagrun has met the full pipe (it exits at once if it takes that for
  // a closed output) or has had a second to: a slow reader. Whenever reading starts, a run
  // that waits for room has all of its output read, each line once.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    child.status,
    new Promise((resolve) => timer = setTimeout(resolve, 1_000)),
  ]);
  clearTimeout(timer);
  const [stdout, stderr, status] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  assert.match(stderr, /^filled \d+\n$/);
  assert.equal(status.code, 0, stderr);
  const lines = stdout.replace(/^\.+/, "").split("\n");
  assert.equal(lines.filter((each) => each === `[a] ${line}`).length, 20000);
  assert.ok(lines.includes("[b] after"));
  assert.match(stdout, /2 tasks: 2 ok, 0 failed, 0 skipped/);
});
