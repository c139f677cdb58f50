/**
 * The errors dagrun reports to users, each carrying its exit code.
 *
 * @module
 */

import { printable, printableKey, unicodeEscape } from "./format/printable.ts";

/**
 * Exit codes of the command-line program.
 *
 * @example
 * ```ts
 * import { ExitCode, run } from "@dagrun/dagrun";
 *
 * const report = await run([{ name: "a", type: "exec", arguments: "true" }]);
 * Deno.exitCode = report.ok ? ExitCode.Ok : ExitCode.TaskFailed;
 * ```
 */
export const ExitCode = {
  /** Every task ended ok. */
  Ok: 0,
  /** A task failed or was skipped. */
  TaskFailed: 1,
  /** The input or the command line was invalid; nothing ran. */
  InvalidInput: 2,
  /** Interrupted by SIGINT (128 + 2). */
  Interrupted: 130,
  /**
   * dagrun could not write its standard output (other than a reader that went away, which is
   * 141) or a report file: a full disk, an I/O error. `EX_IOERR` of `sysexits.h`.
   */
  OutputFailed: 74,
} as const;

/**
 * A place in a task file.
 *
 * @example
 * ```ts
 * import type { SourcePosition } from "@dagrun/dagrun";
 *
 * const where: SourcePosition = { file: "tasks.json", line: 12, column: 7 };
 * ```
 */
export interface SourcePosition {
  /** The file as the user named it, or `<stdin>`. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /**
   * 1-based column, in characters (Unicode code points): an emoji is one column, as in rustc
   * and editors, not the two UTF-16 units JavaScript counts.
   */
  readonly column: number;
}

/**
 * Marks an instance of one of dagrun's error classes, by a registry symbol that every copy of
 * this module shares: the bundle holds one copy, and the modules it imports late (`--dry-run`'s,
 * commander's program) load another from `src/`, whose errors a plain `instanceof` would miss
 * (reported as an internal error, exit status 70).
 */
function brand(error: Error, name: string): void {
  Object.defineProperty(error, Symbol.for(`dagrun.${name}`), { value: true });
}

/**
 * `value instanceof checked`, where `checked` is `branded` (the class named `name`) or a
 * subclass of it: for the class itself, whether the value carries its brand (from any copy of
 * the module); a subclass keeps the usual prototype walk (a bundler may rename classes: not
 * by name).
 */
function isInstance(
  checked: abstract new (...args: never[]) => unknown,
  branded: abstract new (...args: never[]) => unknown,
  name: string,
  value: unknown,
): boolean {
  if (checked !== branded) return Function.prototype[Symbol.hasInstance].call(checked, value);
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[Symbol.for(`dagrun.${name}`)] === true;
}

/**
 * A problem with a task file, found before anything runs. Its message is one line:
 * `FILE:LINE:COL: task "NAME": what is wrong`.
 *
 * @example
 * ```ts
 * import { TaskFileError, validate } from "@dagrun/dagrun";
 *
 * try {
 *   validate([{ name: "a", type: "nope", arguments: "" }]);
 * } catch (error) {
 *   if (!(error instanceof TaskFileError)) throw error;
 *   error.task; // "a"
 *   error.detail; // 'unknown type "nope"; registered types: eval, exec'
 *   error.exitCode; // 2
 * }
 * ```
 */
export class TaskFileError extends Error {
  /** True for an instance of any copy of this module's class (see `brand`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, TaskFileError, "TaskFileError", value);
  }

  /** The exit code this error ends the program with. */
  readonly exitCode: number = ExitCode.InvalidInput;
  /** Where the problem is, when it is in the file. */
  readonly position: SourcePosition | undefined;
  /** The task concerned, when there is one. */
  readonly task: string | undefined;
  /** The problem alone, without place or task. */
  readonly detail: string;

  /** Builds the error from its parts; the message is derived from them. */
  constructor(
    detail: string,
    where: { file: string; position?: SourcePosition | undefined; task?: string | undefined },
  ) {
    super(whereText(detail, where));
    this.name = "TaskFileError";
    brand(this, "TaskFileError");
    this.position = where.position;
    this.task = where.task;
    this.detail = detail;
  }
}

