/**
 * A usage error that echoes what was typed (an unknown option or command, an argument too
 * many, a value refused) shows it escaped, on one line: a newline in it is `\u000a`, not a
 * break of the line, and an escape sequence (`ESC[31m`) is shown, not sent to the terminal.
 * Through both parsers where both reach the line: the fast one (`dagrun FILE …`) declines
 * these and leaves them to commander's, whose messages quoted them raw.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, writeTaskFile } from "./helpers.ts";

/** ESC, an escape sequence's colour, and a newline. */
const NASTY = "x\x1b[31m\ny";
/** {@linkcode NASTY} as the message shows it. */
const SHOWN = "x\\u001b[31m\\u000ay";

Deno.test("usage errors escape what was typed, on one line", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", args: "true" }] });
  try {
    const cases: readonly (readonly [string[], string])[] = [
      [[file, `--${NASTY}`], `Unknown option '--${SHOWN}'`],
      [["run", file, `--${NASTY}`], `Unknown option '--${SHOWN}'`],
      [[`--${NASTY}`, file], `Unknown option '--${SHOWN}'`],
      [["validate", file, `--${NASTY}`], `Unknown option '--${SHOWN}'`],
      [
        ["graph", file, `--formt=${NASTY}`],
        `Unknown option '--formt=${SHOWN}' (did you mean --format?)`,
      ],
      [[file, `--formt=${NASTY}`], `Unknown option '--formt=${SHOWN}' (did you mean --format?)`],
      [["help", NASTY], `Unknown command '${SHOWN}'`],
      [
        ["help", "schema", NASTY],
        `Unexpected argument '${SHOWN}': 'dagrun help' takes one command`,
      ],
      [["schema", NASTY], `Unexpected argument '${SHOWN}': 'dagrun schema' takes no arguments`],
      [
        ["validate", file, NASTY],
        `Cannot take more than one task file: '${file}', then '${SHOWN}'`,
      ],
      [[file, "--format", NASTY], `Invalid format: expected human or ndjson, received '${SHOWN}'`],
      [
        ["run", file, "--format", NASTY],
        `Invalid format: expected human or ndjson, received '${SHOWN}'`,
      ],
      [
        [file, "-j", NASTY],
        `Invalid concurrency: expected a positive integer, received '${SHOWN}'`,
      ],
      [
        [file, `-j${NASTY}`],
        `Invalid concurrency: expected a positive integer, received '${SHOWN}'`,
      ],
      [[file, `--quiet=${NASTY}`], `Option '--quiet' takes no value, received '${SHOWN}'`],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await runCli(args);
      const shown = JSON.stringify(args);
      assert.equal(code, 2, `${shown}: ${stderr}`);
      assert.equal(stdout, "", shown);
      assert.ok(!stderr.includes("\x1b"), `${shown}: ${JSON.stringify(stderr)}`);
      const [line, hint, rest] = stderr.split("\n");
      assert.equal(line, `dagrun: ${message}`, shown);
      assert.match(hint!, /^Try 'dagrun [a-z ]*--help' for usage\.$/, shown);
      assert.equal(rest, "", shown);
    }
  } finally {
    await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  }
});
