import assert from "node:assert/strict";
import { parseTaskFile } from "../src/load.ts";
import { DURATION_PATTERN, MAX_DURATION_MS, parseDuration } from "../src/duration.ts";
import tasksSchema from "../schema/tasks.schema.json" with { type: "json" };
import { TaskFileError } from "../src/errors.ts";
import { run } from "../src/run.ts";

/** Parses a document given as an object, with relative paths resolving against `baseDir`. */
function parse(document: unknown, options: Parameters<typeof parseTaskFile>[1] = {}) {
  return parseTaskFile(JSON.stringify(document, null, 2), { file: "tasks.json", ...options });
}

/** The message of the TaskFileError that parsing throws. */
function parseError(document: unknown, options: Parameters<typeof parseTaskFile>[1] = {}) {
  try {
    parse(document, options);
  } catch (error) {
    assert.ok(error instanceof TaskFileError, String(error));
    return error.message;
  }
  assert.fail("expected a TaskFileError");
}

const t = (fields: Record<string, unknown> = {}) => ({
  name: "build",
  type: "exec",
  arguments: "make",
  ...fields,
});

Deno.test("parseDuration() reads seconds and duration strings", () => {
  assert.equal(parseDuration(90), 90_000);
  assert.equal(parseDuration(0.25), 250);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("1.5s"), 1_500);
  assert.throws(() => parseDuration("90"), /duration such as "90s"/);
  // A bare zero needs no unit (as in Go); "00" and "0.0" are still malformed.
  assert.equal(parseDuration("0"), 0);
  assert.throws(() => parseDuration("00"), /duration such as "90s"/);
  assert.throws(() => parseDuration("0.0"), /duration such as "90s"/);
  assert.throws(() => parseDuration("1m 30s"), RangeError);
  assert.throws(() => parseDuration(-1), RangeError);
  assert.throws(() => parseDuration("600h"), /at most 596h/);
});

Deno.test("the longest duration a message names is the longest one taken, to the millisecond", () => {
  // Said as "596h" while "596h30m" was taken, the limit was contradicted by what passed.
  let message = "";
  try {
    parseDuration("600h");
  } catch (error) {
    message = (error as Error).message;
  }
  const limit = /at most (\S+) /.exec(message)?.[1] ?? "";
  assert.equal(parseDuration(limit), MAX_DURATION_MS);
  assert.throws(() => parseDuration(`${limit.slice(0, -4)}648s`), RangeError);
});

Deno.test("the schema's duration fields have parseDuration()'s pattern, which its messages recognise", () => {
  // The messages of schema_validation.ts know a duration by this pattern: a schema written
  // otherwise would say "must match /…/" where it says "must be a duration such as …".
  const { timeout, retryDelay } = tasksSchema.definitions;
  assert.deepEqual([timeout.pattern, retryDelay.pattern], [DURATION_PATTERN, DURATION_PATTERN]);
});

Deno.test("parseTaskFile() leaves a task of the original schema without options", () => {
  const file = parse({ tasks: [t()] });
  assert.deepEqual(file.tasks[0], {
    name: "build",
    type: "exec",
    arguments: "make",
    dependencies: [],
  });
  assert.equal(file.concurrency, undefined);
});