/**
 * `FILE:LINE:COL: task "NAME": DETAIL`, the form of every message about a place in a task
 * file ({@linkcode TaskFileError}'s and the load's warnings); the file alone when there is no
 * position, no task part when there is no task.
 */
export function whereText(
  detail: string,
  where: { file: string; position?: SourcePosition | undefined; task?: string | undefined },
): string {
  // Printable here, as each part of the detail is: the printing of the whole message would
  // escape the quoted names a second time.
  const place = printable(
    where.position
      ? `${where.position.file}:${where.position.line}:${where.position.column}`
      : where.file,
  );
  const task = where.task === undefined ? "" : ` task ${quote(where.task)}:`;
  return `${place}:${task} ${detail}`;
}

/**
 * Output that could not be written: standard output (a full disk, an I/O error) or a report
 * file. Its message is one line naming what could not be written, and why.
 *
 * @example
 * ```ts
 * import { OutputError } from "@dagrun/dagrun";
 *
 * const error = new OutputError("run.ndjson: cannot write report: No space left on device");
 * error.exitCode; // 74
 * ```
 */
export class OutputError extends Error {
  /** True for an instance of any copy of this module's class (see `brand`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, OutputError, "OutputError", value);
  }

  /** The exit code this error ends the program with. */
  readonly exitCode: number = ExitCode.OutputFailed;

  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "OutputError";
    brand(this, "OutputError");
  }
}

/**
 * A bad command line: unknown option, missing argument, bad value.
 *
 * @example
 * ```ts
 * import { UsageError } from "@dagrun/dagrun";
 *
 * const error = new UsageError("Missing the task file: dagrun FILE");
 * error.exitCode; // 2
 * ```
 */
export class UsageError extends Error {
  /** True for an instance of any copy of this module's class (see `brand`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isInstance(this, UsageError, "UsageError", value);
  }

  /** The exit code this error ends the program with. */
  readonly exitCode: number = ExitCode.InvalidInput;

  /**
   * Whether the error is about the command line as a whole (a command mistyped), so that the
   * hint after it points to the general help (`dagrun --help`, which lists the commands)
   * rather than to the help of the command in use (`dagrun validate --help`).
   */
  readonly generalHelp: boolean;

  /** Builds the error. */
  constructor(message: string, options: { generalHelp?: boolean } = {}) {
    super(message);
    this.name = "UsageError";
    this.generalHelp = options.generalHelp ?? false;
    brand(this, "UsageError");
  }
}

/**
 * The usage error for an empty path given for `what` (`--report`, `The task file`): Deno's
 * "no such file or directory" would name no file, the line beginning `dagrun: : cannot read`.
 */
export function emptyPathError(what: string): UsageError {
  return new UsageError(`${what} needs a file name, and "" is none`);
}

/**
 * Quotes a user-supplied value for a one-line message: JSON string syntax, so newlines and
 * control characters are visible instead of breaking the line. Every character that
 * `printable()` escapes is escaped here too (JSON leaves DEL, the C1 controls and the
 * invisible ones that reorder a line), so that the printing of the whole message, which
 * escapes the message again (backslashes doubled) once anything in it needs escaping, finds
 * nothing to escape in a quoted value.
 */
export function quote(value: string, options: QuoteOptions = {}): string {
  const quoteWhole = options.ascii ? asciiJsonQuote : jsonQuote;
  // A message is one line meant to be read: a 5 MB name is shown by its ends.
  if (value.length > MAX_QUOTED) {
    const half = MAX_QUOTED / 2;
    return `${quoteWhole(value.slice(0, half))}…(${value.length} characters)…${
      quoteWhole(value.slice(-half))
    }`;
  }
  return quoteWhole(value);
}

/** How {@linkcode quote} writes a value. */
export interface QuoteOptions {
  /**
   * Every character of the value beyond ASCII as a `\u` escape too, to tell apart two names
   * that look alike; the `…` shortening a long one is quote's own, written as it is.
   */
  readonly ascii?: boolean;
}

/** {@linkcode jsonQuote} with every code unit beyond ASCII a `\u` escape. */
function asciiJsonQuote(value: string): string {
  return jsonQuote(value).replace(/[^\x20-\x7e]/g, unicodeEscape);
}

