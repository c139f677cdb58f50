import assert from "node:assert/strict";
import { Ajv } from "../src/deps/ajv.ts";
import eventsSchema from "../schema/events.schema.json" with { type: "json" };
import type { RunEvent } from "../src/types.ts";
import { MOD, runCli, writeTaskFile } from "./helpers.ts";
import { bundle } from "../dist/build.ts";
import { GRAPH_OPTIONS, INPUT_OPTIONS, type OptionSpec, RUN_OPTIONS } from "../src/cli_options.ts";

const EXAMPLE = new URL("../examples/input1.json", import.meta.url).pathname;
const validateEvent = new Ajv({ strict: false }).compile(eventsSchema);

/** A task file of one task, `a`, that succeeds. */
const ONE_TASK = JSON.stringify({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });

/** Runs `body` in a new temporary directory holding `files` (by name), then removes it. */
async function inTempDir(
  files: Readonly<Record<string, string>>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function parseNdjson(stdout: string): RunEvent[] {
  return stdout.trimEnd().split("\n").map((line) => {
    const event = JSON.parse(line) as RunEvent;
    const valid = validateEvent(JSON.parse(line));
    assert.ok(valid, `${line}\n${JSON.stringify(validateEvent.errors)}`);
    return event;
  });
}

Deno.test("the example ends with task6 failed, task9 skipped and the rest ok", async () => {
  // --no-history: a test leaves no history file in the checkout.
  const result = await runCli([EXAMPLE, "--format", "ndjson", "--no-history"]);
  assert.equal(result.code, 1);
  const events = parseNdjson(result.stdout);
  const end = events.at(-1)!;
  assert.equal(end.event, "run_ended");
  if (end.event !== "run_ended") return;
  const statuses = Object.fromEntries(end.tasks.map((task) => [task.name, task.status]));
  assert.deepEqual(statuses, {
    task1: "ok",
    task2: "ok",
    task3: "ok",
    task4: "ok",
    task5: "ok",
    task6: "failed",
    task7: "ok",
    task8: "ok",
    task9: "skipped",
  });
  // The critical path task4 -> task5 -> task2 -> task8 is 6 s; nothing waits on a poll.
  assert.ok(end.durationMs < 6_500, `took ${end.durationMs} ms`);

  // No task starts before all its dependencies ended.
  const tasks = JSON.parse(await Deno.readTextFile(EXAMPLE)).tasks as {
    name: string;
    dependencies?: string[];
  }[];
  const startOf = new Map<string, number>(), endOf = new Map<string, number>();
  for (const event of events) {
    if (event.event === "task_started") startOf.set(event.task, event.time);
    if (event.event === "task_ended") endOf.set(event.task, event.time);
  }
  for (const task of tasks) {
    const start = startOf.get(task.name);
    if (start === undefined) continue;
    for (const dependency of task.dependencies ?? []) {
      assert.ok(endOf.get(dependency)! <= start, `${task.name} started before ${dependency}`);
    }
  }
});

Deno.test("human output uses the assignment's Started/Ended lines and prefixes output", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "hello", type: "exec", arguments: "echo out; echo err >&2" },
      {
        name: "after",
        type: "eval",
        arguments: "console.log('from eval')",
        dependencies: ["hello"],
      },
      { name: "bad", type: "exec", arguments: "exit 4" },
      { name: "never", type: "exec", arguments: "echo no", dependencies: ["bad"] },
    ],
  });
  const result = await runCli([file]);
  assert.equal(result.code, 1);
  const lines = result.stdout.split("\n");
  for (
    const expected of [
      "Started: hello",
      "[hello] out",
      "Ended : hello",
      "Started: after",
      "[after] from eval",
      "Ended : after",
      'Skipped: never (dependency "bad" failed)',
    ]
  ) {
    assert.ok(lines.includes(expected), `missing line ${JSON.stringify(expected)}`);
  }
  assert.ok(lines.indexOf("[hello] out") < lines.indexOf("Ended : hello"));
  assert.equal(result.stderr, "[hello] err\n");
  assert.match(result.stdout, /^bad +exec +failed +\d+ms +exit code 4$/m);
  assert.match(result.stdout, /^never +exec +skipped +- +dependency "bad" failed$/m);
  assert.match(result.stdout, /4 tasks: 2 ok, 1 failed, 1 skipped in .*; first failure: bad/);
  assert.ok(!result.stdout.includes("\x1b["), "no colour when not a terminal");
});

