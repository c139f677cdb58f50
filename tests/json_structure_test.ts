import assert from "node:assert/strict";
import { containerPathAt, scanJson } from "../src/json_structure.ts";

const duplicateIn = (text: string, comments = false) => scanJson(text, 100, comments).duplicate;

Deno.test("scanJson() finds the first key repeated in its object", () => {
  assert.deepEqual(duplicateIn('{"a": 1, "b": 2, "a": 3}'), {
    offset: 17,
    firstOffset: 1,
    key: "a",
  });
  // Escapes are decoded: "a\u0062" is "ab".
  assert.deepEqual(duplicateIn('{"a\\u0062": 1, "ab": 2}'), {
    offset: 15,
    firstOffset: 1,
    key: "ab",
  });
  // Deep inside arrays and objects, after empty ones.
  assert.equal(duplicateIn('{"x": [[], {}, {"k": {}, "k": 1}]}')?.offset, 25);
});

Deno.test("scanJson() does not take for a repeat what is not one", () => {
  for (
    const text of [
      '{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}', // the same key in other objects
      '{"a": "a", "b": ["a", "a"], "c": {"b": "a"}}', // values, not keys
      '{"a": "\\"b\\": 1, \\"a\\": 2", "b": "\\\\"}', // quotes and backslashes in strings
      '{"a": 1, "A": 2, "a ": 3}',
      '{"": 1, "x": {"": 2}}',
    ]
  ) {
    assert.equal(duplicateIn(text), undefined, text);
    assert.doesNotThrow(() => JSON.parse(text));
  }
});

Deno.test("scanJson() skips comments in JSONC, and only there", () => {
  const text =
    '{ // "a": the comment\'s quote does not open a string\n "a": 1, /* "a": 2 */ "b": "//", "a": 3 }';
  assert.equal(duplicateIn(text, true)?.key, "a");
  assert.equal(duplicateIn(text, true)?.firstOffset, text.indexOf('"a": 1'));
  assert.equal(duplicateIn('{"a": "/*", "b": "*/", "a": 1}', true)?.key, "a");
});

Deno.test("scanJson() ends on text that is not well formed, finding what it can", () => {
  for (
    const text of ['{"a": "unterminated', '{"a": 1 /* open', '{"a": 1 // open', "}}]]{", '"\\']
  ) {
    assert.deepEqual(scanJson(text, 100, true), {}, text);
  }
  assert.equal(duplicateIn('{"a": 1, "a'), undefined);
  assert.equal(duplicateIn('{"a": 1, "a": 2', true)?.key, "a");
});

Deno.test("scanJson() refuses nesting past the limit, at the first bracket too deep", () => {
  assert.deepEqual(scanJson("[[[[]]]]", 3, false), { tooDeepAt: 3 });
  assert.deepEqual(scanJson('{"a": [{"b": []}]}', 4, false), {});
  assert.deepEqual(scanJson('["[[[[", {"a": "{{{{"}]', 2, false), {});
});

Deno.test("containerPathAt() names the object or array that holds an offset", () => {
  const text =
    '{"tasks": [{"name": "a"}, {"name": "b", "env": {"X": "1", "X": "2"}}], "x": {"y": 1}}';
  assert.deepEqual(containerPathAt(text, text.lastIndexOf('"X"'), false), ["tasks", 1, "env"]);
  assert.deepEqual(containerPathAt(text, text.indexOf('"name": "b"'), false), ["tasks", 1]);
  assert.deepEqual(containerPathAt(text, text.indexOf('"y"'), false), ["x"]);
  assert.deepEqual(containerPathAt(text, text.indexOf('"x"'), false), []);
  const jsonc = '{"tasks": [ /* {"no": [ */ {}, // ,,\n {"k": 1}]}';
  assert.deepEqual(containerPathAt(jsonc, jsonc.indexOf('"k"'), true), ["tasks", 1]);
});
