import assert from "node:assert/strict";
import { parseNameList, selectTasks } from "../src/subset.ts";
import { UsageError } from "../src/errors.ts";
import type { TaskSpec } from "../src/types.ts";
import { graph, runCli, writeTaskFile } from "./helpers.ts";

Deno.test("selectTasks() keeps the named tasks and their transitive dependencies, in file order", () => {
  const tasks = graph({ a: [], b: ["a"], c: ["b"], d: ["a"], e: [], f: ["c", "e"] });
  assert.deepEqual(selectTasks(tasks, ["c"]).map((t) => t.name), ["a", "b", "c"]);
  assert.deepEqual(selectTasks(tasks, ["d", "e"]).map((t) => t.name), ["a", "d", "e"]);
  assert.deepEqual(selectTasks(tasks, ["f", "c"]).map((t) => t.name), ["a", "b", "c", "e", "f"]);
});

Deno.test("selectTasks() walks a 100,000-task chain without overflowing", () => {
  const tasks = Array.from({ length: 100_000 }, (_, i): TaskSpec => ({
    name: `t${i}`,
    type: "exec",
    arguments: "",
    dependencies: i === 0 ? [] : [`t${i - 1}`],
  }));
  assert.equal(selectTasks(tasks, ["t99999"]).length, 100_000);
});

Deno.test("selectTasks() names every unknown task with a close match", () => {
  const tasks = graph({ build: [], test: ["build"] });
  assert.throws(() => selectTasks(tasks, ["tets", "zzzzzzzz"]), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.message, 'Unknown tasks "tets" (did you mean "test"?), "zzzzzzzz"');
    return true;
  });
});

Deno.test("selectTasks() suggests no name that shares nothing with the unknown one", () => {
  // "zz" is two edits from "a" and from "ab", within the two any name may need: replacing
  // every character is not a typo.
  const tasks = graph({ a: [], ab: [], test: ["a"] });
  for (
    const [unknown, message] of [
      ["zz", 'Unknown task "zz"'],
      ["b", 'Unknown task "b"'],
      ["xy", 'Unknown task "xy"'],
      ["ba", 'Unknown task "ba" (did you mean "a"?)'],
      ["tst", 'Unknown task "tst" (did you mean "test"?)'],
    ]
  ) {
    assert.throws(() => selectTasks(tasks, [unknown!]), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, message);
      return true;
    });
  }
});

Deno.test("selectTasks() names an unknown task once, however often it is given", () => {
  // `dagrun FILE tets tets --only tets`: one name to fix, said once.
  const tasks = graph({ build: [], test: ["build"] });
  assert.throws(
    () => selectTasks(tasks, ["tets", "zz", "tets", "tets", "zz"]),
    (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, 'Unknown tasks "tets" (did you mean "test"?), "zz"');
      return true;
    },
  );
  assert.throws(() => selectTasks(tasks, ["tets", "tets"]), /^UsageError: Unknown task "tets"/);
});

Deno.test("parseNameList() splits repeated and comma-separated values, keeping spaces", () => {
  assert.deepEqual(parseNameList(["a,b", " c ", ",", "d", "e, f", " ,,"]), [
    "a",
    "b",
    " c ",
    "d",
    "e",
    " f",
  ]);
});

const file = await writeTaskFile({
  tasks: [
    { name: "build", type: "exec", arguments: "echo built" },
    { name: "lint", type: "exec", arguments: "echo linted" },
    { name: "test", type: "exec", arguments: "echo tested", dependencies: ["build"] },
    { name: "deploy", type: "exec", arguments: "echo deployed", dependencies: ["test", "lint"] },
  ],
});

Deno.test("dagrun FILE NAME runs the task and what it depends on, nothing else", async () => {
  const { code, stdout } = await runCli([file, "test"]);
  assert.equal(code, 0);
  assert.match(stdout, /\[build\] built/);
  assert.match(stdout, /\[test\] tested/);
  assert.doesNotMatch(stdout, /lint|deploy/);
  assert.match(stdout, /2 tasks: 2 ok/);
});

