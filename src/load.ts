/**
 * Reading, parsing and schema-validating task files, keeping every value's position so that
 * each error names `FILE:LINE:COL`.
 *
 * @module
 */

import { type JsonNode, type JsonParseError, loadedJsonc, loadJsonc } from "./deps.ts";
import { loadAjvFor } from "./schema_compiler.ts";
import { jsonValueOffset } from "./json_locate.ts";
import { containerPathAt, type JsonStructure, plainStructure, scanJson } from "./json_structure.ts";
import { directoryOf, resolvePath } from "./paths.ts";
import { quote, type SourcePosition, TaskFileError } from "./errors.ts";
import { readAs, readInputFile } from "./input_files.ts";
import type { TaskSpec } from "./types.ts";
import { buildTaskSpecs, fileConcurrency, type OptionOverrides } from "./task_options.ts";
import { validateAgainstSchema } from "./schema_validation.ts";
import { type LoadWarning, misspelledFields } from "./unknown_fields.ts";

/**
 * A segment of a path into a JSON document: a property name or an array index.
 *
 * @example
 * ```ts
 * import { parseTaskFile, type JsonPathSegment } from "@dagrun/dagrun";
 *
 * const taskFile = parseTaskFile('{ "tasks": [{ "name": "a", "type": "exec", "arguments": "" }] }');
 * const path: JsonPathSegment[] = ["tasks", 0, "arguments"];
 * taskFile.locate(path); // { file: "<input>", line: 1, column: 55 }
 * ```
 */
export type JsonPathSegment = string | number;

/**
 * A parsed and schema-validated task file.
 *
 * @example
 * ```ts
 * import { loadTaskFile, type TaskFile } from "@dagrun/dagrun";
 *
 * const taskFile: TaskFile = await loadTaskFile("examples/input1.json");
 * taskFile.tasks.length; // 9
 * taskFile.locate(["tasks", 2, "name"]); // where the third task's name is
 * ```
 */
export interface TaskFile {
  /** The file as the user named it (`<stdin>` for standard input), used in messages. */
  readonly file: string;
  /** Directory relative paths in the file resolve against. */
  readonly baseDir: string;
  /** The tasks, in file order. */
  readonly tasks: TaskSpec[];
  /** The file's top-level `concurrency`, when it sets one. */
  readonly concurrency?: number;
  /** The whole document, for top-level settings beside `tasks`. */
  readonly document: Record<string, unknown>;
  /** Where a value of the document is; the document's start when the path is not found. */
  locate(path: readonly JsonPathSegment[]): SourcePosition;
  /**
   * Fields that look like dagrun's own misspelled (a task's `dependecies`, go-task's `deps`),
   * which are ignored: one line each, `FILE:LINE:COL: task "NAME": unknown field …`. None
   * when the file was checked against a schema of the caller's, whose fields are its own, or
   * when the tasks were given as objects (their types catch a misspelling).
   */
  readonly warnings?: readonly string[];
  /**
   * The same warnings in their parts (the line, what is wrong, where, and the task), for a
   * program: the command line's NDJSON `warning` events name their task from these.
   */
  readonly warningDetails?: readonly LoadWarning[];
  /**
   * Read from standard input (`-`), a path under `/dev` or `/proc` (`/dev/stdin`, the
   * `/dev/fd/63` of a shell's `<(…)`) or anything else that is not a regular file (a FIFO):
   * relative paths resolve against the working directory, not the stream's directory, and the
   * command line keeps no duration history for it.
   */
  readonly fromStream?: boolean;
}

/**
 * Options of {@linkcode loadTaskFile} and {@linkcode parseTaskFile}.
 *
 * @example
 * ```ts
 * import { loadTaskFile, type LoadOptions } from "@dagrun/dagrun";
 *
 * const options: LoadOptions = { baseDir: "/srv/project" };
 * await loadTaskFile("examples/input1.json", options);
 * ```
 */
export interface LoadOptions {
  /** A JSON Schema to validate against instead of dagrun's own. */
  readonly schema?: Record<string, unknown>;
  /** Directory relative paths resolve against (for text not read from a file). */
  readonly baseDir?: string;
  /**
   * Task option defaults from the command line (`--timeout`, `--retries`): they take the
   * place of the file's `defaults` for the options they set; a task's own value still wins.
   */
  readonly overrides?: OptionOverrides;
}

