/**
 * dist/eager_compile.ts, the build's rewrite of function declarations into parenthesized
 * expressions: a module must do the same after it, and the bundle must have been through it.
 */

import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import { parse } from "npm:acorn@8.15.0";
// deno-lint-ignore no-import-prefix
import type { Node } from "npm:acorn@8.15.0";
// deno-lint-ignore no-import-prefix
import { full } from "npm:acorn-walk@8.3.4";
import { compileEagerly, lazilyCompiledInPlainRun } from "../dist/eager_compile.ts";

/** Imports `source` as a module and returns its default export. */
async function evaluate(source: string): Promise<unknown> {
  const url = `data:text/javascript;base64,${btoa(unescape(encodeURIComponent(source)))}`;
  return (await import(url)).default;
}

/** The function declarations of `source` that sit where the rewrite would take them. */
function movableDeclarations(source: string): { name: string; end: number }[] {
  const found: { name: string; end: number }[] = [];
  full(parse(source, { ecmaVersion: "latest", sourceType: "module" }), (node: Node) => {
    const body = (node as Node & { body?: unknown }).body;
    if (!Array.isArray(body)) return;
    for (const statement of body as (Node & { id?: { name: string } })[]) {
      if (statement.type === "FunctionDeclaration" && statement.id) {
        found.push({ name: statement.id.name, end: statement.end });
      }
    }
  });
  return found;
}

// Every way a declaration's hoisting shows: used before it in its scope, from an earlier
// declaration, in a block, a loop's block, a static block, recursion, its name, reassignment,
// async functions and generators, a directive prologue, declarations inside declarations.
const HOISTING = `
const log = [];
log.push(early(1));
function early(n) { return later(n) + 1; }
function later(n) { return n * 10; }
function outer() {
  "use strict";
  const fromInner = inner();
  function inner() { return deeper() + ":" + typeof outer; function deeper() { return "deep"; } }
  return fromInner;
}
log.push(outer());
{
  log.push(inBlock());
  function inBlock() { return "block"; }
}
log.push(typeof inBlock);
const perIteration = [];
for (let i = 0; i < 2; i++) { perIteration.push(fresh); function fresh() {} }
log.push(perIteration[0] === perIteration[1]);
class Holder { static value; static { Holder.value = fromStatic(); function fromStatic() { return "static"; } } }
log.push(Holder.value);
function factorial(n) { return n <= 1 ? 1 : n * factorial(n - 1); }
log.push(factorial(5), factorial.name, early.name, later.length);
function replaced() { return "old"; }
replaced = () => "new";
log.push(replaced());
async function asynchronous() { return "async"; }
log.push(await asynchronous(), asynchronous.name);
function* generator() { yield "gen"; }
log.push([...generator()][0], generator.name);
async function* asyncGenerator() { yield "agen"; }
for await (const value of asyncGenerator()) log.push(value);
function shadowed(early) { function early() { return "inner"; } return early(); }
log.push(shadowed("param"));
function withDefault(get = () => typeof helper) { function helper() {} return get(); }
log.push(withDefault());
switch (log.length) { default: function inCase() { return "case"; } log.push(inCase()); }
export function exported() { return "exported"; }
log.push(exported());
export default log;
`;

Deno.test("a module does after the rewrite what it did before", async () => {
  const { text, rewritten } = compileEagerly(HOISTING);
  assert.ok(rewritten >= 15, `${rewritten} declarations rewritten`);
  assert.deepEqual(await evaluate(text), await evaluate(HOISTING));
  assert.deepEqual(await evaluate(HOISTING), [
    11,
    "deep:function",
    "block",
    "undefined",
    false,
    "static",
    120,
    "factorial",
    "early",
    1,
    "new",
    "async",
    "asynchronous",
    "gen",
    "generator",
    "agen",
    "inner",
    "undefined",
    "case",
    "exported",
  ]);
});

Deno.test("the rewrite leaves a declaration only in a switch case or an export", () => {
  const { text } = compileEagerly(HOISTING);
  assert.deepEqual(movableDeclarations(HOISTING).length > 15, true);
  // The switch case's statements are not a body the walk above sees; exports are not statements
  // of type FunctionDeclaration in the module's body.
  assert.deepEqual(movableDeclarations(text), []);
  assert.match(text, /var early=\(function \(n\)/);
  assert.match(text, /let inBlock=\(function \(\)/);
  assert.match(text, /var asyncGenerator=\(async function\*\s*\(\)/);
  assert.match(text, /function inCase\(\)/);
  assert.match(text, /export function exported\(\)/);
});

Deno.test("with `only`, the rewrite takes just the declarations ending at its offsets", async () => {
  const source = "function kept() { return 1; }\nfunction moved() { return 2; }\n" +
    "export default [kept(), moved()];\n";
  const movedEnd = source.indexOf("}", source.indexOf("moved")) + 1;
  const { text, rewritten } = compileEagerly(source, new Set([movedEnd]));
  assert.equal(rewritten, 1);
  assert.match(text, /var moved=\(function \(\)/);
  assert.match(text, /function kept\(\)/);
  assert.deepEqual(await evaluate(text), [1, 2]);
});

Deno.test("the plain run finds the functions a module calls, not the others", async () => {
  const bundle = "function called() { return 1; }\nfunction never() { return 2; }\n" +
    "const direct = () => 3;\nconsole.log(called() + direct());\n";
  const ends = await lazilyCompiledInPlainRun(bundle);
  assert.ok(ends.has(bundle.indexOf("}") + 1), `called() not found in ${[...ends]}`);
  assert.ok(ends.has(bundle.indexOf("3;") + 1), "the arrow function is compiled late too");
  assert.ok(!ends.has(bundle.indexOf("}", bundle.indexOf("never")) + 1), "never() was not called");
});

Deno.test("a plain run of the bundle compiles none of its function declarations late", async () => {
  const bundle = await Deno.readTextFile(new URL("../dist/dagrun.js", import.meta.url));
  const body = bundle.slice(bundle.indexOf("\n") + 1);
  const late = await lazilyCompiledInPlainRun(body);
  const declarations = movableDeclarations(body);
  assert.ok(declarations.length > 0, "some declarations, never called, are left as they were");
  assert.deepEqual(declarations.filter(({ end }) => late.has(end)), []);
  assert.ok((body.match(/=\((async )?function\b/g) ?? []).length > 100);
});
