import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  makeFifo,
  MOD,
  namesIn,
  signalledWhileWaiting,
  taskFileBesideFifo,
  waitsInFifoOpen,
  writeTaskFile,
} from "./helpers.ts";
import {
  allowedOutsideProc,
  assertAskedNothing,
  dagrunOnTerminal,
  denoCommandLine,
  hasTerminal,
  onTerminal,
  runAllowed,
} from "./terminal_helpers.ts";

/** Runs dagrun through sh, its command in $DAGRUN, in the task file's directory. */
async function sh(file: string, shell: string) {
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: ["-c", shell],
    cwd: dirname(file),
    env: { DAGRUN: `'${Deno.execPath()}' run -A --quiet '${MOD}' --no-history '${file}'` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Fails unless `directory` is without the file `ran` its task file's task would have touched. */
async function assertNothingRan(directory: string): Promise<void> {
  await assert.rejects(Deno.stat(`${directory}/ran`), Deno.errors.NotFound, "nothing ran");
}

Deno.test("a report into dagrun's own standard output or error is refused before anything runs", async (t) => {
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "exec", arguments: "touch ran; echo hi" }],
  });
  const directory = dirname(file);
  const cases: [string, string, string][] = [
    // Its own offset in the file: the report was written over the run's output.
    ['eval "$DAGRUN --report /dev/stdout" > out.txt', "/dev/stdout", "--report"],
    ['eval "$DAGRUN --report out.txt" > out.txt', "out.txt", "--report"],
    [
      '{ eval "$DAGRUN --report-html /dev/stdout"; echo $? >code; } | cat',
      "/dev/stdout",
      "--report-html",
    ],
    [
      'eval "$DAGRUN --trace /dev/stderr" 2>err.txt; echo $? >code; cat err.txt >&2',
      "/dev/stderr",
      "--trace",
    ],
  ];
  for (const [shell, path, option] of cases) {
    await t.step(shell, async () => {
      await Deno.remove(`${directory}/ran`).catch(() => {});
      await Deno.remove(`${directory}/code`).catch(() => {});
      const result = await sh(file, shell);
      // The shell's own when the command says where dagrun's went.
      const code = await Deno.readTextFile(`${directory}/code`).then(Number, () => result.code);
      assert.equal(code, 2, result.stderr);
      const stream = path === "/dev/stderr" ? "error" : "output";
      assert.equal(
        result.stderr,
        `dagrun: ${path}: cannot write report: it is dagrun's standard ${stream}; ` +
          `${option} would be mixed into what dagrun prints there\n`,
      );
      await assertNothingRan(directory);
    });
  }
  await t.step("/dev/null is no one's: a report there is fine", async () => {
    const result = await sh(file, 'eval "$DAGRUN --report /dev/null" > /dev/null');
    assert.equal(result.code, 0, result.stderr);
  });
});

Deno.test("a report path that cannot be opened is said once, and an empty one is no path", async () => {
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "exec", arguments: "touch ran" }],
  });
  const missing = await sh(file, 'eval "$DAGRUN --report missing/r.ndjson"');
  assert.equal(missing.code, 2);
  assert.equal(
    missing.stderr,
    "dagrun: missing/r.ndjson: cannot write report: no such file or directory\n",
  );
  const empty = await sh(file, `eval "$DAGRUN --trace ''"`);
  assert.equal(empty.code, 2);
  assert.equal(
    empty.stderr,
    `dagrun: --trace needs a file name, and "" is none\nTry 'dagrun run --help' for usage.\n`,
  );
  const directory = dirname(file);
  await assertNothingRan(directory);
});

Deno.test("a report path of - is refused as a usage error, not written as a file named -", async () => {
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "exec", arguments: "touch ran" }],
  });
  const directory = dirname(file);
  for (const option of ["--report", "--report-html", "--trace"]) {
    const result = await sh(file, `eval "$DAGRUN ${option} -"`);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`^dagrun: ${option} writes a file, and "-" is not`));
    await assert.rejects(Deno.stat(`${directory}/-`), Deno.errors.NotFound, option);
    await assertNothingRan(directory);
  }
});

