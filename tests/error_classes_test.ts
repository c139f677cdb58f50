/**
 * dagrun's error classes are recognised across copies of their module. The bundle
 * (`dist/dagrun.js`) holds one copy of `src/errors.ts`, and the modules it imports late
 * (`src/terminal_commands.ts` for `--dry-run`, say) load another from `src/`: an error of
 * theirs failed `instanceof` and `--dry-run --from-report empty.ndjson` said
 * `dagrun: internal error: …` with exit status 70 instead of the one line and exit status 2.
 */

import assert from "node:assert/strict";
import { osErrorReason, OutputError, TaskFileError, UsageError } from "../src/errors.ts";
import { reportError } from "../src/cli_commands.ts";
import type { TextSink } from "../src/output.ts";

/** The same module under another URL: a second copy of its classes, as the bundle has. */
const copy: typeof import("../src/errors.ts") = await import(
  new URL("../src/errors.ts?second-copy", import.meta.url).href
);

function reported(error: unknown): { code: number; text: string } {
  let text = "";
  const sink: TextSink = { out: (t) => text += t, err: (t) => text += t, flush() {} };
  return { code: reportError(error, sink), text };
}

Deno.test("a TaskFileError of another copy of errors.ts is reported as one, exit status 2", () => {
  assert.notEqual(copy.TaskFileError, TaskFileError);
  const error = new copy.TaskFileError("not a dagrun NDJSON report", { file: "r.ndjson" });
  assert.ok(error instanceof TaskFileError);
  assert.deepEqual(reported(error), {
    code: 2,
    text: "dagrun: r.ndjson: not a dagrun NDJSON report\n",
  });
});

Deno.test("OutputError and UsageError of another copy are recognised too", () => {
  assert.ok(new copy.OutputError("x") instanceof OutputError);
  assert.ok(new copy.UsageError("x") instanceof UsageError);
  assert.equal(reported(new copy.OutputError("out: full")).code, 74);
  assert.deepEqual(reported(new copy.UsageError("bad")), {
    code: 2,
    text: "dagrun: bad\nTry 'dagrun --help' for usage.\n",
  });
});

Deno.test("the classes stay apart, and a plain Error is none of them", () => {
  assert.ok(!(new copy.UsageError("x") instanceof TaskFileError));
  assert.ok(!(new TaskFileError("x", { file: "f" }) instanceof OutputError));
  assert.ok(!(new Error("x") instanceof TaskFileError));
  assert.ok(!((null as unknown) instanceof UsageError));
  assert.equal(reported(new Error("boom")).code, 70);
});

Deno.test("osErrorReason() words every OS error one way: the reason alone, in lower case", () => {
  const cases: [Error, string][] = [
    [
      new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/x'"),
      "permission denied",
    ],
    [
      new Deno.errors.NotFound("No such file or directory (os error 2): readfile '/x'"),
      "no such file or directory",
    ],
    [
      new Deno.errors.IsADirectory("Is a directory (os error 21): readfile '/tmp'"),
      "it is a directory",
    ],
    [new Error("No space left on device (os error 28)"), "no space left on device"],
    [new Error("Read-only file system (os error 30): open '/x'"), "read-only file system"],
    [
      new Deno.errors.NotCapable(
        'Requires read access to "/x", run again with the --allow-read flag',
      ),
      "no permission to read it (--allow-read)",
    ],
    [
      new Deno.errors.NotCapable(
        'Requires write access to "/x", run again with the --allow-write flag',
      ),
      "no permission to write it (--allow-write)",
    ],
    // Not an OS error: as it is, but for the case of a word that is no acronym.
    [new Error("EOF while reading"), "EOF while reading"],
  ];
  for (const [error, reason] of cases) assert.equal(osErrorReason(error), reason);
});