Deno.test("parseTaskFile() reads every task option", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/web`);
  const file = parse({
    concurrency: 3,
    tasks: [t({
      timeout: "1m30s",
      retries: 2,
      retryDelay: 0.5,
      env: { NODE_ENV: "production" },
      cwd: "web",
      allowFailure: true,
    })],
  }, { baseDir: dir });
  assert.deepEqual(file.tasks[0], {
    name: "build",
    type: "exec",
    arguments: "make",
    dependencies: [],
    timeoutMs: 90_000,
    retries: 2,
    retryDelayMs: 500,
    env: { NODE_ENV: "production" },
    cwd: `${dir}/web`,
    allowFailure: true,
  });
  assert.equal(file.concurrency, 3);
});

Deno.test("parseTaskFile() applies defaults, lets a task's own value win and merges env", () => {
  const file = parse({
    defaults: { timeout: 10, retries: 1, env: { A: "default", B: "default" }, allowFailure: true },
    tasks: [
      t({ name: "plain" }),
      t({
        name: "own",
        timeout: "2s",
        retries: 0,
        env: { B: "own", C: "own" },
        allowFailure: false,
      }),
    ],
  });
  const [plain, own] = file.tasks;
  assert.equal(plain!.timeoutMs, 10_000);
  assert.equal(plain!.retries, 1);
  assert.equal(plain!.allowFailure, true);
  assert.deepEqual(plain!.env, { A: "default", B: "default" });
  assert.equal(own!.timeoutMs, 2_000);
  assert.equal(own!.retries, 0);
  assert.equal(own!.allowFailure, false);
  assert.deepEqual(own!.env, { A: "default", B: "own", C: "own" });
});

Deno.test("parseTaskFile() overrides replace the file's defaults but not a task's own value", () => {
  const file = parse({
    defaults: { timeout: 10, retries: 1 },
    tasks: [t({ name: "plain" }), t({ name: "own", timeout: 60, retries: 5 })],
  }, { overrides: { timeoutMs: 3_000, retries: 2 } });
  assert.equal(file.tasks[0]!.timeoutMs, 3_000);
  assert.equal(file.tasks[0]!.retries, 2);
  assert.equal(file.tasks[1]!.timeoutMs, 60_000);
  assert.equal(file.tasks[1]!.retries, 5);
});

Deno.test("parseTaskFile() resolves a default cwd against the task file's directory", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/sub`);
  const file = parse({ defaults: { cwd: "sub" }, tasks: [t()] }, { baseDir: dir });
  assert.equal(file.tasks[0]!.cwd, `${dir}/sub`);
});