/**
 * Reads a task file (`-` for standard input), parses it as JSON or JSONC and validates it.
 *
 * @throws {TaskFileError} for an unreadable, malformed or invalid file.
 *
 * @example
 * ```ts
 * import { loadTaskFile, run } from "@dagrun/dagrun";
 *
 * const taskFile = await loadTaskFile("examples/input1.json");
 * const report = await run(taskFile);
 * ```
 */
export async function loadTaskFile(path: string, options: LoadOptions = {}): Promise<TaskFile> {
  const { text, file, baseDir, fromStream } = await readTaskText(path);
  // Plain JSON needs neither parser module nor ajv: load them only for what needs them.
  const parsed = parseStrictJson(text);
  if (parsed === undefined) await loadJsonc();
  if (options.schema) await loadAjvFor([options.schema]);
  const taskFile = parseText(
    text,
    { ...options, file, baseDir: options.baseDir ?? baseDir },
    parsed,
  );
  return fromStream ? { ...taskFile, fromStream } : taskFile;
}

/**
 * The text of a task file, with how to name it, where its relative paths point, and whether
 * it is a stream rather than a file in a directory (see {@linkcode TaskFile.fromStream}).
 */
export async function readTaskText(
  path: string,
): Promise<{ text: string; file: string; baseDir: string; fromStream: boolean }> {
  if (path === "-") {
    const { bytes } = await readAs("task file", "<stdin>", () => readInputFile("-"));
    const text = decodeUtf8(bytes, "<stdin>");
    return { text, file: "<stdin>", baseDir: Deno.cwd(), fromStream: true };
  }
  const resolved = resolvePath(path);
  // /dev/stdin, or the /dev/fd/63 that `dagrun <(generate)` gets, is standard input by
  // another name: its directory means nothing to the tasks (a task's "cwd": "." ran in
  // /dev/fd), nor is it a place for the duration history. Nor is its length known: it is
  // read up to a bound, as /dev/zero or `<(yes)` would fill the memory. So is a FIFO of the
  // user's elsewhere (`mkfifo /tmp/f; dagrun /tmp/f`), found by the stat the read makes anyway.
  const { bytes, stream } = await readAs(
    "task file",
    path,
    () => readInputFile(path, STREAM_DIRECTORY.test(resolved)),
  );
  const text = decodeUtf8(bytes, path);
  return {
    text,
    file: path,
    baseDir: stream ? Deno.cwd() : directoryOf(resolved),
    fromStream: stream,
  };
}

/** Where the paths of standard input and other streams are, not files of the user's. */
const STREAM_DIRECTORY = /^\/(dev|proc)\//;

function decodeUtf8(bytes: Uint8Array, file: string): string {
  if (isUtf16(bytes)) {
    throw new TaskFileError("is encoded as UTF-16; save it as UTF-8", {
      file,
      position: { file, line: 1, column: 1 },
    });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    throw new TaskFileError(`invalid UTF-8 at byte ${offset}; save it as UTF-8`, {
      file,
      position: bytePosition(bytes, offset, file),
    });
  }
}

/**
 * Whether the text is UTF-16, as Windows PowerShell 5's `>` writes it: a UTF-16 byte-order
 * mark, or a NUL beside an ASCII character at the start (JSON starts with one). Read as
 * UTF-8, the one was "invalid UTF-8 at byte 0" and the other an unexpected `\u0000`.
 */
function isUtf16(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const [first, second] = [bytes[0]!, bytes[1]!];
  if ((first === 0xff && second === 0xfe) || (first === 0xfe && second === 0xff)) return true;
  return (first === 0) !== (second === 0) && first < 0x80 && second < 0x80;
}

/**
 * The line and column of a byte offset, the column counted in characters (code points) as
 * {@linkcode Locator} counts it: the bytes before `offset` are valid UTF-8, so each
 * character is one byte that is not a continuation byte.
 */
function bytePosition(bytes: Uint8Array, offset: number, file: string): SourcePosition {
  let line = 1, lineStart = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  let column = 1;
  for (let i = lineStart; i < offset; i++) {
    if ((bytes[i]! & 0xc0) !== 0x80) column++;
  }
  return { file, line, column };
}