Deno.test("--only takes comma lists and repeats", async () => {
  const { code, stdout } = await runCli([file, "--only", "lint", "--only", "build,lint"]);
  assert.equal(code, 0);
  assert.match(stdout, /2 tasks: 2 ok/);
  assert.doesNotMatch(stdout, /test|deploy/);
});

Deno.test("--only with no name in it (an empty variable) exits 2, running nothing", async () => {
  for (const value of ["", " , "]) {
    const { code, stdout, stderr } = await runCli([file, "--only", value]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /^dagrun: --only needs at least one task name\n/);
  }
});

Deno.test("an unknown task name exits 2 naming close matches, running nothing", async () => {
  const { code, stdout, stderr } = await runCli([file, "tset"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /^dagrun: Unknown task "tset" \(did you mean "test"\?\)\n/);
});

Deno.test("with --input, every positional argument is a task name", async () => {
  const { code, stdout } = await runCli(["--input", file, "lint"]);
  assert.equal(code, 0);
  assert.match(stdout, /1 task: 1 ok/);
});

Deno.test("--only takes names exactly as given between commas, as positional names", async () => {
  const spaced = await writeTaskFile({
    tasks: [
      { name: " sp ", type: "exec", arguments: "echo spaced" },
      { name: "sp", type: "exec", arguments: "echo bare" },
      { name: "a,b", type: "exec", arguments: "echo comma" },
      { name: "b", type: "exec", arguments: "echo b" },
    ],
  });
  try {
    for (const args of [["--only", " sp "], [" sp "]]) {
      const { code, stdout } = await runCli([spaced, ...args]);
      assert.equal(code, 0, args.join(" "));
      assert.match(stdout, /^\[ sp \] spaced$/m);
      assert.match(stdout, /1 task: 1 ok/);
    }
    // A name with a comma is split by --only; given after the file, it is one name.
    const split = await runCli([spaced, "--only", "a,b"]);
    assert.equal(split.code, 2);
    assert.equal(split.stdout, "");
    assert.match(
      split.stderr,
      /^dagrun: Unknown task "a"; --only splits at commas: name task "a,b" after the file instead\n/,
    );
    const { code, stdout } = await runCli([spaced, "a,b"]);
    assert.equal(code, 0);
    assert.match(stdout, /^\[a,b\] comma$/m);
  } finally {
    await Deno.remove(spaced.replace(/\/tasks\.json$/, ""), { recursive: true });
  }
});

Deno.test("an unknown --only name with spaces around a task's says that spaces are kept", async () => {
  const { code, stdout, stderr } = await runCli([file, "--only", "lint,  build"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(
    stderr.split("\n")[0],
    'dagrun: Unknown task "  build" (did you mean "build"?); --only keeps the spaces around a name',
  );
});

Deno.test("a name that reads the same in other code points is shown escaped, both in the file and on the command line", async () => {
  // "école" composed (U+00E9) on the command line, decomposed ("e" and U+0301) in the file:
  // quoted as they are, the message would suggest what was typed.
  const decomposed = "e\u0301cole", composed = "\u00e9cole";
  const hint = String
    .raw`(did you mean "e\u0301cole"? it reads the same, but in other code points than "\u00e9cole")`;
  const taskFile = await writeTaskFile({
    tasks: [{ name: decomposed, type: "exec", arguments: "true" }],
  });
  const dependent = await writeTaskFile({
    tasks: [
      { name: decomposed, type: "exec", arguments: "true" },
      { name: "b", type: "exec", arguments: "true", dependencies: [composed] },
    ],
  });
  try {
    for (const args of [[taskFile, composed], [taskFile, "--dry-run", "--only", composed]]) {
      const { code, stdout, stderr } = await runCli(args);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.ok(stderr.startsWith(`dagrun: Unknown task "${composed}" ${hint}\n`), stderr);
    }
    const { code, stderr } = await runCli([dependent]);
    assert.equal(code, 2);
    assert.equal(
      stderr,
      `dagrun: ${dependent}:1:123: task "b": unknown dependency "${composed}" ${hint}\n`,
    );
  } finally {
    for (const file of [taskFile, dependent]) {
      await Deno.remove(file.replace(/\/tasks\.json$/, ""), { recursive: true });
    }
  }
});
