import assert from "node:assert/strict";
// Tests may import npm packages directly, pinned (see the brief); deps.ts is for the library.
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
import {
  containerPathAt,
  plainStructure,
  QUICK_TEXT_LIMIT,
  scanJson,
} from "../src/json_structure.ts";

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

/**
 * JSON text written from entries, so that a key may be repeated (which no `JSON.stringify`
 * writes): an object is a list of [key, value] pairs. Keys and strings are drawn from a few,
 * holding what a scanner could take for structure.
 */
type Written = null | number | string | Written[] | { entries: [string, Written][] };
// Not a key of backslashes alone: after one, this V8's JSON.parse reads a later escaped key of
// its length as that key (`"\\""` as `\\`; https://github.com/nodejs/node/issues/63785), and
// the property would test V8, not plainStructure().
const TRICKY = ["a", "b", "__proto__", '"', ":", "{", "[]", "x\\", '\\"', "\u0000", "é", "𝄞", ""];
const written: fc.Arbitrary<Written> = fc.letrec<{ value: Written }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, 0, -1.5e300, 1e400),
    fc.constantFrom(...TRICKY),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.record({
      entries: fc.array(fc.tuple(fc.constantFrom(...TRICKY), tie("value")), { maxLength: 3 }),
    }),
  ),
})).value;
const space = fc.constantFrom("", " ", "\n  ");
function write(value: Written, gap: string): string {
  if (Array.isArray(value)) return `[${gap}${value.map((v) => write(v, gap)).join(`,${gap}`)}]`;
  if (value !== null && typeof value === "object") {
    const entries = value.entries.map(([key, v]) =>
      `${JSON.stringify(key)}${gap}:${gap}${write(v, gap)}`
    );
    return `{${gap}${entries.join(`,${gap}`)}${gap}}`;
  }
  return value === 1e400 ? "1e400" : JSON.stringify(value);
}

Deno.test("plainStructure() clears a text only when scanJson() finds nothing, and clears shallow clean ones", () => {
  fc.assert(
    fc.property(written, space, fc.integer({ min: 1, max: 10 }), (value, gap, maxNesting) => {
      const text = write(value, gap);
      const scanned = scanJson(text, maxNesting, false);
      const plain = plainStructure(text, JSON.parse(text), maxNesting);
      if (plain) assert.deepEqual(scanned, {}, text);
      // Clean and at most 8 levels deep (the quick test peels no more): cleared.
      if (Object.keys(scanned).length === 0 && scanJson(text, 8, false).tooDeepAt === undefined) {
        assert.ok(plain, text);
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("plainStructure() leaves to the scan a repeated key, deep nesting and long text", () => {
  const repeats = [
    '{"a": 1, "b": 2, "a": 3}',
    '{"a\\u0062": 1, "ab": 2}',
    '{"x": [[], {}, {"k": {}, "k": 1}]}',
    '{"__proto__": 1, "__proto__": 2}',
    '{"a": "\\"a\\": 1", "a": 2}',
  ];
  for (const text of repeats) {
    assert.equal(plainStructure(text, JSON.parse(text), 100), false, text);
  }
  assert.equal(
    plainStructure('{"__proto__": {"a": 1}}', JSON.parse('{"__proto__": {"a": 1}}'), 100),
    true,
  );
  const deep = (levels: number) => "[".repeat(levels) + "]".repeat(levels);
  assert.equal(plainStructure(deep(4), JSON.parse(deep(4)), 3), false);
  assert.equal(plainStructure(deep(4), JSON.parse(deep(4)), 4), true);
  // Deeper than it peels: the scan decides, even within the limit.
  assert.equal(plainStructure(deep(9), JSON.parse(deep(9)), 100), false);
  const long = JSON.stringify({ tasks: "x".repeat(QUICK_TEXT_LIMIT) });
  assert.equal(plainStructure(long, JSON.parse(long), 100), false);
});
