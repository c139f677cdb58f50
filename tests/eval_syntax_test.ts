/**
 * Which snippets run as the body of an async function and which as a module: only a real
 * `import` or `export` makes a module, not the word in a comment, a string or a regex.
 */

import assert from "node:assert/strict";
import { usesModuleSyntax } from "../executors/eval_syntax.ts";
import { evaluate, textOf } from "./eval_helpers.ts";

/**
 * A top-level `return` compiles only in a function body: a snippet ending with one succeeds
 * on the function path and fails to compile as a module.
 */
const WORDS_ONLY = [
  "// we do not import anything\nreturn 1",
  "/* export nothing */ return 1",
  'console.log("export all"); return',
  "console.log('import'); return",
  "console.log(`no ${'import'} here, ${`nor ${'export'}`}`); return",
  "const re = /import|export/; console.log(re.test('export')); return",
  "const config = { reimport: 1, exports: 2 }; console.log(config.exports); return",
  "const loader = { import: () => 1 }; console.log(loader.import()); return",
  "const o = { import() { return 1 } }; return o.import();",
  "class A { static export() { return 2 } }; console.log(A.export()); return",
  [
    "class B {",
    "  import = 3; export; #import = 4",
    "  get hidden() { return this.#import } set export(v) {}",
    "  static async import() {} static *export() {} async *import() {}",
    "  static import",
    "}",
    "console.log(new B().import, new B().hidden); return",
  ].join("\n"),
];

Deno.test("eval runs a snippet naming import or export in a comment, string or regex as a function", async () => {
  const { results, outputs } = await evaluate(WORDS_ONLY);
  for (const [i, result] of results.entries()) {
    assert.deepEqual(result, { ok: true }, `${JSON.stringify(WORDS_ONLY[i])}: ${result.error}`);
  }
  assert.deepEqual(outputs.map((lines) => textOf(lines, "stdout")), [
    [],
    [],
    ["export all"],
    ["import"],
    ["no import here, nor export"],
    ["true"],
    ["2"],
    ["1"],
    [],
    ["2"],
    ["3 4"],
  ]);
});

Deno.test("eval still runs a snippet with a real import or export as a module", async () => {
  const snippets = [
    "import { basename } from 'node:path'; console.log(basename('/a/b.txt'));",
    "export const answer = 42; console.log(answer);",
    "const { basename } = await import('node:path'); console.log(basename('/c/d.txt'));",
    "console.log(typeof import.meta.url);",
    // The word in a string before the real thing does not hide it.
    "const note = 'import'; import { sep } from 'node:path'; console.log(note, sep);",
  ];
  const { results, outputs } = await evaluate(snippets);
  assert.deepEqual(results, snippets.map(() => ({ ok: true })));
  assert.deepEqual(outputs.map((lines) => textOf(lines, "stdout")), [
    ["b.txt"],
    ["42"],
    ["d.txt"],
    ["string"],
    ["import /"],
  ]);
  // A module has no top-level `return`: the module path was taken.
  const { results: [modular] } = await evaluate(["import 'node:path'; return 1"]);
  assert.equal(modular!.ok, false);
});

Deno.test("usesModuleSyntax() finds import and export tokens, skipping what holds none", () => {
  const cases: [string, boolean][] = [
    ["1 + 1", false],
    ["import x from 'y'", true],
    ["export default 1", true],
    ["await import('node:path')", true],
    ["import.meta.url", true],
    ["x = 1;\n  import   {a} from 'b'", true],
    ["// import\n/* export */ 'import'; \"export\"", false],
    ["`${`${'import'}`}` + `x${{ a: 1 }.a}` ; import 'y'", true],
    ["`${ { import: 1 }.import }`", false],
    ["/[/]import/.test(s)", false],
    ["a = b / c; d = e / import.meta.url.length", true],
    ["a = (b) / 2 / 3; export {}", true],
    ["return /export/g", false],
    ["'unterminated\nimport x from 'y'", true],
    ["x = 'a\\'import'", false],
    ["[...import.meta.url]", true],
    ["obj?.import(); obj . export", false],
    ["reimport(); exports.x = 1; important()", false],
    // A member named so: a method, an accessor, a field, a private name.
    ["const o = { import() { return 1 } }; return o.import();", false],
    ["class A { static export() {} }", false],
    ["({ export(a = ')', b = f(1)) { return a }, *import() {} })", false],
    ["class A { get import() {} set export(v) {} async import() {} async *export() {} }", false],
    ["class A { import = 1; export; static import\n x }", false],
    ["class A { import }", false],
    ["class A { #import = 1; m() { return this.#import } }", false],
    // Still the real thing: a dynamic import, even one a block follows on the next line.
    ["x = a * import('y')", true],
    ["if (a) { import('y') }", true],
    ["await import('y')\n{ b() }", true],
    ["f(import(`y${1}`), { import: 1 })", true],
    ["import\n{ a } from 'b'", true],
    ["export\n{ a }", true],
    ["const o = { import: 1 }; export default o", true],
  ];
  for (const [code, expected] of cases) {
    assert.equal(usesModuleSyntax(code), expected, code);
  }
});