/** The offset of the first byte that does not start a valid UTF-8 sequence. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : 4;
    if (lead < 0xc2 || lead > 0xf4 || i + length > bytes.length) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (bytes[i + 1]! < low || bytes[i + 1]! > high) return i;
    for (let k = 2; k < length; k++) {
      if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return bytes.length;
}

/** Deeper nesting than this is refused before parsing: jsonc-parser recurses per level. */
const MAX_NESTING = 1_000;

/**
 * Parses the text of a task file and validates it against the schema.
 *
 * @throws {TaskFileError} for malformed JSON or a schema violation.
 *
 * @example
 * ```ts
 * import { parseTaskFile } from "@dagrun/dagrun";
 *
 * const taskFile = parseTaskFile(
 *   `{
 *     // JSONC: comments and trailing commas are fine
 *     "tasks": [{ "name": "a", "type": "exec", "arguments": "echo a" },],
 *   }`,
 *   { file: "inline.jsonc" },
 * );
 * taskFile.tasks[0]?.name; // "a"
 * ```
 */
export function parseTaskFile(
  text: string,
  options: LoadOptions & { readonly file?: string } = {},
): TaskFile {
  return parseText(text, options, parseStrictJson(text));
}

/** The value of strict JSON text, or `undefined` for anything else (JSONC, errors). */
function parseStrictJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** {@linkcode parseTaskFile}, given what `JSON.parse` made of the text, if it took it. */
function parseText(
  text: string,
  options: LoadOptions & { readonly file?: string },
  strict: { value: unknown } | undefined,
): TaskFile {
  const file = options.file ?? "<input>";
  const locator = new Locator(text, file);
  if (text.charCodeAt(0) === 0xfeff) {
    throw new TaskFileError("starts with a byte-order mark; save it as UTF-8 without one", {
      file,
      position: locator.at(0),
    });
  }
  if (text.trim() === "") {
    throw new TaskFileError('is empty; expected a JSON object with a "tasks" array', {
      file,
      position: locator.at(0),
    });
  }
  const comments = strict === undefined;
  // Before parsing: jsonc-parser recurses per level of nesting. Text that JSON.parse took is
  // tested quickly first, which clears nearly every file without the scan's loop.
  const structure: JsonStructure = strict && plainStructure(text, strict.value, MAX_NESTING)
    ? {}
    : scanJson(text, MAX_NESTING, comments);
  if (structure.tooDeepAt !== undefined) {
    throw new TaskFileError(`nesting deeper than ${MAX_NESTING} levels`, {
      file,
      position: locator.at(structure.tooDeepAt),
    });
  }
  // Strict JSON is found with JSON.parse and located by a scan, only when an error is
  // reported; the rest goes through jsonc-parser's tree, as it always did.
  const { document, locate } = strict
    ? {
      document: strict.value,
      locate: (path: readonly JsonPathSegment[]) => locator.at(jsonValueOffset(text, path)),
    }
    : parseJsonc(text, locator);
  // After parsing, whose errors come first: a repeated key is found in well-formed text.
  if (structure.duplicate) {
    throw duplicateKeyError(structure.duplicate, text, comments, document, locator);
  }
  validateAgainstSchema(document, options.schema, file, locate);
  const object = document as Record<string, unknown>;
  const baseDir = options.baseDir ?? Deno.cwd();
  const tasks = buildTaskSpecs(object, { file, baseDir, locate, overrides: options.overrides });
  const concurrency = fileConcurrency(object);
  return {
    file,
    baseDir,
    tasks,
    ...(concurrency === undefined ? {} : { concurrency }),
    document: object,
    locate,
    ...loadWarnings(options.schema ? [] : misspelledFields(object, file, locate)),
  };
}

/** A task file's `warnings` (the lines) and `warningDetails`. */
function loadWarnings(
  details: readonly LoadWarning[],
): Pick<TaskFile, "warnings" | "warningDetails"> {
  return { warnings: details.map((warning) => warning.message), warningDetails: details };
}

/** JSONC through jsonc-parser's tree: the value, and where each part of it is. */
function parseJsonc(text: string, locator: Locator) {
  const file = locator.file;
  const errors: JsonParseError[] = [];
  const root = loadedJsonc().parseJsonTree(text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
  });
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new TaskFileError(describeParseError(first.error, text, first.offset), {
      file,
      position: locator.at(first.offset),
    });
  }
  if (root === undefined) {
    throw new TaskFileError('is empty; expected a JSON object with a "tasks" array', { file });
  }
  return {
    document: nodeValue(root),
    locate: (path: readonly JsonPathSegment[]) =>
      locator.at(findNode(root, path)?.offset ?? root.offset),
  };
}