/** JSON string syntax with every character printable() would escape as a `\u` escape. */
function jsonQuote(value: string): string {
  const json = JSON.stringify(value);
  if (printable(json) === json) return json;
  // JSON.stringify escapes C0 controls, backslashes and lone surrogates: what is left to
  // escape is a character beyond ASCII, each looked at whole (a noncharacter past the first
  // plane is two code units), which printableKey() writes as printable() would.
  return json.replace(/[^\x20-\x7e]/gu, (character) => printableKey(character));
}

/**
 * A value of the wrong kind as a message names it, after "not": its kind, with the value for a
 * string, a number or a boolean — `a string ("b")`, `a number (3)`, `a boolean (true)`,
 * `null`, `an array`, `an object`. The one wording of every such message: the task file's
 * (`"dependencies" must be an array, not a string ("b")`), the library's arguments and the
 * eval permissions'.
 *
 * @example
 * ```ts
 * import { describeValue } from "./errors.ts";
 *
 * describeValue("b"); // 'a string ("b")'
 * describeValue([1]); // "an array"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  switch (typeof value) {
    case "string":
      return `a string (${quote(value)})`;
    case "number":
    case "boolean":
      return `a ${typeof value} (${value})`;
    case "bigint":
      return `a bigint (${value}n)`;
    case "object":
      return Array.isArray(value) ? "an array" : "an object";
    default:
      return `a ${typeof value}`; // a function, a symbol
  }
}

/**
 * An OS error's reason alone, for a message that names its file itself — the one wording of
 * every file dagrun reads or writes (`cannot read report: permission denied`): Deno's message
 * without its tail, which repeats the error number, the call and the path (`Is a directory
 * (os error 21): readfile 'x'`), in lower case as the rest of the line is; a directory is
 * `it is a directory`, and Deno's own refusal (no `--allow-read`) names the flag that allows it.
 *
 * @example
 * ```ts
 * import { osErrorReason } from "./errors.ts";
 *
 * osErrorReason(new Error("Permission denied (os error 13): open '/x'")); // "permission denied"
 * ```
 */
export function osErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const refused = /^Requires (\w+) access to .*, run again with the (--allow-\w+) flag/s.exec(
    message,
  );
  if (refused) {
    const [, kind, flag] = refused;
    return kind === "read" || kind === "write"
      ? `no permission to ${kind} it (${flag})`
      : `no ${kind} permission (${flag})`;
  }
  const reason = message.replace(/ \(os error \d+\)[\s\S]*$/, "").replace(/: open '.*'$/s, "");
  if (/^is a directory$/i.test(reason)) return "it is a directory";
  // "Permission denied", not "EOF" or "ID": only a capital before a lower-case letter.
  return /^[A-Z][a-z]/.test(reason) ? reason[0]!.toLowerCase() + reason.slice(1) : reason;
}

/**
 * The one-line error for a module of dagrun's own that Deno did not find where its URL says
 * (`Module not found "URL".`), or `undefined` for any other error: a copy of the bundle
 * `dist/dagrun.js` run away from its checkout, whose late modules (`importLate` in `deps.ts`,
 * the eval worker) are not beside it. It names the module Deno names, which is the one missing
 * when a module that the one imported imports is, and says what to run instead.
 *
 * @example
 * ```ts
 * import { missingModuleError } from "./errors.ts";
 *
 * missingModuleError(new TypeError('Module not found "file:///opt/src/deps/jsonc.ts".'))?.message;
 * // "/opt/src/deps/jsonc.ts: cannot load dagrun's module: no such module (dist/dagrun.js …)"
 * ```
 */
export function missingModuleError(error: unknown): TaskFileError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const url = /^Module not found "(.+)"\.$/s.exec(message)?.[1];
  return url === undefined ? undefined : missingModule(url);
}

/**
 * The one-line error for a module of dagrun's own, at `url`, that is not there (see
 * {@linkcode missingModuleError}).
 *
 * @example
 * ```ts
 * import { missingModule } from "./errors.ts";
 *
 * missingModule("file:///opt/executors/eval_worker.ts").message;
 * // "/opt/executors/eval_worker.ts: cannot load dagrun's module: no such module (…)"
 * ```
 */
