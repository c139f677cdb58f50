import assert from "node:assert/strict";
import { posix } from "node:path";
// deno-lint-ignore no-import-prefix
import fc from "npm:fast-check@4.10.2";
// deno-lint-ignore no-import-prefix
import ajvUcs2length from "npm:ajv@8.20.0/dist/runtime/ucs2length.js";
import { type JsonNode, loadJsonc } from "../src/deps.ts";
import { jsonValueOffset } from "../src/json_locate.ts";
import { type JsonPathSegment, parseTaskFile } from "../src/load.ts";
import { directoryOf, resolvePath } from "../src/paths.ts";
import { validate } from "../src/run.ts";
import { ucs2length } from "../src/ucs2length.ts";
import denoJson from "../deno.json" with { type: "json" };

const ROOT = new URL("../", import.meta.url);

Deno.test("nothing mod.ts imports statically loads an npm: or node: module", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "mod.ts"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert.ok(output.success);
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const modules = new Map(info.modules.map((module) => [module.specifier, module]));
  // Walk `code` edges that are not dynamic: what loads before mod.ts's first line runs.
  const reached = new Set<string>();
  const dynamic = new Set<string>();
  const stack = [...info.roots];
  for (let specifier; (specifier = stack.pop()) !== undefined;) {
    if (reached.has(specifier)) continue;
    reached.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (!dependency.code) continue; // `import type`: erased
      if (dependency.isDynamic) dynamic.add(dependency.code.specifier);
      else stack.push(dependency.code.specifier);
    }
  }
  const heavy = [...reached].filter((specifier) => !specifier.startsWith("file:"));
  assert.deepEqual(heavy, []);
  // The walk sees the graph; the modules imported late are not in it.
  assert.ok(reached.has(new URL("src/load.ts", ROOT).href));
  assert.ok(dynamic.has(new URL("src/format/status_line.ts", ROOT).href));
  for (const late of await lateImports()) assert.ok(!reached.has(new URL(late, ROOT).href), late);
  // Loaded only by the runs that use them.
  for (
    const lazy of [
      "executors/eval_pool.ts",
      "src/plugin_loader.ts",
      "src/format/status_line.ts",
      "src/format/timeline.ts",
      "src/terminal_commands.ts",
      "src/format/html.ts",
      "src/format/trace.ts",
    ]
  ) {
    assert.ok(!reached.has(new URL(lazy, ROOT).href), lazy);
  }
});

/** The modules `importLate()` imports, as paths from the root, found in the sources. */
async function lateImports(): Promise<string[]> {
  const found: string[] = [];
  for (const directory of ["src", "executors"]) {
    for await (const entry of Deno.readDir(new URL(`${directory}/`, ROOT))) {
      if (!entry.name.endsWith(".ts")) continue;
      const text = await Deno.readTextFile(new URL(`${directory}/${entry.name}`, ROOT));
      for (
        const match of text.matchAll(
          /importLate<[^(]*\(\s*new URL\("([^"]+)", import\.meta\.url\)/g,
        )
      ) {
        found.push(new URL(match[1]!, new URL(`${directory}/`, ROOT)).href.slice(ROOT.href.length));
      }
    }
  }
  return found.sort();
}

Deno.test("deno task compile includes every module imported late", async () => {
  const late = await lateImports();
  assert.deepEqual(late.toSorted(), [
    "src/cli_program.ts",
    "src/deps/ajv.ts",
    "src/deps/ajv_drafts.ts",
    "src/deps/jsonc.ts",
    "src/format/html.ts",
    "src/format/timeline.ts",
    "src/format/trace.ts",
    "src/terminal_commands.ts",
  ]);
  const words = denoJson.tasks.compile.split(/\s+/);
  const included = words.flatMap((word, i) => words[i - 1] === "--include" ? [word] : []);
  for (const path of late) assert.ok(included.includes(path), `--include ${path}`);
});

/** Strings rich in surrogates, paired and lone, beside ordinary text. */
const utf16 = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.integer({ min: 0x20, max: 0x7e }),
  ),
  { maxLength: 40 },
).map((codes) => String.fromCharCode(...codes));

Deno.test("ucs2length() counts code points exactly as ajv's runtime helper", () => {
  const ajv = (ajvUcs2length as unknown as { default: (text: string) => number }).default ??
    ajvUcs2length as unknown as (text: string) => number;
  fc.assert(
    fc.property(fc.oneof(utf16, fc.string({ unit: "binary" })), (text) => {
      assert.equal(ucs2length(text), ajv(text), JSON.stringify(text));
    }),
    { numRuns: 2_000 },
  );
  assert.equal(ucs2length("a😀\ud800"), 3);
});

/** JSON's own locate, as jsonc-parser's tree has it (the last duplicate key wins). */
function treeOffset(root: JsonNode, path: readonly JsonPathSegment[]): number {
  let node: JsonNode | undefined = root;
  for (const segment of path) {
    if (node?.type === "array" && typeof segment === "number") node = node.children?.[segment];
    else if (node?.type === "object") {
      node = node.children?.findLast((child) => child.children?.[0]?.value === String(segment))
        ?.children?.[1];
    } else node = undefined;
    if (!node) return root.offset;
  }
  return node!.offset;
}

/** Paths into a value: every path that exists, and some that do not. */
function pathsOf(value: unknown, prefix: JsonPathSegment[] = [], out: JsonPathSegment[][] = []) {
  out.push(prefix, [...prefix, "missing"], [...prefix, 7]);
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...prefix, i], out));
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  }
  return out.slice(0, 60);
}