Deno.test("NDJSON output has only schema-valid events on stdout", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: "echo one; echo two >&2" },
      { name: "b", type: "eval", arguments: "throw new Error('nope')", dependencies: ["a"] },
      { name: "c", type: "exec", arguments: "true", dependencies: ["b"] },
      { name: "d", type: "exec", arguments: "kill -TERM $$" },
    ],
  });
  const result = await runCli([file, "--format", "ndjson"]);
  assert.equal(result.code, 1);
  const events = parseNdjson(result.stdout);
  const kinds = new Set(events.map((event) => event.event));
  assert.deepEqual(
    [...kinds].sort(),
    ["output", "run_ended", "run_started", "task_ended", "task_skipped", "task_started"],
  );
  assert.ok(events.some((e) => e.event === "output" && e.stream === "stderr" && e.text === "two"));
  const d = events.find((e) => e.event === "task_ended" && e.task === "d");
  assert.equal(d?.event === "task_ended" && d.signal, "SIGTERM");
  const b = events.find((e) => e.event === "task_ended" && e.task === "b");
  assert.equal(b?.event === "task_ended" && b.error, "Error: nope");
});

Deno.test("exit status is 0 when every task is ok", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  assert.equal((await runCli([file])).code, 0);
});

Deno.test("the task file can come from standard input, --input, and be JSONC", async () => {
  const jsonc = `{
    // a comment
    "tasks": [
      { "name": "a", "type": "exec", "arguments": "echo hi", }, /* trailing comma */
    ],
  }`;
  const viaStdin = await runCli(["-"], { stdin: jsonc });
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.match(viaStdin.stdout, /\[a\] hi/);
  const file = await writeTaskFile(jsonc, "tasks.jsonc");
  const viaInput = await runCli(["--input", file]);
  assert.equal(viaInput.code, 0, viaInput.stderr);
});

Deno.test("--schema validates against the user's schema", async () => {
  const schema = await writeTaskFile({
    type: "object",
    properties: {
      tasks: { type: "array", items: { properties: { type: { enum: ["exec"] } } } },
    },
  }, "schema.json");
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "eval", arguments: "1" }],
  });
  const result = await runCli([file, "--schema", schema]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /tasks\.json:1:\d+: task "a": "type" must be one of "exec", not "eval"/,
  );
  const original = new URL("../schema/tasks.schema.json", import.meta.url).pathname;
  assert.equal((await runCli([file, "--schema", original])).code, 0);
});

Deno.test("a --schema's const says the value it allows, on the one line naming file, position and task", async () => {
  const schema = await writeTaskFile({
    type: "object",
    properties: {
      tasks: { type: "array", items: { properties: { type: { const: "exec" } } } },
    },
  }, "schema.json");
  const file = await writeTaskFile({
    tasks: [{ name: "a", type: "eval", arguments: "1" }],
  });
  const result = await runCli(["validate", file, "--schema", schema]);
  assert.equal(
    result.stderr,
    `dagrun: ${file}:1:30: task "a": "type" must be "exec", not "eval"\n`,
  );
  assert.equal(result.code, 2);
});

Deno.test("30 independent sleep 1 tasks end together", async () => {
  const tasks = Array.from({ length: 30 }, (_, i) => ({
    name: `sleep${i}`,
    type: "exec",
    arguments: "sleep 1",
  }));
  const result = await runCli([await writeTaskFile({ tasks }), "--format", "ndjson"]);
  assert.equal(result.code, 0);
  const end = parseNdjson(result.stdout).at(-1)!;
  assert.ok(end.event === "run_ended" && end.durationMs < 2_000, `took ${JSON.stringify(end)}`);
});

Deno.test("-j caps the number of tasks running at once", async () => {
  const tasks = Array.from({ length: 6 }, (_, i) => ({
    name: `t${i}`,
    type: "exec",
    arguments: "sleep 0.2",
  }));
  const result = await runCli([await writeTaskFile({ tasks }), "-j", "2", "--format", "ndjson"]);
  let running = 0, peak = 0;
  for (const event of parseNdjson(result.stdout)) {
    if (event.event === "task_started") peak = Math.max(peak, ++running);
    if (event.event === "task_ended") running--;
  }
  assert.equal(peak, 2);
});

