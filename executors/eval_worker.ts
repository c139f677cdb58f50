/// <reference lib="deno.worker" />
/**
 * The Web Worker that runs `eval` snippets, one at a time, for the pool in `eval.ts`.
 *
 * A snippet that is plain JavaScript without `import` runs as the body of an async function
 * (cheap: no module machinery); anything else — TypeScript, `import` — runs as a module of
 * its own from a `data:` URL. Either way its top-level declarations are its own. `console.*`
 * is captured with Deno's formatting and sent to the main thread line by line.
 *
 * @module
 */

import type { EvalRequest, EvalResponse } from "./eval_protocol.ts";

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  body: string,
) => () => Promise<unknown>;

/** The task whose snippet is running; output and stray errors are charged to it. */
let currentId = -1;
let currentName = "";
/** Set when a stray error (timer, unhandled rejection) failed the current task early. */
let currentFailed = false;

function post(message: EvalResponse): void {
  self.postMessage(message);
}

// ---- console capture -------------------------------------------------------------------

const inspectOptions = { colors: false, depth: 4 } as const;
let groupIndent = "";

function format(args: unknown[]): string {
  const first = args[0];
  let text = "";
  let rest = args;
  if (typeof first === "string" && first.includes("%") && args.length > 1) {
    let index = 1;
    text = first.replace(/%([sdifoOjc%])/g, (match, specifier: string) => {
      if (specifier === "%") return "%";
      if (index >= args.length) return match;
      const value = args[index++];
      switch (specifier) {
        case "s":
          return typeof value === "string" ? value : Deno.inspect(value, inspectOptions);
        case "d":
        case "i":
          return String(specifier === "i" ? Math.trunc(Number(value)) : Number(value));
        case "f":
          return String(Number(value));
        case "c":
          return "";
        default:
          return Deno.inspect(value, inspectOptions);
      }
    });
    rest = args.slice(index);
  } else if (args.length > 0) {
    text = typeof first === "string" ? first : Deno.inspect(first, inspectOptions);
    rest = args.slice(1);
  }
  for (const value of rest) {
    text += " " + (typeof value === "string" ? value : Deno.inspect(value, inspectOptions));
  }
  return text;
}

function emit(stream: "stdout" | "stderr", text: string): void {
  if (currentId < 0) return;
  const indented = groupIndent ? text.replace(/^/gm, groupIndent) : text;
  post({ id: currentId, kind: "output", stream, text: indented });
}

const counts = new Map<string, number>();
const timers = new Map<string, number>();
const captured: Partial<Console> = {
  log: (...args: unknown[]) => emit("stdout", format(args)),
  info: (...args: unknown[]) => emit("stdout", format(args)),
  debug: (...args: unknown[]) => emit("stdout", format(args)),
  warn: (...args: unknown[]) => emit("stderr", format(args)),
  error: (...args: unknown[]) => emit("stderr", format(args)),
  trace: (...args: unknown[]) =>
    emit("stderr", `Trace${args.length ? ": " + format(args) : ""}\n${snippetFrames(new Error())}`),
  dir: (value: unknown) => emit("stdout", Deno.inspect(value, inspectOptions)),
  dirxml: (...args: unknown[]) => emit("stdout", format(args)),
  table: (data: unknown) => emit("stdout", tableText(data)),
  assert: (condition?: boolean, ...args: unknown[]) => {
    if (!condition) emit("stderr", `Assertion failed${args.length ? ": " + format(args) : ""}`);
  },
  count: (label = "default") => {
    const count = (counts.get(label) ?? 0) + 1;
    counts.set(label, count);
    emit("stdout", `${label}: ${count}`);
  },
  countReset: (label = "default") => void counts.delete(label),
  group: (...args: unknown[]) => {
    if (args.length) emit("stdout", format(args));
    groupIndent += "  ";
  },
  groupCollapsed: (...args: unknown[]) => captured.group!(...args),
  groupEnd: () => void (groupIndent = groupIndent.slice(2)),
  time: (label = "default") => void timers.set(label, performance.now()),
  timeLog: (label = "default", ...args: unknown[]) => {
    const start = timers.get(label);
    if (start !== undefined) {
      emit("stdout", `${label}: ${Math.round(performance.now() - start)}ms ${format(args)}`.trim());
    }
  },
  timeEnd: (label = "default") => {
    captured.timeLog!(label);
    timers.delete(label);
  },
};
Object.assign(globalThis.console, captured);

/**
 * `console.table` drawn like Deno draws it. Deno's own implementation prints straight to the
 * process's stdout with no hook to capture it, so the box is drawn here.
 */
