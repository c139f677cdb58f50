/**
 * A short option's value written after `=` (`-j=2`) is `=2` to the option, as in getopt: the
 * refusal says how to write it. Through both parsers: the fast one (`dagrun FILE -j=2`), which
 * declines a value it cannot parse, and commander's (`dagrun run FILE -j=2`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, writeTaskFile } from "./helpers.ts";

const REFUSED = "dagrun: Invalid concurrency: expected a positive integer, received";

Deno.test("-j=2 is refused with how to write it", async () => {
  const file = await writeTaskFile({ tasks: [{ name: "a", type: "exec", args: "true" }] });
  try {
    const cases: readonly (readonly [string[], string])[] = [
      [[file, "-j=2"], `${REFUSED} '=2' (write -j 2 or -j2)`],
      [["-j=2", file], `${REFUSED} '=2' (write -j 2 or -j2)`],
      [["run", file, "-j=12"], `${REFUSED} '=12' (write -j 12 or -j12)`],
      [[file, "--dry-run", "-j=2"], `${REFUSED} '=2' (write -j 2 or -j2)`],
      // No hint where the value itself is wrong too, nor for a long option's `==`.
      [[file, "-j=x"], `${REFUSED} '=x'`],
      [[file, "-j="], `${REFUSED} '='`],
      [[file, "--concurrency==2"], `${REFUSED} '=2'`],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await runCli(args);
      const shown = JSON.stringify(args);
      assert.equal(code, 2, `${shown}: ${stderr}`);
      assert.equal(stdout, "", shown);
      assert.equal(stderr, `${message}\nTry 'dagrun run --help' for usage.\n`, shown);
    }
  } finally {
    await Deno.remove(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  }
});