Deno.test("usage errors exit 2 with a hint", async (t) => {
  for (
    const [args, help] of [
      [["--no-such-option", "x.json"], "dagrun run --help"],
      [["-j", "0", "x.json"], "dagrun run --help"],
      [["-j", "two", "x.json"], "dagrun run --help"],
      [["--format", "xml", "x.json"], "dagrun run --help"],
      [[], "dagrun --help"],
    ] as const
  ) {
    await t.step(args.join(" ") || "(no arguments)", async () => {
      const result = await runCli(args);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^dagrun: .+\nTry '(.+)' for usage\.\n$/);
      assert.equal(/Try '(.+)'/.exec(result.stderr)![1], help);
      assert.equal(result.stdout, "");
    });
  }
});

Deno.test("a usage error's hint names the help of the command in use, whichever parser took it", async (t) => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  for (
    const [args, help] of [
      // An option the command does not take, a bad value, too many arguments: commander's.
      [["validate", file, "-j", "2"], "dagrun validate --help"],
      [["validate", file, "--format", "ndjson"], "dagrun validate --help"],
      [["validate", file, "extra"], "dagrun validate --help"],
      [["graph", file, "-j", "2"], "dagrun graph --help"],
      [["graph", file, "--format", "xml"], "dagrun graph --help"],
      [["graph", "--input", file, "extra"], "dagrun graph --help"],
      [["schema", "--bogus"], "dagrun schema --help"],
      [["schema", "extra"], "dagrun schema --help"],
      [["run", file, "--bogus"], "dagrun run --help"],
      [[file, "--bogus"], "dagrun run --help"],
      [[file, "-j", "0"], "dagrun run --help"],
      // Errors found once the options are parsed: by the fast parser's run, and by
      // commander's (`run` named, or the file given twice) alike.
      [[file, "--only", "zzz"], "dagrun run --help"],
      [["run", file, "--only", "zzz"], "dagrun run --help"],
      [[file, "--only", ","], "dagrun run --help"],
      [["validate", file, "--input", "other.json"], "dagrun validate --help"],
      [["graph", file, "--input", "other.json"], "dagrun graph --help"],
      // About the command line as a whole: the general help, which lists the commands.
      [["help", "bogus"], "dagrun --help"],
      [["valdate", file], "dagrun --help"],
    ] as const
  ) {
    await t.step(args.join(" "), async () => {
      const result = await runCli(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^dagrun: [^\n]+\nTry '[^']+' for usage\.\n$/);
      assert.equal(/Try '([^']+)'/.exec(result.stderr)![1], help, result.stderr);
      assert.equal(result.stdout, "");
    });
  }
});

