/**
 * The library's documentation holds: `deno doc --lint` finds nothing to report on the public
 * surface, every exported symbol has an example, and every example type-checks.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runCommand } from "./plugin_helpers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ENTRY_POINTS = ["mod.ts", "executors/http.ts", "executors/deno.ts"];

Deno.test("deno doc --lint is clean on the exported modules", async () => {
  const result = await runCommand(Deno.execPath(), ["doc", "--lint", ...ENTRY_POINTS], {
    cwd: ROOT,
  });
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

Deno.test("every symbol exported from mod.ts and the plugins has an @example", async () => {
  const result = await runCommand(Deno.execPath(), ["doc", "--json", ...ENTRY_POINTS], {
    cwd: ROOT,
  });
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as {
    nodes: Record<string, { symbols: DocSymbol[] }>;
  };
  const missing: string[] = [];
  for (const [file, node] of Object.entries(doc.nodes)) {
    for (const symbol of node.symbols) {
      const tags = symbol.declarations.flatMap((declaration) => declaration.jsDoc?.tags ?? []);
      if (!tags.some((tag) => tag.kind === "example")) {
        missing.push(`${file.slice(file.lastIndexOf("/") + 1)}: ${symbol.name}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("the examples in the documentation type-check", async () => {
  const result = await runCommand(
    Deno.execPath(),
    ["check", "--doc-only", "mod.ts", "src/", "executors/"],
    { cwd: ROOT },
  );
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

interface DocSymbol {
  name: string;
  declarations: { jsDoc?: { tags?: { kind: string }[] } }[];
}