Deno.test("parseTaskFile() refuses bad task options with the place and the field", async (t2) => {
  const cases: [string, unknown, RegExp][] = [
    [
      "a malformed duration",
      { tasks: [t({ timeout: "5 minutes" })] },
      /^tasks\.json:7:18: task "build": "timeout" must be a number of seconds or a duration such as "90s", "1m30s" or "500ms", not "5 minutes"$/,
    ],
    // Zero however written is refused as the number 0 is.
    ["a zero timeout string", { tasks: [t({ timeout: "0s" })] }, /"timeout" must be > 0$/],
    ["a bare zero timeout string", { tasks: [t({ timeout: "0" })] }, /"timeout" must be > 0$/],
    ["a zero timeout in ms", { tasks: [t({ timeout: "0ms" })] }, /"timeout" must be > 0$/],
    [
      "a zero default timeout",
      { defaults: { timeout: "0" }, tasks: [t()] },
      /^tasks\.json:3:16: "defaults\.timeout" must be > 0$/,
    ],
    [
      "a timeout that rounds to no millisecond",
      { tasks: [t({ timeout: 0.0001 })] },
      /"timeout" must be at least 1ms/,
    ],
    ["a zero timeout number", { tasks: [t({ timeout: 0 })] }, /"timeout" must be > 0/],
    [
      "a boolean timeout",
      { tasks: [t({ timeout: true })] },
      /"timeout" must be a number or a string/,
    ],
    ["a huge timeout", { tasks: [t({ timeout: "1000h" })] }, /"timeout" must be at most 596h/],
    ["negative retries", { tasks: [t({ retries: -1 })] }, /task "build": "retries" must be >= 0/],
    ["fractional retries", { tasks: [t({ retries: 1.5 })] }, /"retries" must be an integer/],
    [
      "a bad retryDelay",
      { tasks: [t({ retryDelay: "soon" })] },
      /"retryDelay" must be a number of seconds/,
    ],
    [
      "an env value not a string",
      { tasks: [t({ env: { N: 1 } })] },
      /"env\.N" must be a string, not a number \(1\)/,
    ],
    [
      "an env name with '='",
      { tasks: [t({ env: { "A=B": "x" } })] },
      /"env" has an invalid variable name "A=B"/,
    ],
    [
      "a missing cwd",
      { tasks: [t({ cwd: "nowhere" })] },
      // Worded as a task that finds its directory gone when it starts is.
      /:7:14: task "build": "cwd" "nowhere": working directory \/.*\/nowhere does not exist$/,
    ],
    [
      "a cwd that is a file",
      { tasks: [t({ cwd: "tasks.json" })] },
      /"cwd" "tasks\.json": working directory \/.*\/tasks\.json is not a directory$/,
    ],
    [
      // The file on the way is named, as cd names it, not the path as if only its end were
      // missing.
      "a cwd under a file",
      { tasks: [t({ cwd: "tasks.json/sub/x" })] },
      /"cwd" "tasks\.json\/sub\/x": working directory (\/.*)\/tasks\.json\/sub\/x does not exist: \1\/tasks\.json is not a directory$/,
    ],
    [
      "a cwd that is a link to itself",
      { tasks: [t({ cwd: "loop" })] },
      // The OS's reason worded as every other: not Deno's "(os error 40): stat '/…/loop'".
      /"cwd" "loop": working directory \/.*\/loop cannot be used: too many levels of symbolic links$/,
    ],
    [
      "a non-boolean allowFailure",
      { tasks: [t({ allowFailure: "yes" })] },
      /"allowFailure" must be a boolean/,
    ],
    [
      "a bad default",
      { defaults: { timeout: "x" }, tasks: [t()] },
      /^tasks\.json:3:16: "defaults\.timeout" must be a number of seconds/,
    ],
    [
      "a missing default cwd",
      { defaults: { cwd: "nowhere" }, tasks: [t()] },
      /"defaults\.cwd" "nowhere": working directory \/.*\/nowhere does not exist$/,
    ],
    ["zero concurrency", { concurrency: 0, tasks: [t()] }, /"concurrency" must be >= 1/],
  ];
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/tasks.json`, "{}");
  Deno.symlinkSync("loop", `${dir}/loop`);
  for (const [what, document, expected] of cases) {
    await t2.step(what, () => assert.match(parseError(document, { baseDir: dir }), expected));
  }
});

Deno.test("run() keeps timeoutMs and retryDelayMs given to the library", async () => {
  const report = await run([
    { name: "slow", type: "exec", arguments: "sleep 10", timeoutMs: 200 },
  ]);
  assert.equal(report.tasks[0]!.error, "timed out after 0.2s");
});

Deno.test('parseTaskFile() takes a retryDelay of "0" as the number 0 is taken', () => {
  for (const retryDelay of [0, "0", "0s"]) {
    const file = parse({ defaults: { retryDelay }, tasks: [t({ retryDelay })] });
    assert.equal(file.tasks[0]!.retryDelayMs, 0, JSON.stringify(retryDelay));
  }
});

Deno.test({
  name: "an env variable longer than Linux takes (MAX_ARG_STRLEN) is refused at load, not at run",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // The kernel's limit, found with sh itself: NAME=value and its NUL in 131,072 bytes.
    const longest = "x".repeat(131_072 - 1 - "HUGE=".length);
    const shell = (value: string) =>
      new Deno.Command("sh", {
        args: ["-c", 'printf %s "$HUGE" | wc -c'],
        env: { HUGE: value },
        stdout: "piped",
      });
    const fits = await shell(longest).output();
    assert.equal(new TextDecoder().decode(fits.stdout).trim(), String(longest.length));
    assert.throws(() => shell(`${longest}x`).spawn(), /os error 7/);

    // The longest runs (through the file's load and dagrun's own spawn)...
    const file = parse({
      defaults: { env: { HUGE: longest } },
      tasks: [t({ env: { HUGE: longest } })],
    });
    const report = await run([
      { ...file.tasks[0]!, arguments: "test ${#HUGE} = 131066", dependencies: [] },
    ]);
    assert.equal(report.tasks[0]!.status, "ok", report.tasks[0]!.error);
    // ...one byte more is refused with its place, in a task's env and in the defaults'.
    assert.match(
      parseError({ tasks: [t({ env: { HUGE: `${longest}x` } })] }),
      /^tasks\.json:8:\d+: task "build": "env" variable "HUGE" is too long: name=value is 131,072 bytes, more than Linux takes for one \(131,071 bytes; 128 KiB with its NUL\)$/,
    );
    assert.match(
      parseError({ defaults: { env: { HUGE: `${longest}x` } }, tasks: [t()] }),
      /^tasks\.json:4:\d+: "defaults\.env" variable "HUGE" is too long: name=value is 131,072 bytes/,
    );
    // Counted in UTF-8 bytes, the name included: 2-byte characters reach it at half the length.
    assert.match(
      parseError({ tasks: [t({ env: { HUGE: "é".repeat(65_534) } })] }),
      /"env" variable "HUGE" is too long: name=value is 131,073 bytes/,
    );
  },
});

Deno.test("a task whose cwd an earlier task replaced with a file names that file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/build/out`, { recursive: true });
    const file = parse({
      tasks: [
        { name: "clean", type: "exec", arguments: "rm -r build && touch build", cwd: "." },
        t({ cwd: "build/out", dependencies: ["clean"] }),
      ],
    }, { baseDir: dir });
    const report = await run(file);
    assert.equal(
      report.tasks[1]!.error,
      `cannot start: working directory ${dir}/build/out does not exist: ${dir}/build is not a directory`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