Deno.test("every usage error about an option or its value is one line, worded alike", async (t) => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  const DURATION = 'expected a number of seconds or a duration such as "90s", "1m30s" or "500ms"';
  for (
    const [args, message] of [
      // commander's suggestion, on the line of the error it belongs to.
      [[file, "--color"], "Unknown option '--color' (did you mean --no-color?)"],
      [
        [file, "--retry", "1"],
        "Unknown option '--retry' (did you mean one of --report, --retries?)",
      ],
      [
        ["graph", file, "--fromreport", "r"],
        "Unknown option '--fromreport' (did you mean --from-report?)",
      ],
      // Given a value, the option's name alone is compared, the value left out, and the
      // suggestion is that name (as cargo's): commander compared `--formt=dot` whole, and
      // suggested nothing, or by the value (`--retry=1`: `--retries` alone).
      [[file, "--formt=dot"], "Unknown option '--formt=dot' (did you mean --format?)"],
      [["run", file, "--timout=5s"], "Unknown option '--timout=5s' (did you mean --timeout?)"],
      [
        [file, "--retry=1"],
        "Unknown option '--retry=1' (did you mean one of --report, --retries?)",
      ],
      [
        ["graph", file, "--formt=mermaid"],
        "Unknown option '--formt=mermaid' (did you mean --format?)",
      ],
      [[file, "--color="], "Unknown option '--color=' (did you mean --no-color?)"],
      [[file, "--zzzzzz=1"], "Unknown option '--zzzzzz=1'"],
      // A bad value: `Invalid OPTION: expected …, received '…'`, whoever refuses it.
      [[file, "-j", "0"], "Invalid concurrency: expected a positive integer, received '0'"],
      [[file, "--grace", "-1"], `Invalid grace: ${DURATION}, received '-1'`],
      [[file, "--grace", "1x"], `Invalid grace: ${DURATION}, received '1x'`],
      [[file, "--timeout=x"], `Invalid timeout: ${DURATION}, received 'x'`],
      [
        [file, "--grace", "1000h"],
        "Invalid grace: expected at most 596h31m23.647s (24.8 days), received '1000h'",
      ],
      [[file, "--timeout", "0"], "Invalid timeout: expected a duration > 0, received '0'"],
      [[file, "--format", "xml"], "Invalid format: expected human or ndjson, received 'xml'"],
      [
        [file, "--output", "foo"],
        "Invalid output: expected prefixed, grouped or interleaved, received 'foo'",
      ],
      [
        [file, "--eval-isolation", "x"],
        "Invalid eval-isolation: expected pooled or fresh, received 'x'",
      ],
      [
        ["graph", file, "--format", "xml"],
        "Invalid format: expected dot or mermaid, received 'xml'",
      ],
      // No value at all.
      [[file, "-j"], "Missing value for option '-j, --concurrency <n>'"],
      [[file, "--grace"], "Missing value for option '--grace <duration>'"],
      // A value given to a flag, as getopt_long refuses it, rather than "unknown option
      // '--no-history=x' (did you mean --no-history?)": every flag, whichever parser reads it.
      [[file, "--no-history=x"], "Option '--no-history' takes no value, received 'x'"],
      [["run", file, "--no-history=x"], "Option '--no-history' takes no value, received 'x'"],
      [[file, "--fail-fast=1"], "Option '--fail-fast' takes no value, received '1'"],
      [[file, "--dry-run=yes"], "Option '--dry-run' takes no value, received 'yes'"],
      [[file, "--no-color="], "Option '--no-color' takes no value, received ''"],
      [
        [file, "--output-errors-only=true"],
        "Option '--output-errors-only' takes no value, received 'true'",
      ],
      [[file, "--quiet=1"], "Option '--quiet' takes no value, received '1'"],
      [[file, "-q=1"], "Option '-q' takes no value, received '1'"],
      [[file, "--help=x"], "Option '--help' takes no value, received 'x'"],
      [["graph", file, "--help=x"], "Option '--help' takes no value, received 'x'"],
      [["validate", file, "--version=1"], "Option '--version' takes no value, received '1'"],
      // Not an option of the command: unknown, value and all.
      [["validate", file, "--no-history=x"], "Unknown option '--no-history=x'"],
    ] as const
  ) {
    await t.step(args.filter((arg) => arg !== file).join(" "), async () => {
      const result = await runCli(args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.split("\n")[0], `dagrun: ${message}`);
      assert.match(result.stderr, /^dagrun: [^\n]+\nTry '[^']+' for usage\.\n$/);
      assert.equal(result.stdout, "");
    });
  }
});

Deno.test("an operand too many is one line naming it, worded as dagrun's usage errors", async (t) => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  for (
    const [args, message] of [
      // Not commander's "too many arguments for 'validate'. Expected 1 argument but got 2: …".
      [
        ["validate", file, "b, c.json"],
        `Cannot take more than one task file: '${file}', then 'b, c.json'`,
      ],
      [["graph", file, "b", "c"], `Cannot take more than one task file: '${file}', then 'b'`],
      [["schema", "x", "y"], "Unexpected argument 'x': 'dagrun schema' takes no arguments"],
    ] as [string[], string][]
  ) {
    await t.step(args.filter((arg) => arg !== file).join(" "), async () => {
      const result = await runCli(args);
      assert.equal(
        result.stderr,
        `dagrun: ${message}\nTry 'dagrun ${args[0]} --help' for usage.\n`,
      );
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
    });
  }
});

Deno.test("every flag of every command refuses a value in one line, whichever parser reads it", async (t) => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  const commands = [["run", RUN_OPTIONS], ["graph", GRAPH_OPTIONS], ["validate", INPUT_OPTIONS]];
  for (const [command, options] of commands as [string, readonly OptionSpec[]][]) {
    const flags = options.filter((spec) => !spec.flags.includes("<"))
      .map((spec) => /--[\w-]+/.exec(spec.flags)![0]);
    // `dagrun FILE …` goes to the fast parser first, `dagrun run FILE …` straight to commander.
    const lines = [...flags, "--help"].flatMap((flag) => [
      [command, file, `${flag}=x`],
      ...(command === "run" ? [[file, `${flag}=x`]] : []),
    ]);
    for (const args of lines) {
      await t.step(args.filter((arg) => arg !== file).join(" "), async () => {
        const result = await runCli(args);
        const flag = args.at(-1)!.replace(/=x$/, "");
        assert.equal(
          result.stderr,
          `dagrun: Option '${flag}' takes no value, received 'x'\n` +
            `Try 'dagrun ${command} --help' for usage.\n`,
        );
        assert.equal(result.code, 2);
        assert.equal(result.stdout, "");
      });
    }
  }
});