Deno.test("JSON.parse and jsonc-parser agree on every strict JSON text, values and places", async () => {
  const jsonc = await loadJsonc();
  const spaced = fc.tuple(fc.jsonValue(), fc.constantFrom(undefined, 1, 2, "\t", " \r\n "))
    .map(([value, space]) => JSON.stringify(value, null, space as string | number));
  const texts = fc.oneof(
    spaced,
    fc.json(),
    // Prototype-looking keys, escaped keys (a repeated key is refused, on either path: below).
    fc.constantFrom(
      '{"__proto__": {"x": 1}, "y": [{"__proto__": 2}]}',
      '{"\\u0061": 1, "a\\"b": {"c\\\\": [true, null]}}',
      '[ 1 , [ ] , { } , "\\ud800" , -0.5e-3 ]',
      "[1e400, -0, -1e-400, 12345678901234567890, 1E+2]",
    ),
  );
  fc.assert(
    fc.property(texts, (text) => {
      const errors: unknown[] = [];
      const root = jsonc.parseJsonTree(text, errors as never[], { allowTrailingComma: true });
      assert.deepEqual(errors, [], text);
      const value = JSON.parse(text);
      assert.deepStrictEqual(readValue(text, true), value, text);
      assert.deepStrictEqual(readValue(text, false), value, text);
      for (const path of pathsOf(value)) {
        assert.equal(jsonValueOffset(text, path), treeOffset(root!, path), `${text} at ${path}`);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("a key repeated in an object is refused alike as JSON and as JSONC", () => {
  for (const text of ['{"a": 1, "a": [2, {"b": 3}], "c": 4}', '[{"b": {}, "\\u0062": 1}]']) {
    const messages = [true, false].map((strict) => {
      try {
        readValue(text, strict);
        return "accepted";
      } catch (error) {
        return (error as Error).message;
      }
    });
    assert.match(messages[0]!, /^<input>:1:\d+: duplicate key "[ab]" in x(\.0)?; first at 1:\d+$/);
    assert.equal(messages[1], messages[0]);
  }
});

/** The value parseTaskFile() reads from `text`, set in a task file: `strict` JSON or JSONC. */
function readValue(text: string, strict: boolean): unknown {
  const wrapped = `{"tasks": [], "x": ${text}}${strict ? "" : " // JSONC"}`;
  return parseTaskFile(wrapped).document.x;
}

Deno.test("a __proto__ key is an own property on either path, as JSON.parse makes it", () => {
  const text = '{"__proto__": {"tasks": []}, "tasks": [{"name": "a", "type": "exec", ' +
    '"arguments": "true", "env": {"__proto__": "x"}}]}';
  for (const source of [text, `${text} // JSONC`]) {
    const { document, tasks } = parseTaskFile(source);
    assert.ok(Object.hasOwn(document, "__proto__"), source);
    assert.equal(Object.getPrototypeOf(document), Object.prototype);
    assert.deepEqual(Object.keys(tasks[0]!.env!), ["__proto__"]);
  }
  // Without its own "tasks", a document is refused the same way on both paths.
  const bare = '{"__proto__": {"tasks": []}}';
  for (const source of [bare, `${bare} // JSONC`]) {
    assert.throws(() => parseTaskFile(source, { file: "t.json" }), {
      message: 't.json:1:1: missing required field "tasks"',
    });
  }
});

Deno.test("every bad-input file gives the same message read as JSON or as JSONC", async () => {
  const corpus = new URL("fixtures/invalid/", import.meta.url);
  let compared = 0;
  for await (const entry of Deno.readDir(corpus)) {
    if (!entry.name.endsWith(".json")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, corpus)).catch(() => undefined);
    if (text === undefined) continue;
    try {
      JSON.parse(text);
    } catch {
      continue; // only jsonc-parser reads it: nothing to compare
    }
    const message = (source: string) => {
      try {
        validate(parseTaskFile(source, { file: entry.name }));
        return "valid";
      } catch (error) {
        return (error as Error).message;
      }
    };
    // A trailing comment changes no offset but takes the text off JSON.parse's path.
    assert.equal(message(text), message(`${text}\n// JSONC`), entry.name);
    compared++;
  }
  assert.ok(compared >= 15, `only ${compared} files compared`);
});

Deno.test("resolvePath() and directoryOf() agree with node:path", () => {
  const segment = fc.constantFrom("", "/", "a", "b", ".", "..", "//", "a/", "/a", "x/../y", "./");
  const path = fc.array(segment, { maxLength: 6 }).map((parts) => parts.join(""));
  fc.assert(
    fc.property(fc.array(path, { maxLength: 4 }), (paths) => {
      const resolved = resolvePath(...paths);
      assert.equal(resolved, posix.resolve(...paths));
      assert.equal(directoryOf(resolved), posix.dirname(resolved));
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("a plain exec run never touches the timer globals (their first use loads Node's timers)", async () => {
  // In this Deno the first read of setTimeout or clearTimeout loads the Node timers
  // polyfill: about 6 ms per process, on a one-task run as much as the rest of the work.
  const dir = await Deno.makeTempDir({ prefix: "dagrun-timers-" });
  const file = `${dir}/tasks.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({ tasks: [{ name: "a", type: "exec", arguments: "true" }] }),
  );
  const script = `${dir}/probe.ts`;
  await Deno.writeTextFile(
    script,
    `const reads: string[] = [];
for (const name of ["setTimeout", "clearTimeout", "setInterval", "clearInterval"]) {
  const original = (globalThis as Record<string, unknown>)[name];
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get: () => (reads.push(name), original),
  });
}
const { main } = await import(${JSON.stringify(new URL("mod.ts", ROOT).href)});
const code = await main([${JSON.stringify(file)}]);
console.log(JSON.stringify({ code, reads }));
`,
  );
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", script],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
    assert.deepEqual(JSON.parse(lines.at(-1)!), { code: 0, reads: [] }, lines.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
