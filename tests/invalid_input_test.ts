import assert from "node:assert/strict";
import { type CliResult, runCli } from "./helpers.ts";
import { runCommand } from "./plugin_helpers.ts";
import { allowedToReadOnly, runAllowed } from "./terminal_helpers.ts";

const CORPUS = new URL("./fixtures/invalid/", import.meta.url);

/**
 * What every bad input must give: exit 2, exactly one line on stderr — the expected one —
 * and nothing run.
 */
function assertRejected(result: CliResult, expected: string | RegExp): void {
  assert.equal(result.code, 2, `exit code ${result.code}; stderr:\n${result.stderr}`);
  assert.equal(result.stdout, "", "nothing on stdout: no task started");
  const lines = result.stderr.split("\n");
  assert.equal(lines.length, 2, `one line on stderr, got:\n${result.stderr}`);
  assert.equal(lines[1], "");
  if (typeof expected === "string") assert.equal(lines[0], expected);
  else assert.match(lines[0]!, expected);
}

/** Runs the CLI on many files, two at a time: the machine has two cores. */
async function runAll(paths: string[]): Promise<CliResult[]> {
  const results: CliResult[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const index = next++;
      results[index] = await runCli([paths[index]!]);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

Deno.test("dagrun rejects every file of the bad-input corpus with its one-line message", async (t) => {
  const names = [...Deno.readDirSync(CORPUS)]
    // Not a history file left by running a case by hand.
    .filter((entry) => entry.name.endsWith(".json") && !entry.name.startsWith("."))
    .map((entry) => entry.name.slice(0, -".json".length))
    .sort();
  assert.ok(names.length >= 25, `only ${names.length} cases found`);
  const paths = names.map((name) => new URL(`${name}.json`, CORPUS).pathname);
  const results = await runAll(paths);
  for (let i = 0; i < names.length; i++) {
    await t.step(names[i]!, async () => {
      const expected = (await Deno.readTextFile(new URL(`${names[i]}.expected`, CORPUS)))
        .trimEnd().replace("{FILE}", paths[i]!);
      assertRejected(results[i]!, expected);
    });
  }
});

Deno.test("dagrun rejects generated bad inputs: huge, deep, long cycles, unreadable", async (t) => {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-invalid-" });
  const write = async (name: string, text: string) => {
    const path = `${directory}/${name}`;
    await Deno.writeTextFile(path, text);
    return path;
  };
  const task = (name: string, dependencies: string[]) => ({
    name,
    type: "exec",
    arguments: "echo ran",
    dependencies,
  });

  await t.step("a 50 MB file with a bad dependency at its end", async () => {
    const big = "x".repeat(50_000_000);
    const path = await write(
      "big.json",
      `{\n  "tasks": [\n    { "name": "big", "type": "exec", "arguments": "echo ${big}" },\n` +
        `    { "name": "bad", "type": "exec", "arguments": "true", "dependencies": ["nope"] }\n` +
        `  ]\n}\n`,
    );
    assertRejected(
      await runCli([path]),
      `dagrun: ${path}:4:76: task "bad": unknown dependency "nope"`,
    );
  });

  await t.step("nesting 10,000 deep", async () => {
    const path = await write(
      "deep.json",
      `{"tasks": [${"[".repeat(10_000)}${"]".repeat(10_000)}]}`,
    );
    assertRejected(await runCli([path]), `dagrun: ${path}:1:1010: nesting deeper than 1000 levels`);
  });

  await t.step("a cycle through 1,000 tasks", async () => {
    const tasks = Array.from({ length: 1_000 }, (_, i) => task(`t${i}`, [`t${(i + 1) % 1_000}`]));
    const path = await write("cycle.json", JSON.stringify({ tasks }, null, 1));
    assertRejected(
      await runCli([path]),
      `dagrun: ${path}:7:20: task "t0": dependency cycle of 1000 tasks: ` +
        "t0 -> t1 -> t2 -> t3 -> t4 -> (990 more) -> t995 -> t996 -> t997 -> t998 -> t999 -> t0",
    );
  });

  await t.step("a 5 MB name, shown by its ends", async () => {
    const name = `${"a".repeat(2_500_000)}${"z".repeat(2_500_000)}`;
    const path = await write("long-name.json", JSON.stringify({ tasks: [task(name, ["nope"])] }));
    const shown = `"${"a".repeat(100)}"…(5000000 characters)…"${"z".repeat(100)}"`;
    assertRejected(
      await runCli([path]),
      `dagrun: ${path}:1:5000075: task ${shown}: unknown dependency "nope"`,
    );
  });

  await t.step("a file too long to decode, refused at its size, not as invalid UTF-8", async () => {
    // Sparse: 600 MiB of zeros that take no room; it is refused before a byte is read.
    const path = `${directory}/huge.ndjson`;
    const file = await Deno.create(path);
    await file.truncate(600 * 1024 * 1024);
    file.close();
    const tooLong = "it is 600 MiB, more than a file read whole can be (512 MiB)";
    assertRejected(await runCli([path]), `dagrun: ${path}: cannot read task file: ${tooLong}`);
    const tasks = await write("small.json", JSON.stringify({ tasks: [task("a", [])] }));
    assertRejected(
      await runCli([tasks, "--resume", path]),
      `dagrun: ${path}: cannot read report: ${tooLong}`,
    );
    await Deno.remove(path);
  });

  await t.step("a file a few bytes past the limit: its size and the limit in bytes", async () => {
    // 2²⁹ bytes, 24 more than the limit: both round to 512 MiB, which would read as a
    // contradiction ("it is 512 MiB, more than … (512 MiB)"). Sparse, as above.
    const path = `${directory}/just-too-long.json`;
    const file = await Deno.create(path);
    await file.truncate(2 ** 29);
    file.close();
    assertRejected(
      await runCli([path]),
      `dagrun: ${path}: cannot read task file: it is 536,870,912 bytes, ` +
        "more than a file read whole can be (536,870,888 bytes)",
    );
    await Deno.remove(path);
  });

  await t.step("a path that does not exist", async () => {
    const path = `${directory}/missing.json`;
    assertRejected(
      await runCli([path]),
      `dagrun: ${path}: cannot read task file: no such file or directory`,
    );
  });

  await t.step("a directory", async () => {
    assertRejected(
      await runCli([directory]),
      `dagrun: ${directory}: cannot read task file: it is a directory`,
    );
  });

  await t.step({
    name: "a file without read permission",
    // Root reads any file whatever its mode, so the case cannot arise as root.
    ignore: Deno.uid() === 0,
    fn: async () => {
      const path = await write("secret.json", JSON.stringify({ tasks: [task("a", [])] }));
      await Deno.chmod(path, 0o200);
      assertRejected(
        await runCli([path]),
        `dagrun: ${path}: cannot read task file: permission denied`,
      );
    },
  });

  await t.step("a file Deno is not allowed to read, in the words of any other read", async () => {
    // Without -A: the checkout and the task file may be read, nothing else of the directory.
    const tasks = await write("allowed.json", JSON.stringify({ tasks: [task("a", [])] }));
    const other = await write("other.json", "{}");
    const run = (args: string[]) =>
      runCommand(Deno.execPath(), runAllowed(allowedToReadOnly(tasks), "--no-history", ...args));
    // Deno's words were "Requires read access to "…", run again with the --allow-read flag".
    const refused = "no permission to read it (--allow-read)";
    assertRejected(await run([other]), `dagrun: ${other}: cannot read task file: ${refused}`);
    assertRejected(
      await run([tasks, "--resume", other]),
      `dagrun: ${other}: cannot read report: ${refused}`,
    );
    assertRejected(
      await run([tasks, "--schema", other]),
      `dagrun: ${other}: cannot read schema: ${refused}`,
    );
  });

  await t.step("a run not allowed to read dagrun's own late modules says so", async () => {
    // `--allow-read=tasks.jsonc` alone: what dagrun imports when needed (jsonc-parser for a
    // comment, commander's program for `validate`) is refused by Deno — not dagrun's bug.
    const tasks = await write("allowed.jsonc", '{"tasks": [] // none\n}');
    const root = new URL("../", import.meta.url).pathname;
    const run = (args: string[]) =>
      runCommand(Deno.execPath(), [
        "run",
        "--quiet",
        `--allow-read=${tasks}`,
        "--allow-run",
        `${root}mod.ts`,
        ...args,
      ]);
    const refused = "cannot load dagrun's module: no permission to read it (--allow-read)";
    assertRejected(
      await run([tasks, "--no-history"]),
      `dagrun: ${root}src/deps/jsonc.ts: ${refused}`,
    );
    assertRejected(
      await run(["validate", tasks]),
      `dagrun: ${root}src/cli_program.ts: ${refused}`,
    );
  });

  await Deno.remove(directory, { recursive: true });
});

Deno.test("a path holding a newline or an escape sequence stays on one line, escaped", async () => {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-path-" });
  const evil = `${directory}/evil\n\x1b[2J.json`;
  await Deno.writeTextFile(
    evil,
    '{"tasks": [{"name": "a", "type": "exec", "arguments": "true", "dependencies": ["zz"]}]}',
  );
  const escaped = `${directory}/evil\\u000a\\u001b[2J.json`;
  assertRejected(
    await runCli([evil]),
    `dagrun: ${escaped}:1:80: task "a": unknown dependency "zz"`,
  );
  assertRejected(
    await runCli([`${directory}/missing\n\x1b[31m.json`]),
    `dagrun: ${directory}/missing\\u000a\\u001b[31m.json: cannot read task file: no such file or directory`,
  );
  await Deno.remove(directory, { recursive: true });
});