Deno.test("a report path that opens but would not keep the report is refused before anything runs", async (t) => {
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "exec", arguments: "touch ran" }],
  });
  const directory = dirname(file);
  // Both open for writing (as root /proc/version does too); their writes fail, which was
  // found only when the run ended (exit 74). No path here is changed by a write that lands.
  const cases: [string, string, string][] = [
    ["/proc/version", "--report", "it is a file of the kernel's proc filesystem"],
    ["/dev/full", "--trace", "it is a device that is neither a terminal nor /dev/null"],
  ];
  for (const [path, option, why] of cases) {
    await t.step({
      name: `${option} ${path}`,
      // Not writable at all here (not root): refused as any such path is.
      ignore: !opensForWriting(path),
      fn: async () => {
        const result = await sh(file, `eval "$DAGRUN ${option} ${path}"`);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, new RegExp(`^dagrun: ${path}: cannot write report: ${why}`));
        assert.equal(result.stderr.split("\n").length, 2, "one line");
        await assertNothingRan(directory);
      },
    });
  }
});

function opensForWriting(path: string): boolean {
  try {
    Deno.openSync(path, { write: true }).close();
    return true;
  } catch {
    return false;
  }
}

/** Options writing each kind of report into `directory`: r.ndjson, t.json and r.html. */
function allReportsIn(directory: string): string[] {
  return [
    ...["--report", `${directory}/r.ndjson`],
    ...["--trace", `${directory}/t.json`],
    ...["--report-html", `${directory}/r.html`],
  ];
}