/**
 * A key given twice in one object: the parsers keep the last silently, so a second `"tasks"`
 * would drop the first list, and a second `"dependencies"` the first's. Named as a duplicate
 * task name is: the task, the repeat's position, and the first's.
 */
function duplicateKeyError(
  duplicate: NonNullable<JsonStructure["duplicate"]>,
  text: string,
  comments: boolean,
  document: unknown,
  locator: Locator,
): TaskFileError {
  const path = containerPathAt(text, duplicate.offset, comments);
  const tasks = (document as { tasks?: unknown } | null)?.tasks;
  const task = path[0] === "tasks" && typeof path[1] === "number" && Array.isArray(tasks)
    ? (tasks[path[1]] as { name?: unknown } | undefined)?.name
    : undefined;
  const within = typeof task === "string" ? path.slice(2) : path;
  const first = locator.at(duplicate.firstOffset);
  return new TaskFileError(
    `duplicate key ${quote(duplicate.key)}${
      within.length > 0 ? ` in ${within.join(".")}` : ""
    }; first at ${first.line}:${first.column}`,
    {
      file: locator.file,
      position: locator.at(duplicate.offset),
      ...(typeof task === "string" ? { task } : {}),
    },
  );
}

const PARSE_ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' or a closing bracket",
  CloseBraceExpected: "expected '}'",
  CloseBracketExpected: "expected ']'",
  EndOfFileExpected: "unexpected content after the end of the document",
  InvalidCommentToken: "invalid comment",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "unterminated number",
  InvalidUnicode: "invalid unicode escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in string",
};

function describeParseError(code: number, text: string, offset: number): string {
  const { printParseErrorCode } = loadedJsonc();
  const name = printParseErrorCode(code as Parameters<typeof printParseErrorCode>[0]);
  const what = PARSE_ERROR_TEXT[name] ?? name;
  const found = offset >= text.length ? "end of file" : quote(text.slice(offset, offset + 12));
  return `invalid JSON: ${what} (found ${found})`;
}

/** The plain value of a tree node, built iteratively enough for any accepted nesting. */
function nodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case "object": {
      const object: Record<string, unknown> = {};
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (!key || !value) continue;
        // An own property, as JSON.parse makes it, even for `__proto__`.
        if (key.value === "__proto__") {
          Object.defineProperty(object, "__proto__", {
            value: nodeValue(value),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          object[key.value as string] = nodeValue(value);
        }
      }
      return object;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function findNode(root: JsonNode, path: readonly JsonPathSegment[]): JsonNode | undefined {
  let node: JsonNode | undefined = root;
  for (const segment of path) {
    if (!node) return undefined;
    if (node.type === "array" && typeof segment === "number") {
      node = node.children?.[segment];
    } else if (node.type === "object") {
      // The last duplicate key wins, as in JSON.parse.
      const property: JsonNode | undefined = node.children?.findLast((child) =>
        child.children?.[0]?.value === String(segment)
      );
      node = property?.children?.[1];
    } else {
      return undefined;
    }
  }
  return node;
}

/**
 * Turns offsets (UTF-16 code units, as the parsers count) into 1-based lines and columns,
 * scanning the text only when asked. A column counts characters (code points), as rustc and
 * editors do: an emoji before the error is one column, not the two units of its surrogate
 * pair; a combining accent is a code point, so a column of its own.
 */
class Locator {
  constructor(readonly text: string, readonly file: string) {}

  at(offset: number): SourcePosition {
    const text = this.text;
    let line = 1, lineStart = 0;
    for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
      line++;
      lineStart = i + 1;
    }
    let column = offset - lineStart + 1;
    // The second half of each surrogate pair before the offset is not a character of its own.
    for (let i = lineStart + 1; i < offset; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0xdc00 && code <= 0xdfff) {
        const previous = text.charCodeAt(i - 1);
        if (previous >= 0xd800 && previous <= 0xdbff) column--;
      }
    }
    return { file: this.file, line, column };
  }
}
