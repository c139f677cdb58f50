/**
 * A command line whose options are refused by themselves (`--report ""`, `--quiet` with
 * `--format ndjson`) is refused before the task file is loaded: the usage error alone, not
 * after the file's warnings, which would bury it and say the file was looked at for nothing.
 * Through both parsers: the fast one (`dagrun FILE …` with plain values) and commander's
 * (`dagrun run FILE …`, and the values the fast parser leaves to it, such as `""`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, writeTaskFile } from "./helpers.ts";

/** A valid task file whose load warns: a misspelled field. */
const WARNING_TASKS = {
  tasks: [{ name: "a", type: "exec", arguments: "true", dependecies: [] }],
};

const HINT = "Try 'dagrun run --help' for usage.\n";

const CASES: readonly (readonly [string[], string])[] = [
  [["--report", ""], `--report needs a file name, and "" is none`],
  [["--report", "-"], `--report writes a file, and "-" is not standard output here`],
  [["--trace=-"], `--trace writes a file, and "-" is not standard output here`],
  [["--report-html", ""], `--report-html needs a file name, and "" is none`],
  [["--from-report", "r.ndjson"], "Cannot use --from-report without --dry-run"],
  [["--dry-run", "--resume", "r.ndjson"], "Cannot use --resume with --dry-run"],
  [["--dry-run", "--format", "ndjson"], "Cannot use --format ndjson with --dry-run"],
  [["--dry-run", "--report", "r.ndjson"], "Cannot use --report with --dry-run"],
  [["--quiet", "--format", "ndjson"], "Cannot use --quiet with --format ndjson"],
  [
    ["--output-errors-only", "--output", "prefixed"],
    "Cannot use --output-errors-only with --output prefixed",
  ],
  [["--only", ","], "--only needs at least one task name"],
  [["--only", ""], "--only needs at least one task name"],
  [["--executor", ""], `--executor needs a module path or URL, and "" is none`],
  [["--executor="], `--executor needs a module path or URL, and "" is none`],
  [["--dry-run", "--executor", ""], `--executor needs a module path or URL, and "" is none`],
];

Deno.test("options refused by themselves are refused before the task file's warnings", async () => {
  const file = await writeTaskFile(WARNING_TASKS);
  try {
    // The file does warn: without the options, its warning comes out.
    const plain = await runCli([file, "--no-history"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /unknown field "dependecies"/);
    for (const [options, message] of CASES) {
      for (const command of [[file], ["run", file]]) {
        const args = [...command, ...options];
        const { code, stdout, stderr } = await runCli(args);
        const shown = JSON.stringify(args.slice(1));
        assert.equal(code, 2, `${shown}: ${stderr}`);
        assert.equal(stdout, "", shown);
        assert.ok(stderr.startsWith(`dagrun: ${message}`), `${shown}: ${stderr}`);
        assert.ok(stderr.endsWith(`\n${HINT}`), `${shown}: ${stderr}`);
        // One line and the hint: the load's warning never came.
        assert.equal(stderr.split("\n").length, 3, `${shown}: ${stderr}`);
      }
    }
  } finally {
    await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("an empty --executor is refused before the task file's warnings by every command", async () => {
  const file = await writeTaskFile(WARNING_TASKS);
  try {
    for (const command of ["validate", "graph"]) {
      for (const options of [["--executor", ""], ["--executor="]]) {
        const args = [command, file, ...options];
        const { code, stdout, stderr } = await runCli(args);
        const shown = JSON.stringify(args);
        assert.equal(code, 2, `${shown}: ${stderr}`);
        assert.equal(stdout, "", shown);
        assert.equal(
          stderr,
          `dagrun: --executor needs a module path or URL, and "" is none\n` +
            `Try 'dagrun ${command} --help' for usage.\n`,
          shown,
        );
      }
    }
  } finally {
    await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  }
});