Deno.test("--help and --version exit 0", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: dagrun/);
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

Deno.test("validate checks without running anything", async () => {
  const ok = await runCli(["validate", EXAMPLE]);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /9 tasks, valid/);
  const one = await writeTaskFile({ tasks: [{ name: "a", type: "exec", arguments: "true" }] });
  assert.match((await runCli(["validate", one])).stdout, /: 1 task, valid\n$/);
  const marker = await Deno.makeTempDir();
  const file = await writeTaskFile({
    tasks: [
      { name: "a", type: "exec", arguments: `touch ${marker}/ran` },
      { name: "b", type: "exec", arguments: "true", dependencies: ["c"] },
    ],
  });
  const bad = await runCli(["validate", file]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown dependency "c"/);
  const run = await runCli([file]);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  await assert.rejects(Deno.stat(`${marker}/ran`), "nothing may run when the file is invalid");
});

Deno.test("Ctrl-C ends the run with exit status 130 and a report", async () => {
  const file = await writeTaskFile({
    tasks: [
      { name: "long", type: "exec", arguments: "sleep 30" },
      { name: "after", type: "exec", arguments: "true", dependencies: ["long"] },
    ],
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL("../mod.ts", import.meta.url).pathname, file],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!stdout.includes("Started: long")) stdout += (await reader.read()).value ?? "";
  child.kill("SIGINT");
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    stdout += chunk.value;
  }
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 130);
  assert.match(stdout, /^long +exec +failed .*interrupted$/m);
  assert.match(stdout, /^after +exec +skipped +- +cancelled$/m);
});

Deno.test("validate refuses run-only options instead of ignoring them", async () => {
  for (const option of [["--format", "ndjson"], ["-j", "2"], ["--no-history"]]) {
    const result = await runCli(["validate", EXAMPLE, ...option]);
    assert.equal(result.code, 2, option.join(" "));
    assert.match(result.stderr, /^dagrun: Unknown option/);
  }
  const withSchema = await runCli([
    "validate",
    EXAMPLE,
    "--schema",
    new URL("../schema/tasks.schema.json", import.meta.url).pathname,
  ]);
  assert.equal(withSchema.code, 0, withSchema.stderr);
});