Deno.test({
  name: "on a terminal, report files with only the permissions they need ask no permission",
  ignore: !hasTerminal,
  async fn() {
    const file = await writeTaskFile({
      tasks: [{ name: "a", type: "exec", arguments: "echo hi" }],
    });
    const dir = dirname(file);
    const out = `${dir}/out`;
    await Deno.mkdir(out);
    // A terminal (script's); read access to the task file's directory and dagrun's code,
    // write access to the reports' directory only: looking at /dev/stdout, /dev/null or
    // /proc/self/mountinfo, or reading the reports' directory, would stop the run at a
    // prompt.
    const { code, output: screen } = await dagrunOnTerminal(
      allowedOutsideProc(dir, out),
      "--no-history",
      "-q",
      file,
      ...allReportsIn(out),
    );
    try {
      assertAskedNothing(screen);
      assert.equal(code, 0, screen);
      for (const name of ["r.ndjson", "t.json", "r.html"]) {
        assert.ok((await Deno.stat(`${out}/${name}`)).size > 0, name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a report path naming a socket is refused as one; a FIFO is written through",
  ignore: Deno.build.os === "windows",
  async fn() {
    const file = await writeTaskFile({
      tasks: [{ name: "a", type: "exec", arguments: "touch ran" }],
    });
    const directory = dirname(file);
    const listener = Deno.listen({ transport: "unix", path: `${directory}/sock` });
    try {
      // open() says only "no such device or address" (ENXIO).
      const result = await sh(file, 'eval "$DAGRUN --report sock"');
      assert.equal(result.code, 2, result.stderr);
      assert.equal(
        result.stderr,
        "dagrun: sock: cannot write report: it is a socket, not a file\n",
      );
      await assertNothingRan(directory);
    } finally {
      listener.close();
    }
    // A FIFO is opened once its reader comes, as the shell's `>` waits, and read as it is written.
    await makeFifo(`${directory}/fifo`);
    const result = await sh(file, 'cat fifo > trace.json & eval "$DAGRUN --trace fifo"; wait');
    assert.equal(result.code, 0, result.stderr);
    const trace = JSON.parse(await Deno.readTextFile(`${directory}/trace.json`));
    assert.deepEqual(
      trace.traceEvents.filter((event: { ph: string }) => event.ph === "X").map((
        event: { name: string },
      ) => event.name),
      ["a"],
    );
  },
});

Deno.test({
  name: "report files that dagrun may write but not read are written, unchecked, without a prompt",
  ignore: !hasTerminal,
  async fn(t) {
    const file = await writeTaskFile({
      tasks: [{ name: "a", type: "exec", arguments: "echo hi" }],
    });
    const dir = dirname(file);
    // Outside every path dagrun may read: a file of its own can be written, not looked at
    // (an open file's stat asks for read access to its path, in Deno).
    const out = await Deno.makeTempDir({ prefix: "dagrun-write-only-" });
    await Deno.writeTextFile(`${out}/r.ndjson`, "an earlier run's report\n".repeat(100));
    const dagrun = (...reports: string[]) =>
      denoCommandLine(
        runAllowed(allowedOutsideProc(dir, out), "--no-history", "-q", file, ...reports),
      );
    /** The run without a terminal (so without a prompt), stdout discarded. */
    const offTerminal = async (...options: string[]) => {
      const { code, stderr } = await new Deno.Command("sh", {
        args: ["-c", `timeout -s KILL 20 ${dagrun(...options)}`],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      return { code, stderr: new TextDecoder().decode(stderr) };
    };
    const reports = allReportsIn(out);
    try {
      await t.step("on a terminal", async () => {
        const { code, output: screen } = await onTerminal(dagrun(...reports));
        assertAskedNothing(screen);
        assert.equal(code, 0, screen);
        const report = await Deno.readTextFile(`${out}/r.ndjson`);
        assert.match(report, /^\{"event":"run_started"/, "emptied, then written");
        assert.match(report, /"event":"run_ended"/);
        for (const name of ["t.json", "r.html"]) {
          assert.ok((await Deno.stat(`${out}/${name}`)).size > 0, name);
        }
      });
      await t.step("without a terminal, as without a prompt", async () => {
        await Deno.remove(`${out}/r.ndjson`);
        const { code, stderr } = await offTerminal(...reports);
        assert.equal(stderr, "");
        assert.equal(code, 0);
        assert.match(await Deno.readTextFile(`${out}/r.ndjson`), /"event":"run_ended"/);
      });
      await t.step("a report it created is removed when a later one cannot be opened", async () => {
        await Deno.remove(`${out}/r.ndjson`);
        // Created by the first open, then left: a run that never begins leaves nothing.
        const { code, stderr } = await offTerminal(
          "--report",
          `${out}/r.ndjson`,
          "--trace",
          `${out}/no/t.json`,
        );
        assert.equal(
          stderr,
          `dagrun: ${out}/no/t.json: cannot write report: no such file or directory\n`,
        );
        assert.equal(code, 2);
        await assert.rejects(Deno.stat(`${out}/r.ndjson`), Deno.errors.NotFound);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "Ctrl-C while a report FIFO waits for its reader ends dagrun at once: one line, 130, no file left",
  ignore: Deno.build.os !== "linux",
  async fn(t) {
    const directory = await taskFileBesideFifo({
      tasks: [{ name: "a", type: "exec", arguments: "touch ran; echo hi" }],
    });
    const cases = [
      // The NDJSON report into the FIFO: nothing else opened. Seen waiting in the open.
      { reports: ["--report", "fifo"], waiting: (pid: number) => waitsInFifoOpen(pid) },
      // A report created before it (the options' order): removed, as when a run never begins.
      // Its creation comes right before the wait, with no turn of the event loop between.
      {
        reports: ["--report", "r.ndjson", "--trace", "fifo"],
        waiting: () => Deno.stat(`${directory}/r.ndjson`).then(() => true, () => false),
      },
    ];
    for (const { reports, waiting } of cases) {
      await t.step(reports.join(" "), async () => {
        assert.deepEqual(
          await signalledWhileWaiting({
            args: ["--no-history", `${directory}/tasks.json`, ...reports],
            cwd: directory,
            waiting,
            what: "dagrun waiting for the FIFO's reader",
            signal: "SIGINT",
          }),
          {
            code: 130,
            signal: null,
            stdout: "",
            stderr: "dagrun: interrupted while waiting for a reader to open fifo; nothing ran\n",
          },
        );
        assert.deepEqual(
          await namesIn(directory),
          ["fifo", "tasks.json"],
          "no report file left, nothing ran",
        );
      });
    }
    await Deno.remove(directory, { recursive: true });
  },
});