export function missingModule(url: string): TaskFileError {
  return new TaskFileError(
    "cannot load dagrun's module: no such module (dist/dagrun.js loads it from its own " +
      "checkout: run the bundle there, by its path or URL, or the sources' mod.ts, not a copy)",
    { file: moduleLocation(url) },
  );
}

/**
 * The one-line error for a module of dagrun's own at `url` that its server sent as a type Deno
 * does not take for TypeScript (Python's `http.server` sends `.ts` as
 * `text/vnd.trolltech.linguist`): Deno refuses it as of an unknown type, or reads it as
 * JavaScript and fails at its first type annotation, with a message of several lines (the
 * source shown). `undefined` for any other failure, and for a file, which has no server.
 * `error` is what the import rejected with, or the message of a worker's error event.
 *
 * @example
 * ```ts
 * import { mistypedModuleError } from "./errors.ts";
 *
 * mistypedModuleError(
 *   "SyntaxError: Expected ',', got 'Node'\n  |\n9 | type Node\n    at http://h/src/deps/jsonc.ts:9:8",
 *   "http://h/src/deps/jsonc.ts",
 * )?.message;
 * // "http://h/src/deps/jsonc.ts: cannot load dagrun's module: SyntaxError: Expected ',', got 'Node' at 9:8 (…)"
 * ```
 */
export function mistypedModuleError(error: unknown, url: string): TaskFileError | undefined {
  if (url.startsWith("file:")) return undefined;
  // A worker's error event says "Uncaught" first. Deno's parser rejects an import with a
  // TypeError whose message begins `SyntaxError: `; V8's own SyntaxError leaves its class out
  // of its message, and is named here as Deno's is.
  const message = error instanceof SyntaxError
    ? `SyntaxError: ${error.message}`
    : (error instanceof Error ? error.message : String(error)).replace(/^Uncaught /, "");
  const [first = ""] = message.split("\n", 1);
  let reason: string;
  if (first.startsWith("Expected a JavaScript or TypeScript module")) {
    reason = first.replace(/\.? Importing these types .*$/, "");
  } else if (first.startsWith("SyntaxError: ")) {
    // Deno's parser shows the source below the first line and ends with `at URL:LINE:COL`;
    // V8's own has the place on its one line: taken off, and put back short.
    const place = /\sat \S+:(\d+):(\d+)\s*$/.exec(message);
    reason = `${first.trim().replace(/ at \S+:\d+:\d+$/, "")}${
      place ? ` at ${place[1]}:${place[2]}` : ""
    }`;
  } else {
    return undefined;
  }
  return new TaskFileError(
    `cannot load dagrun's module: ${reason} (its server must send .ts files as TypeScript: ` +
      "application/typescript)",
    { file: moduleLocation(url) },
  );
}

/**
 * How a message names a module of dagrun's own: a `file:` URL by its path, as every file is
 * named, and any other URL as it is.
 *
 * @example
 * ```ts
 * import { moduleLocation } from "./errors.ts";
 *
 * moduleLocation("file:///opt/my%20dagrun/src/format/html.ts"); // "/opt/my dagrun/src/format/html.ts"
 * ```
 */
export function moduleLocation(url: string): string {
  return url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
}

/**
 * A failed spawn's reason worded as every OS error dagrun reports ({@linkcode osErrorReason}),
 * whichever way and by whichever executor the program was spawned: without Deno's
 * `Failed to spawn 'PROGRAM': `, the program being named before it (`cannot start PROGRAM: …`).
 *
 * @example
 * ```ts
 * import { spawnErrorReason } from "./errors.ts";
 *
 * spawnErrorReason("Failed to spawn 'x': No such file or directory (os error 2)");
 * // "no such file or directory"
 * ```
 */
export function spawnErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return osErrorReason(message.replace(/^Failed to spawn '.*?': /s, ""));
}

/**
 * Prints `dagrun: warning: MESSAGE` on standard error, the message {@linkcode printable} as
 * every error's line is: a path or a task's name in it may hold an escape sequence, which
 * would drive the terminal, or a newline, which would break the line.
 */
export function warn(message: string): void {
  console.warn(`dagrun: warning: ${printable(message)}`);
}

/** The longest value {@linkcode quote} shows whole, in UTF-16 units. */
const MAX_QUOTED = 200;