function tableText(data: unknown): string {
  if (data === null || typeof data !== "object") return format([data]);
  const rows = Object.entries(data as Record<string, unknown>);
  const columns = new Set<string>();
  for (const [, row] of rows) {
    if (row !== null && typeof row === "object") {
      for (const key of Object.keys(row)) columns.add(key);
    }
  }
  const hasValues = rows.some(([, row]) => row === null || typeof row !== "object");
  const header = ["(idx)", ...columns, ...(hasValues ? ["Values"] : [])];
  const cell = (value: unknown) =>
    value === undefined
      ? ""
      : typeof value === "string"
      ? value
      : Deno.inspect(value, inspectOptions);
  const body = rows.map(([key, row]) => {
    const isObject = row !== null && typeof row === "object";
    return [
      key,
      ...[...columns].map((column) =>
        isObject ? cell((row as Record<string, unknown>)[column]) : ""
      ),
      ...(hasValues ? [isObject ? "" : cell(row)] : []),
    ];
  });
  const widths = header.map((title, c) =>
    Math.max(title.length, ...body.map((row) => row[c]!.length)) + 2
  );
  const center = (text: string, width: number) => {
    const left = Math.floor((width - text.length) / 2);
    return " ".repeat(left) + text + " ".repeat(width - text.length - left);
  };
  const line = (l: string, m: string, r: string) =>
    l + widths.map((w) => "─".repeat(w)).join(m) + r;
  const row = (cells: string[]) => "│" + cells.map((c, i) => center(c, widths[i]!)).join("│") + "│";
  return [
    line("┌", "┬", "┐"),
    row(header),
    line("├", "┼", "┤"),
    ...body.map(row),
    line("└", "┴", "┘"),
  ].join("\n");
}

// ---- errors ----------------------------------------------------------------------------

/** Marks every stack frame of a snippet so it can be told from the worker's own. */
const SNIPPET_MARK = "dagrun-snippet";

/** Lines the async-function wrapper adds before the snippet's first line. */
const FUNCTION_HEADER_LINES = 2;

/** The stack frames that belong to the snippet, renamed after the task. */
function snippetFrames(error: unknown): string {
  const stack = error instanceof Error ? error.stack ?? "" : "";
  const frames: string[] = [];
  for (const line of stack.split("\n")) {
    if (!/^\s+at /.test(line)) continue;
    const anonymous = line.match(/<anonymous>:(\d+):(\d+)\)?$/);
    if (anonymous && line.includes("eval at")) {
      const row = Number(anonymous[1]) - FUNCTION_HEADER_LINES;
      frames.push(`    at ${frameName(line)}<${currentName}>:${row}:${anonymous[2]}`);
      continue;
    }
    const module = line.match(/data:application\/typescript;base64,[^:)]*:(\d+):(\d+)\)?$/);
    if (module) frames.push(`    at ${frameName(line)}<${currentName}>:${module[1]}:${module[2]}`);
  }
  return frames.join("\n");
}

function frameName(line: string): string {
  const name = line.match(/^\s+at (?:async )?([^\s(]+) \(/)?.[1];
  return name && name !== "eval" && !name.startsWith("data:") ? `${name} ` : "";
}

/** A one-line description of what a snippet threw, and its frames for the output. */
function describeThrown(value: unknown): { error: string; frames: string } {
  if (value instanceof Error) {
    const head = `${value.name}: ${value.message}`;
    return { error: head.split("\n")[0]!, frames: snippetFrames(value) };
  }
  return { error: `threw ${Deno.inspect(value, inspectOptions)}`, frames: "" };
}

function fail(id: number, value: unknown, prefix = ""): void {
  const { error, frames } = describeThrown(value);
  if (id === currentId) emit("stderr", frames ? `${prefix}${error}\n${frames}` : prefix + error);
  post({ id, kind: "done", ok: false, error: prefix + error });
}

// A stray error after the snippet returned, or a promise rejected and never handled, fails
// the task it belongs to instead of killing the worker.
self.addEventListener("error", (event) => {
  event.preventDefault();
  if (currentId >= 0 && !currentFailed) {
    currentFailed = true;
    fail(currentId, event.error ?? event.message, "uncaught ");
  }
});
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  if (currentId >= 0 && !currentFailed) {
    currentFailed = true;
    fail(currentId, event.reason, "unhandled rejection: ");
  }
});

// ---- running ---------------------------------------------------------------------------

function compileFast(code: string): (() => Promise<unknown>) | undefined {
  // `import`/`export` need a module; TypeScript syntax fails to compile and goes there too.
  if (/\b(?:import|export)\b/.test(code)) return undefined;
  try {
    return new AsyncFunction(code);
  } catch {
    return undefined;
  }
}

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

async function runSnippet(request: EvalRequest): Promise<void> {
  currentId = request.id;
  currentName = request.name;
  currentFailed = false;
  groupIndent = "";
  try {
    const fast = compileFast(request.code);
    if (fast) {
      await fast();
    } else {
      // A comment makes every module unique, so two tasks with the same code both run.
      const source = `${request.code}\n// ${SNIPPET_MARK} ${request.id}\n`;
      await import(`data:application/typescript;base64,${toBase64(source)}`);
    }
    if (!currentFailed) post({ id: request.id, kind: "done", ok: true });
  } catch (error) {
    if (!currentFailed) fail(request.id, error);
  }
}

self.onmessage = (event: MessageEvent<EvalRequest>) => {
  void runSnippet(event.data);
};
post({ id: -1, kind: "ready" });
