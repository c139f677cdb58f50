/**
 * The task graph as Graphviz DOT or Mermaid text, edges from a dependency to its dependent,
 * nodes coloured by a previous run's statuses when given.
 *
 * @module
 */

import type { TaskSpec, TerminalStatus } from "../types.ts";
import { printable, printableKey } from "./printable.ts";

/** Text formats of {@linkcode formatGraph}. */
export type GraphFormat = "dot" | "mermaid";

/** Fill colours by status, shared by both formats and the HTML timeline. */
export const STATUS_COLORS: Record<TerminalStatus, string> = {
  ok: "#4caf50",
  failed: "#e53935",
  skipped: "#bdbdbd",
};

/**
 * Renders the graph of `tasks` in `format`.
 *
 * @example
 * ```ts
 * import { formatGraph } from "./graph.ts";
 * const tasks = [
 *   { name: "build", type: "exec", arguments: "make", dependencies: [] },
 *   { name: "test", type: "exec", arguments: "make test", dependencies: ["build"] },
 * ];
 * formatGraph(tasks, "mermaid");
 * // flowchart LR
 * //   t0["build"]
 * //   t1["test"]
 * //   t0 --> t1
 * ```
 */
export function formatGraph(
  tasks: readonly TaskSpec[],
  format: GraphFormat,
  statuses: ReadonlyMap<string, TerminalStatus> = new Map(),
): string {
  return format === "dot" ? toDot(tasks, statuses) : toMermaid(tasks, statuses);
}

function toDot(tasks: readonly TaskSpec[], statuses: ReadonlyMap<string, TerminalStatus>) {
  const lines = [
    "digraph dagrun {",
    "  rankdir=LR;",
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="sans-serif"];',
  ];
  for (const task of tasks) {
    const status = statuses.get(task.name);
    const fill = status ? `, fillcolor="${STATUS_COLORS[status]}"` : "";
    const tooltip = status ? ` (${status})` : "";
    const node = dotNode(task.name);
    const label = node.label === undefined ? "" : `label=${node.label}, `;
    lines.push(`  ${node.id} [${label}tooltip=${dotId(`${task.type}${tooltip}`)}${fill}];`);
  }
  for (const task of tasks) {
    for (const dependency of task.dependencies) {
      lines.push(`  ${dotNode(dependency).id} -> ${dotNode(task.name).id};`);
    }
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

/**
 * A node's DOT quoted ID, and its label when the ID would not show as the name. The ID must
 * be one per task, as printable() is not: it is the name's printableKey(), its quotes escaped.
 * DOT keeps that key's `\\` and `\uXXXX` as written in an ID (only `\"` is an escape there);
 * in a label, `\\` shows as one backslash.
 */
function dotNode(name: string): { id: string; label?: string } {
  const id = `"${printableKey(name).replaceAll('"', '\\"')}"`;
  // Nothing escaped but backslashes (printable() returns the name itself): the ID shows it.
  return printable(name) === name ? { id } : { id, label: dotId(name) };
}

/** A DOT quoted string showing `text` as dagrun prints it: backslashes and quotes escaped. */
function dotId(text: string): string {
  const escaped = printable(text).replaceAll("\\", "\\\\").replaceAll('"', '\\"');
  return `"${escaped}"`;
}

function toMermaid(tasks: readonly TaskSpec[], statuses: ReadonlyMap<string, TerminalStatus>) {
  // Mermaid IDs are restricted; names go in quoted labels, with its entity escapes.
  const ids = new Map(tasks.map((task, i) => [task.name, `t${i}`]));
  const lines = ["flowchart LR"];
  for (const task of tasks) lines.push(`  ${ids.get(task.name)}["${mermaidText(task.name)}"]`);
  for (const task of tasks) {
    for (const dependency of task.dependencies) {
      const from = ids.get(dependency);
      if (from !== undefined) lines.push(`  ${from} --> ${ids.get(task.name)}`);
    }
  }
  for (const status of ["ok", "failed", "skipped"] as const) {
    const members = tasks.filter((task) => statuses.get(task.name) === status);
    if (members.length === 0) continue;
    lines.push(`  classDef ${status} fill:${STATUS_COLORS[status]},color:#000`);
    lines.push(`  class ${members.map((task) => ids.get(task.name)).join(",")} ${status}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * A label as Mermaid's entity codes write it: `"` would end the string, `#` start an entity,
 * `<>&` be read as HTML, a space at either end be trimmed, and a leading backtick open a
 * Markdown string (`"` then a backtick), which a name like `` `a`b `` cannot close; every
 * backtick is escaped, for simplicity.
 */
function mermaidText(text: string): string {
  // Mermaid trims a label (JavaScript's trim(): every Unicode space): its spaces at either end
  // are kept as codes, decoded only once trimmed, so that "a " is not drawn as "a".
  return printable(text).replace(
    /["#<>&`]|^\s+|\s+$/g,
    (match) => [...match].map((c) => `#${c.codePointAt(0)};`).join(""),
  );
}
