import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import { parseRunFast } from "../src/cli_fast.ts";
import { buildProgram } from "../src/cli_program.ts";
import type { TextSink } from "../src/output.ts";

/** What commander makes of `args`: the arguments `run` is called with, or the error. */
async function commanderParse(args: readonly string[]) {
  let called: { file: string | undefined; names: string[]; flags: unknown } | undefined;
  const sink: TextSink = { out: () => {}, err: () => {}, flush: () => {} };
  const program = buildProgram({
    version: "0.0.0",
    sink,
    outputClosed: new AbortController().signal,
    run: (file, names, flags) => {
      called = { file, names, flags };
      return Promise.resolve(0);
    },
  }, () => {});
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (error) {
    return { error };
  }
  return { called };
}

const VALUES: Record<string, string[]> = {
  "--input": ["tasks.json", "other.json", "-"],
  "--schema": ["schema.json"],
  "--executor": ["./plugin.ts", "https://example.com/x.ts"],
  "--concurrency": ["4", "1", "0", "x", "1.5", "99999999999999999999"],
  "--timeout": ["90s", "1m30s", "5", "0", "soon", "0.5"],
  "--retries": ["2", "0", "-1", "x"],
  "--format": ["human", "ndjson", "xml"],
  "--only": ["a,b", "c"],
  "--grace": ["500ms", "2", "later"],
  "--resume": ["r.ndjson", "-"],
  "--from-report": ["r.ndjson", "-"],
  "--eval-isolation": ["pooled", "fresh", "shared"],
  "--eval-permissions": ["inherit", "none", "read,env", "net=example.com", "bogus"],
  "--output": ["prefixed", "grouped", "interleaved", "wide"],
  "--report": ["out.ndjson", "-"],
  "--report-html": ["r.html"],
  "--trace": ["t.json"],
};
const FLAGS = [
  "--no-history",
  "--no-color",
  "--fail-fast",
  "--dry-run",
  "--output-errors-only",
  "--quiet",
  "-q",
];
const ODD = ["--", "-", "--help", "-h", "-V", "--version", "--bogus", "--color", "-qj4", "-x", ""];
const WORDS = ["tasks.json", "a", "b", "run", "graph", "help", "validate", "schema"];

/** Values commander takes for each option: the first of each list in VALUES, and more. */
const VALID: Record<string, string[]> = Object.fromEntries(
  Object.entries(VALUES).map(([name, values]) => [
    name,
    values.filter((value) => !/^(0|x|1\.5|9{20}|soon|-1|xml|shared|bogus|wide|later)$/.test(value)),
  ]),
);

/** An option with a value, in one of the spellings commander takes. */
const valueOption = (values: Record<string, string[]>) =>
  fc.constantFrom(...Object.keys(values)).chain((name) =>
    fc.tuple(fc.constantFrom(...values[name]!), fc.constantFrom("split", "equals", "short"))
      .map(([value, form]): string[] => {
        if (form === "short" && name === "--concurrency") return [`-j${value}`];
        if (form === "equals") return [`${name}=${value}`];
        return [name, value];
      })
  );
const anyToken = fc.oneof(
  { weight: 4, arbitrary: valueOption(VALUES) },
  { weight: 2, arbitrary: fc.constantFrom(...FLAGS).map((flag) => [flag]) },
  { weight: 3, arbitrary: fc.constantFrom(...WORDS).map((word) => [word]) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD).map((odd) => [odd]) },
  { weight: 1, arbitrary: fc.constantFrom(...FLAGS, "--only", "-j").map((flag) => [`${flag}=x`]) },
);
/** A command line as people write it: the file first, then valid options and task names. */
const common = fc.tuple(
  fc.constantFrom("tasks.json", "-"),
  fc.array(
    fc.oneof(
      valueOption(VALID),
      fc.constantFrom(...FLAGS).map((flag) => [flag]),
      fc.constantFrom("a", "b", "run", "help").map((word) => [word]),
    ),
    { maxLength: 6 },
  ),
).map(([file, tokens]) => [file, ...tokens.flat()]);
const argv = fc.oneof(common, fc.array(anyToken, { maxLength: 7 }).map((tokens) => tokens.flat()));

Deno.test("the fast parser gives exactly commander's options, or declines", async () => {
  let taken = 0, declined = 0;
  await fc.assert(
    fc.asyncProperty(argv, async (args) => {
      const fast = parseRunFast(args);
      if (fast === undefined) {
        declined++;
        return;
      }
      taken++;
      const commander = await commanderParse(args);
      assert.equal(commander.error, undefined, `commander refused ${JSON.stringify(args)}`);
      assert.deepStrictEqual(
        { file: fast.file, names: fast.names, flags: fast.flags },
        commander.called,
        JSON.stringify(args),
      );
    }),
    { numRuns: 600 },
  );
  // A parser that declined everything would pass the property: it must take the common case.
  assert.ok(taken > 150 && declined > 150, `taken ${taken}, declined ${declined}`);
});

Deno.test("the fast parser takes the common command lines", async () => {
  for (
    const args of [
      ["tasks.json"],
      ["tasks.json", "a", "b"],
      ["-j4", "tasks.json"],
      ["-j", "4", "--timeout", "90s", "tasks.json", "--format=ndjson", "-q"],
      ["--input", "tasks.json", "a"],
      ["tasks.json", "--only", "a,b", "--only", "c", "--no-color", "--no-history"],
      ["-", "--report", "out.ndjson", "--eval-permissions", "read,env"],
      // `-` as a value is standard input: commander's program (and, in a copy of the bundle,
      // its missing module) is not needed for it.
      ["tasks.json", "--resume", "-"],
      ["tasks.json", "--dry-run", "--from-report=-"],
      ["--input", "-", "a"],
    ]
  ) {
    const fast = parseRunFast(args);
    assert.ok(fast, JSON.stringify(args));
    const commander = await commanderParse(args);
    assert.deepStrictEqual(
      { file: fast.file, names: fast.names, flags: fast.flags },
      commander.called,
    );
  }
});

Deno.test("the fast parser leaves help, subcommands, errors and odd syntax to commander", () => {
  for (
    const args of [
      [],
      ["--help"],
      ["tasks.json", "-h"],
      ["-V"],
      ["run", "tasks.json"],
      ["validate", "tasks.json"],
      ["graph", "tasks.json"],
      ["schema"],
      ["help"],
      ["tasks.json", "--bogus"],
      ["tasks.json", "-j", "0"],
      ["tasks.json", "-j"],
      ["tasks.json", "--format", "xml"],
      ["tasks.json", "--timeout", "soon"],
      ["tasks.json", "--", "a"],
      ["tasks.json", "-qj4"],
      ["tasks.json", "--quiet=yes"],
      ["tasks.json", "--resume", "-x"],
      ["tasks.json", "--color"],
    ]
  ) {
    assert.equal(parseRunFast(args), undefined, JSON.stringify(args));
  }
});
