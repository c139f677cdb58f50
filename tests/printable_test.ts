import assert from "node:assert/strict";
import { printable } from "../src/format/printable.ts";

Deno.test("printable leaves text without control characters as it is", () => {
  for (const text of ["build", "C:\\work\\x", "naïve 名前 🚀", ""]) {
    assert.equal(printable(text), text);
  }
});

Deno.test("printable escapes control characters as JSON does, and then backslashes too", () => {
  assert.equal(printable("a\u001b[2Jb\u0007"), "a\\u001b[2Jb\\u0007");
  // A name that holds a backslash sequence of its own is told apart from the escape of a
  // control character: the escaped form reads back, as a JSON string, as the very name.
  for (const text of ["\\u0007\u0007", "\u0007\\u0007", "tab\there\\", "\u009b\\\\"]) {
    const shown = printable(text);
    assert.equal(JSON.parse(`"${shown}"`), text);
  }
  assert.notEqual(printable("\\u0007\u0007"), printable("\u0007\\u0007"));
});
