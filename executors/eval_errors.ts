/**
 * Describing what an eval snippet threw: a one-line error for the report, and the details
 * (stack frames, code excerpt) for the task's stderr, with every place renamed after the task
 * (`<build>:2:9`) and the worker's own frames left out.
 *
 * @module
 */

/** Lines the async-function wrapper puts before the snippet's first line. */
const FUNCTION_HEADER_LINES = 2;

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const DATA_URL = /data:application\/typescript;base64,[A-Za-z0-9+/=]*/g;
/** A frame of the async-function path: `eval at … <anonymous>:LINE:COL`. */
const FUNCTION_FRAME = /\beval at .*<anonymous>:(\d+):(\d+)\)?$/;
/** A frame of the module path, after data URLs were renamed. */
const MODULE_FRAME = /<SNIPPET>:(\d+):(\d+)\)?$/;

/** What a snippet threw, described. */
export interface ThrownDescription {
  /** One line for the report: `RangeError: too far`, `SyntaxError: … at <t>:1:5`. */
  readonly error: string;
  /** The same with the snippet's frames or code excerpt, for the task's stderr. */
  readonly detail: string;
}

/** Describes a value a snippet threw, naming places after the task. */
export function describeThrown(value: unknown, task: string): ThrownDescription {
  if (!(value instanceof Error)) {
    const error = `threw a non-Error value: ${Deno.inspect(value, { colors: false })}`;
    return { error, detail: error };
  }
  const name = value.name || "Error";
  const message = rename(String(value.message ?? ""), task);
  // Module load errors (syntax, missing module) carry the place in the message.
  const lines = message.split("\n");
  const head = `${name}: ${lines[0]!.trim()}`.replace(/^TypeError: (\w*Error): /, "$1: ");
  const place = lines.slice(1).join("\n").match(/at (<[^>\n]*>:\d+:\d+)/)?.[1];
  // A relative import, and an absolute path too, resolved against the snippet's data: URL.
  const hint = /cannot-be-a-base|Import "(\.\.?)?\//.test(head)
    ? " (an eval snippet has no base URL: import a file by its file:// URL)"
    : "";
  const error = place && !head.includes(place) ? `${head} at ${place}${hint}` : head + hint;
  const rest = lines.slice(1).filter((line) => !/^\s+at /.test(line) || line.includes(`<${task}>`));
  // A module load error names its place in the message and again as the stack's frame.
  const frames = snippetFrames(value.stack ?? "", task).split("\n")
    .filter((frame) => frame !== "" && !rest.includes(frame));
  const detail = [head, ...rest, ...frames].join("\n");
  return { error, detail };
}

/** Renames the snippet's module URL after the task and drops terminal colours. */
function rename(text: string, task: string): string {
  return text.replace(ANSI, "").replace(DATA_URL, `<${task}>`);
}

/** The stack frames of a stack that belong to the snippet, renamed after the task. */
export function snippetFrames(stack: string, task: string): string {
  const frames: string[] = [];
  for (const line of stack.replace(DATA_URL, "<SNIPPET>").split("\n")) {
    if (!/^\s+at /.test(line)) continue;
    const inFunction = line.match(FUNCTION_FRAME);
    if (inFunction) {
      const row = Number(inFunction[1]) - FUNCTION_HEADER_LINES;
      frames.push(`    at ${frameName(line)}<${task}>:${row}:${inFunction[2]}`);
      continue;
    }
    const inModule = line.match(MODULE_FRAME);
    if (inModule) frames.push(`    at ${frameName(line)}<${task}>:${inModule[1]}:${inModule[2]}`);
  }
  return frames.join("\n");
}

/** Keeps the snippet's frames in `console.trace` output, dropping the worker's. */
export function rewriteTrace(text: string, task: string): string {
  const lines = text.split("\n");
  const kept = lines.filter((line) => !/^\s+at /.test(line));
  const frames = snippetFrames(text, task);
  if (!frames) return kept.join("\n");
  const first = kept.shift() ?? "";
  return [first, frames, ...kept].join("\n");
}

function frameName(line: string): string {
  const name = line.match(/^\s+at (?:async )?([^\s(]+) \(/)?.[1];
  return name && name !== "eval" && !name.startsWith("<SNIPPET>") ? `${name} ` : "";
}
