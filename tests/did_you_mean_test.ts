import assert from "node:assert/strict";
import { didYouMean } from "../src/check.ts";

Deno.test("a long name that reads the same in other code points is shortened by a plain ellipsis, its own characters escaped", () => {
  // 150 characters each side of a control character: past the 200 that quote() shows whole.
  const composed = `${"\u00e9".repeat(150)}\u0001${"\u00e9".repeat(150)}`;
  const decomposed = composed.normalize("NFD");
  const hint = didYouMean(composed, [decomposed, "other"]);
  // The ellipses are quote()'s own, as every other shortened name shows them; the name's
  // characters, its control character too, are escapes.
  assert.equal(hint.match(/…/g)?.length, 4, hint);
  assert.ok(!hint.includes("\\u2026"), hint);
  assert.match(hint, /^ \(did you mean "(e\\u0301)+"…\(601 characters\)…"(e\\u0301)+"\? /);
  assert.ok(hint.endsWith(`"…(301 characters)…"${"\\u00e9".repeat(100)}")`), hint);
  assert.ok(!/[^\x20-\x7e…]/.test(hint), hint);
});
