import assert from "node:assert/strict";
import { hashString, NameIndex } from "../src/name_index.ts";

Deno.test("NameIndex finds every name and returns -1 for unknown ones", () => {
  const names = Array.from({ length: 5000 }, (_, i) => `task-${i}`);
  names.push("", "é", "\u{1F600}", "task-1 ");
  const index = new NameIndex(names);
  names.forEach((name, i) => assert.equal(index.get(name), i, name));
  for (const unknown of ["task-5000", "task-", "task-1  ", "x"]) {
    assert.equal(index.get(unknown), -1, unknown);
  }
  assert.equal(new NameIndex([]).get("a"), -1);
});

Deno.test("NameIndex notes the first repeated name and keeps its first position", () => {
  const index = new NameIndex(["a", "b", "c", "b", "a", "b"]);
  assert.deepEqual(index.duplicate, [1, 3]);
  assert.equal(index.get("b"), 1);
  assert.equal(index.get("a"), 0);
  assert.equal(new NameIndex(["a", "b"]).duplicate, undefined);
});

Deno.test("NameIndex.candidates() finds each hash's first name; is() confirms it", () => {
  const names = Array.from({ length: 1000 }, (_, i) => `n${i}`);
  const index = new NameIndex(names);
  const wanted = ["n5", "n999", "missing", "n0"];
  const out = new Int32Array(wanted.length);
  index.candidates(Int32Array.from(wanted, hashString), out);
  assert.deepEqual([...out], [5, 999, -1, 0]);
  assert.ok(index.is(5, "n5"));
  assert.ok(!index.is(5, "n6"));
});