Deno.test("a bad --schema is one line naming the schema file; stdin that is a directory is one line too", async () => {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-schema-" });
  try {
    await Deno.writeTextFile(`${directory}/not-json.json`, "not json\n");
    await Deno.writeTextFile(`${directory}/bad-type.json`, '{ "type": "nosuch" }');
    const notJson = await runCli(["validate", EXAMPLE, "--schema", `${directory}/not-json.json`]);
    assert.equal(notJson.code, 2);
    assert.equal(
      notJson.stderr,
      `dagrun: ${directory}/not-json.json: invalid schema: Unexpected token 'o', "not json\\n" is not valid JSON\n`,
    );
    const badType = await runCli(["validate", EXAMPLE, "--schema", `${directory}/bad-type.json`]);
    assert.equal(badType.code, 2);
    assert.match(
      badType.stderr,
      new RegExp(
        `^dagrun: ${directory}/bad-type\\.json: cannot use the schema: schema is invalid: [^\\n]*\\n$`,
      ),
    );
    const stdin = await new Deno.Command("sh", {
      args: ["-c", `'${Deno.execPath()}' run -A --quiet '${MOD}' - < '${directory}'`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(stdin.code, 2);
    assert.equal(
      new TextDecoder().decode(stdin.stderr),
      "dagrun: <stdin>: cannot read task file: it is a directory\n",
    );
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("control characters in task names reach the terminal escaped, task output as it is", async () => {
  const name = "a\u001b[2Jb\u0007";
  const file = await writeTaskFile({
    tasks: [
      { name, type: "exec", arguments: "printf '\\033[1mbold\\033[0m\\n'; exit 1" },
      { name: "after", type: "exec", arguments: "true", dependencies: [name] },
    ],
  });
  const result = await runCli([file, "--no-history"]);
  assert.equal(result.code, 1);
  const escaped = "a\\u001b[2Jb\\u0007";
  for (
    const line of [
      `Started: ${escaped}`,
      `[${escaped}] \u001b[1mbold\u001b[0m`,
      `Skipped: after (dependency "${escaped}" failed)`,
    ]
  ) {
    assert.ok(
      result.stdout.includes(`${line}\n`),
      `missing ${JSON.stringify(line)} in:\n${result.stdout}`,
    );
  }
  assert.match(result.stdout, /first failure: a\\u001b\[2Jb\\u0007 \(exit code 1\)\n$/);
  // The only escape sequences left are the task's own.
  assert.equal(result.stdout.split("\u001b").length - 1, 2);
  assert.ok(!result.stdout.includes("\u0007"));
  // So too in the plan and the graphs.
  for (
    const args of [["--dry-run"], ["graph"], ["graph", "--format", "mermaid"]]
  ) {
    const shown = await runCli(
      args[0] === "graph" ? [...args.slice(0, 1), file, ...args.slice(1)] : [file, ...args],
    );
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /a\\+u001b\[2Jb\\+u0007/);
    // deno-lint-ignore no-control-regex
    assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(shown.stdout), JSON.stringify(shown.stdout));
  }
});

Deno.test("help for an unknown command is a usage error, help for a known one is its help", async () => {
  const unknown = await runCli(["help", "bogus"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "dagrun: Unknown command 'bogus'\nTry 'dagrun --help' for usage.\n");
  assert.equal((await runCli(["help", "help"])).code, 0);
  const known = await runCli(["help", "validate"]);
  assert.equal(known.code, 0);
  assert.match(known.stdout, /^Usage: dagrun validate/);
});

Deno.test("help takes one command: an operand after it is refused as other commands refuse one too many", async (t) => {
  for (
    const args of [["help", "schema", "x"], ["help", "run", "tasks.json"], ["help", "help", "x"]]
  ) {
    await t.step(args.join(" "), async () => {
      const result = await runCli(args);
      assert.equal(
        result.stderr,
        `dagrun: Unexpected argument '${args[2]}': 'dagrun help' takes one command\n` +
          "Try 'dagrun --help' for usage.\n",
      );
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
    });
  }
  // `--help`, like GNU's and git's, prints the help whatever else is on the line, after
  // `help` too (it was `Unknown command '--help'`).
  for (
    const [args, usage] of [
      [["schema", "--help", "x"], "Usage: dagrun schema"],
      [["help", "schema", "x", "--help"], "Usage: dagrun schema"],
      [["help", "run", "-h"], "Usage: dagrun run"],
      [["help", "--help"], "Usage: dagrun "],
    ] as const
  ) {
    await t.step(args.join(" "), async () => {
      const help = await runCli(args);
      assert.equal(help.code, 0, help.stderr);
      assert.ok(help.stdout.startsWith(usage), help.stdout);
      assert.equal(help.stderr, "");
    });
  }
});

Deno.test("a missing task file names the command it is missing from", async () => {
  for (
    const [args, usage] of [[[], "dagrun FILE"], [["validate"], "dagrun validate FILE"], [
      ["graph"],
      "dagrun graph FILE",
    ]] as const
  ) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2);
    // No arguments at all: the general help; a command named: its own.
    const help = args.length === 0 ? "dagrun --help" : `dagrun ${args[0]} --help`;
    assert.equal(
      stderr,
      `dagrun: Missing the task file: ${usage}\nTry '${help}' for usage.\n`,
    );
  }
});

Deno.test("a mistyped command is named, not taken for a missing task file; a file of that name runs", async () => {
  await inTempDir({}, async (dir) => {
    const mistyped = await runCli(["valdate", "tasks.json"], { cwd: dir });
    assert.equal(mistyped.code, 2);
    assert.equal(
      mistyped.stderr,
      'dagrun: No task file "valdate" (did you mean the command "validate"?)\n' +
        "Try 'dagrun --help' for usage.\n",
    );
    await Deno.writeTextFile(`${dir}/grahp`, ONE_TASK);
    const file = await runCli(["grahp", "--no-history", "-q"], { cwd: dir });
    assert.equal(file.code, 0, file.stderr);
    // A name close to no command keeps the plain message.
    const plain = await runCli(["tasks"], { cwd: dir });
    assert.equal(plain.stderr, "dagrun: tasks: cannot read task file: no such file or directory\n");
  });
});

Deno.test("an empty path to a file to read is a usage error naming its option, as --report's is", async () => {
  await inTempDir({ "tasks.json": JSON.stringify({ tasks: [] }) }, async (dir) => {
    for (
      const [args, option, command] of [
        [[""], "The task file", "run"],
        [["validate", ""], "The task file", "validate"],
        [["--input", ""], "--input", "run"],
        [["tasks.json", "--schema", ""], "--schema", "run"],
        [["tasks.json", "--resume", ""], "--resume", "run"],
        [["tasks.json", "--dry-run", "--from-report", ""], "--from-report", "run"],
        [["graph", "tasks.json", "--from-report", ""], "--from-report", "graph"],
      ] as const
    ) {
      const result = await runCli([...args], { cwd: dir });
      assert.equal(result.code, 2, args.join(" "));
      // The hint is the help of the command in use.
      assert.equal(
        result.stderr,
        `dagrun: ${option} needs a file name, and "" is none\n` +
          `Try 'dagrun ${command} --help' for usage.\n`,
      );
    }
  });
});

Deno.test("a command after an option is named as out of place, not as itself mistyped", async () => {
  await inTempDir({}, async (dir) => {
    for (const command of ["validate", "run"]) {
      const late = await runCli(["-q", command, "tasks.json"], { cwd: dir });
      assert.equal(late.code, 2);
      assert.equal(
        late.stderr,
        `dagrun: No task file "${command}": the command "${command}" must come first, ` +
          `before any option ('dagrun ${command} ...')\n` +
          "Try 'dagrun --help' for usage.\n",
      );
    }
  });
});

Deno.test("after a command named first, a missing file named as a command is a missing file", async () => {
  await inTempDir({}, async (dir) => {
    for (
      const args of [
        ["run", "run"],
        ["run", "validate"],
        ["run", "valdate"],
        ["run", "-q", "graph"],
        ["--", "run", "run"],
        ["validate", "validate"],
        ["validate", "run"],
        ["graph", "graph"],
        ["graph", "schema"],
      ]
    ) {
      const result = await runCli(args, { cwd: dir });
      assert.equal(result.code, 2, args.join(" "));
      assert.equal(
        result.stderr,
        `dagrun: ${args.at(-1)}: cannot read task file: no such file or directory\n`,
        args.join(" "),
      );
    }
    // Not named, it is still a command out of place, or mistyped.
    const late = await runCli(["-q", "run"], { cwd: dir });
    assert.match(late.stderr, /the command "run" must come first/);
  });
});

Deno.test("with --input, a task file given again as an operand is named as such, not only as an unknown task", async () => {
  await inTempDir({ "a.json": ONE_TASK, Makefile: "all:\n" }, async (dir) => {
    for (
      const [args, name] of [
        [["s.json", "--input", "a.json"], "s.json"],
        [["--input", "a.json", "a", "other.JSONC"], "other.JSONC"],
        [["--input=a.json", "Makefile"], "Makefile"],
        [["--input", "a.json", "-"], "-"],
      ] as const
    ) {
      const result = await runCli([...args, "--no-history"], { cwd: dir });
      assert.equal(result.code, 2, args.join(" "));
      assert.equal(
        result.stderr,
        `dagrun: Unknown task "${name}": with --input naming the task file ("a.json"), every ` +
          "other argument is a task name; give the task file once, as FILE or with --input\n" +
          "Try 'dagrun run --help' for usage.\n",
      );
    }
    // A name that is neither a task nor a file keeps the plain message; the same file twice
    // is one file.
    const plain = await runCli(["--input", "a.json", "b"], { cwd: dir });
    assert.equal(plain.stderr, "dagrun: Unknown task \"b\"\nTry 'dagrun run --help' for usage.\n");
    const twice = await runCli(["a.json", "--input", "a.json", "-q", "--no-history"], { cwd: dir });
    assert.equal(twice.code, 0, twice.stderr);
  });
});

Deno.test("a quoted cwd and its path in one message are each escaped once, never twice", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    for (
      const [cwd, quoted, path] of [
        // Nothing to escape in the path: shown as it is; the quoted value in JSON syntax.
        ["x\\y", '"x\\\\y"', "x\\y"],
        // A control character in the path: escaped, and the quoted value not escaped again.
        ["x\\y\u0007", '"x\\\\y\\u0007"', "x\\\\y\\u0007"],
        // A character that reorders the line: JSON leaves it, the quote escapes it all the same.
        ["x\\y\u202e", '"x\\\\y\\u202e"', "x\\\\y\\u202e"],
        // A noncharacter past the first plane, two code units: escaped whole, once.
        ["x\\y\u{1fffe}", '"x\\\\y\\ud83f\\udffe"', "x\\\\y\\ud83f\\udffe"],
      ]
    ) {
      await Deno.writeTextFile(
        `${dir}/tasks.json`,
        JSON.stringify({ tasks: [{ name: "a\\b", type: "exec", arguments: "true", cwd }] }),
      );
      const result = await runCli(["tasks.json"], { cwd: dir });
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr,
        `dagrun: tasks.json:1:65: task "a\\\\b": "cwd" ${quoted}: working directory ${dir}/${path} does not exist\n`,
        JSON.stringify(cwd),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an option naming one file, given twice with two paths, is a usage error, not the last one silently", async () => {
  await inTempDir({ "a.json": ONE_TASK, "b.json": ONE_TASK }, async (dir) => {
    for (
      const [args, option, command] of [
        [["--input", "a.json", "--input=b.json"], "--input", "run"],
        [["validate", "--input", "a.json", "--input", "b.json"], "--input", "validate"],
        [["a.json", "--report", "r1", "--report", "r2"], "--report", "run"],
        [["a.json", "--trace", "t1", "--trace", "t2"], "--trace", "run"],
      ] as const
    ) {
      // validate takes no --no-history; a run keeps no history in the test's directory.
      const history = command === "run" ? ["--no-history"] : [];
      const result = await runCli([...args, ...history], { cwd: dir });
      assert.equal(result.code, 2, args.join(" "));
      const [first, second] = args.flatMap((arg, i) =>
        arg === option
          ? [args[i + 1]!]
          : arg.startsWith(`${option}=`)
          ? [arg.slice(option.length + 1)]
          : []
      );
      assert.equal(
        result.stderr,
        `dagrun: Cannot take ${option} twice: '${first}', then '${second}'\n` +
          `Try 'dagrun ${command} --help' for usage.\n`,
      );
    }
    // Nothing was written for the report options refused.
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name).sort(), [
      "a.json",
      "b.json",
    ]);
    // The same path twice is one file.
    const same = await runCli(["--input", "a.json", "--input", "a.json", "-q", "--no-history"], {
      cwd: dir,
    });
    assert.equal(same.code, 0, same.stderr);
  });
});

Deno.test({
  name:
    "a link to a bundle whose checkout lacks a module says which, once looked for beyond the link",
  ignore: Deno.build.os === "windows",
  async fn() {
    // The checkout below the link's root (`~/bin/dagrun.js` to `~/dagrun/dist/dagrun.js`):
    // the module looked for beyond the link was looked for beyond it again, endlessly, until
    // an internal error named a path of thousands of characters. Built here from the sources,
    // the bundle has nothing beside it.
    const dir = await Deno.realPath(await Deno.makeTempDir());
    try {
      await Deno.mkdir(`${dir}/bin`);
      await Deno.mkdir(`${dir}/dagrun/dist`, { recursive: true });
      await Deno.writeTextFile(`${dir}/dagrun/dist/dagrun.js`, await bundle());
      await Deno.symlink(`${dir}/dagrun/dist/dagrun.js`, `${dir}/bin/dagrun.js`);
      // JSONC: jsonc-parser is loaded late.
      await Deno.writeTextFile(`${dir}/tasks.jsonc`, '{ // c\n"tasks": [] }');
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", `${dir}/bin/dagrun.js`, "tasks.jsonc", "--no-history"],
        cwd: dir,
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      assert.equal(output.code, 2);
      assert.equal(
        new TextDecoder().decode(output.stderr),
        `dagrun: ${dir}/dagrun/src/deps/jsonc.ts: cannot load dagrun's module: no such module ` +
          "(dist/dagrun.js loads it from its own checkout: run the bundle there, by its path or " +
          "URL, or the sources' mod.ts, not a copy)\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
