/**
 * A program for the Mermaid export's test: parses a flowchart, read on stdin, with Mermaid's
 * own parser, and prints what it read as JSON: `{ "vertices": [[id, label], …], "edges":
 * [[from, to], …] }` (labels with Mermaid's entity codes decoded, as it draws them), or
 * `{ "error": "…" }`. Mermaid wants a DOM for its HTML sanitizer, which linkedom stands in
 * for; run by `deno run` so that the test process gets none of these globals.
 *
 * Usage: `deno run -A --lock=tests/mermaid_parse.lock --frozen tests/mermaid_parse.ts < graph.mmd`.
 *
 * @module
 */

// Imported by a name in a variable: neither `deno check .` nor deno.lock takes these (about
// 80 MB) in; the test runs this with its own lock file, tests/mermaid_parse.lock, which pins
// every package of their trees.
const LINKEDOM = "npm:linkedom@0.18.15", MERMAID = "npm:mermaid@11.17.2";
const { parseHTML } = await import(LINKEDOM);
const dom = parseHTML("<!DOCTYPE html><html><body></body></html>");
Object.assign(globalThis, { window: dom.window, document: dom.document });
const { default: mermaid } = await import(MERMAID);

const text = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
try {
  await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  // deno-lint-ignore no-explicit-any -- the flowchart database is not in Mermaid's types
  const db = diagram.db as any;
  const vertices = [...db.getVertices().values()].map((vertex: { id: string; text: string }) => [
    vertex.id,
    decodeEntities(vertex.text),
  ]);
  const edges = db.getEdges().map((edge: { start: string; end: string }) => [edge.start, edge.end]);
  console.log(JSON.stringify({ vertices, edges }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error) }));
}

/** Mermaid's decodeEntities: its placeholders for `#60;` and `#lt;` back to characters. */
function decodeEntities(label: string): string {
  return label
    .replace(/ﬂ°°(\d+)¶ß/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/ﬂ°(\w+)¶ß/g, (_, name) => `&${name};`);
}
