/**
 * Rewrites the bundle's function declarations so that V8 compiles them before the module runs,
 * and Deno's code cache keeps them: part of `deno task build` (`dist/build.ts`).
 *
 * V8 compiles a function lazily, on its first call, unless a heuristic says it will be called
 * at once: a `function` keyword right after an opening parenthesis (an "immediately invoked"
 * look). Deno writes a module's code cache when the module has been compiled, before it runs,
 * so the cache holds the module's top level and nothing else: every later start compiles again
 * each function it calls — the dozens on the way to the first `Started:` line cost ≈ 2 ms of a
 * ≈ 20 ms start (README, "Performance"). Written as `var name = (function (…) {…});`, the same
 * functions are compiled with the module, cached, and read back from the cache on every start
 * after the first.
 *
 * Not every function: compiled with the module, a function is in the cache whether it runs or
 * not, and a larger cache takes longer to read back at every start. The build rewrites the
 * declarations that a plain run calls ({@linkcode lazilyCompiledInPlainRun}: 133 of 319 when
 * this was written; all of them made the cache 276 KB instead of 173 and the start ≈ 0.2–1 ms
 * slower).
 *
 * The rewrite keeps what a declaration means. A declaration's binding holds its function from
 * the start of its scope, before any statement runs; the assignment is therefore moved to the
 * start of the scope, ahead of every other statement (after a directive prologue): `var` in a
 * function body, a class's static block or the module, `let` in any other block, where a
 * declaration in strict code is scoped to the block. The function keeps its name (an anonymous
 * function assigned to a binding is named after it), and the binding stays assignable, as a
 * declaration's is. Left as they are: exported and default-exported declarations, declarations
 * directly in a `switch` case or under a label — none of which the bundle has — so the rewrite
 * needs no analysis of where a name is used.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
// deno-lint-ignore no-import-prefix
import { parse } from "npm:acorn@8.15.0";
// deno-lint-ignore no-import-prefix
import type { Node } from "npm:acorn@8.15.0";
// deno-lint-ignore no-import-prefix
import { fullAncestor } from "npm:acorn-walk@8.3.4";
// deno-lint-ignore no-import-prefix
import MagicString from "npm:magic-string@0.30.17";

/** What {@linkcode compileEagerly} did. */
export interface EagerCompileResult {
  /** The rewritten module. */
  text: string;
  /** How many function declarations were rewritten as parenthesized expressions. */
  rewritten: number;
}

// The AST's shapes, as much of them as the rewrite reads.
type AnyNode = Node & Record<string, unknown>;
interface Statement extends Node {
  type: string;
  directive?: string;
  id?: { name: string; start: number; end: number } | null;
}

/**
 * Returns `source`, an ES module, with each function declaration in a module, function, static
 * block or block body written as a parenthesized function expression assigned at the start of
 * its scope, so that V8 compiles it eagerly (see the module's documentation). With `only`,
 * just the declarations that end at one of its offsets (as {@linkcode lazilyCompiledInPlainRun}
 * gives them).
 */
export function compileEagerly(source: string, only?: ReadonlySet<number>): EagerCompileResult {
  const program = parse(source, { ecmaVersion: "latest", sourceType: "module" });
  const text = new MagicString(source);
  let rewritten = 0;
  const rewrite = (statements: Statement[], keyword: "var" | "let") => {
    // Where the scope's first statement after any directives begins: a declaration is one.
    const scopeStart = statements.find((statement) => statement.directive === undefined)?.start;
    for (const { type, id, start, end } of statements) {
      if (type !== "FunctionDeclaration" || !id || (only && !only.has(end))) continue;
      // The expression is named after the binding: its own name would be a second binding.
      text.remove(id.start, id.end);
      text.prependRight(start, `${keyword} ${id.name}=(`);
      text.appendLeft(end, ");");
      if (start !== scopeStart) text.move(start, end, scopeStart!);
      rewritten++;
    }
  };
  // The walk calls back as it leaves a node: the declarations of inner scopes are rewritten
  // before the one around them, which then moves with its rewritten inside.
  fullAncestor(program, (node, _state, ancestors) => {
    const body = (node as AnyNode).body as Statement[];
    if (node.type === "Program" || node.type === "StaticBlock") {
      rewrite(body, "var");
    } else if (node.type === "BlockStatement") {
      // A function's body is var-scoped; any other block scopes a declaration to itself.
      const parent = ancestors.at(-2) as AnyNode | undefined;
      rewrite(body, parent?.type.includes("Function") && parent.body === node ? "var" : "let");
    }
  });
  return { text: text.toString(), rewritten };
}

/**
 * The functions of `bundle` (the command line bundled, without the build's header line) that
 * V8 compiles lazily, on their first call, in a plain run: their end offsets in `bundle`.
 * Runs it as the `dist/dagrun.js` of a temporary directory on a two-task file (one command
 * run directly, one through the shell, its output printed, the history file written beside it)
 * with V8's log of function events, and reads the `parse-function` events of the bundle's
 * script. Throws when the run fails or the log names no function of the bundle (a Deno whose
 * V8 writes another log format).
 */
export async function lazilyCompiledInPlainRun(bundle: string): Promise<Set<number>> {
  const directory = await Deno.makeTempDir({ prefix: "dagrun-build-" });
  try {
    await Deno.mkdir(`${directory}/dist`);
    const main = `${directory}/dist/dagrun.js`;
    await Deno.writeTextFile(main, bundle);
    await Deno.writeTextFile(
      `${directory}/tasks.json`,
      JSON.stringify({
        tasks: [
          { name: "direct", type: "exec", arguments: "/bin/echo direct" },
          { name: "shell", type: "exec", arguments: "echo $((1 + 1))", dependencies: ["direct"] },
        ],
      }),
    );
    const log = `${directory}/v8.log`;
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        `--v8-flags=--log-function-events,--logfile=${log},--no-logfile-per-isolate`,
        main,
        "tasks.json",
      ],
      cwd: directory,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(`the plain run failed: ${new TextDecoder().decode(result.stderr).trim()}`);
    }
    // Lines of comma-separated fields: `script-details,ID,URL,…` names a script,
    // `function,parse-function,ID,START,END,…` is a lazy compilation.
    const lines = (await Deno.readTextFile(log)).split("\n").map((line) => line.split(","));
    const url = pathToFileURL(main).href;
    const script = lines.find((fields) => fields[0] === "script-details" && fields[2] === url)?.[1];
    const ends = new Set<number>();
    for (const [kind, event, id, , end] of lines) {
      if (kind === "function" && event === "parse-function" && id === script) ends.add(Number(end));
    }
    if (ends.size === 0) throw new Error("V8's log names no function of the bundle compiled late");
    return ends;
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
}
