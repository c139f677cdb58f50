/**
 * Reading, parsing and schema-validating task files, keeping every value's position so that
 * each error names `FILE:LINE:COL`.
 *
 * @module
 */

import {
  type ErrorObject,
  type JsonNode,
  type JsonParseError,
  loadAjv,
  loadedAjv,
  loadedJsonc,
  loadJsonc,
  type ValidateFunction,
} from "./deps.ts";
import { jsonValueOffset } from "./json_locate.ts";
import { directoryOf, resolvePath } from "./paths.ts";
import { quote, type SourcePosition, TaskFileError } from "./errors.ts";
import type { TaskSpec } from "./types.ts";
import { DURATION_PATTERN } from "./duration.ts";
import { buildTaskSpecs, fileConcurrency, type OptionOverrides } from "./task_options.ts";
import { validate as validateTasksSchema } from "./tasks_validator.generated.ts";

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
  const { text, file, baseDir } = await readTaskText(path);
  // Plain JSON needs neither parser module nor ajv: load them only for what needs them.
  const parsed = parseStrictJson(text);
  if (parsed === undefined) await loadJsonc();
  if (options.schema) await loadAjv();
  return parseText(text, { ...options, file, baseDir: options.baseDir ?? baseDir }, parsed);
}

/** The text of a task file, with how to name it and where its relative paths point. */
export async function readTaskText(
  path: string,
): Promise<{ text: string; file: string; baseDir: string }> {
  if (path === "-") {
    const bytes = await new Response(Deno.stdin.readable).bytes();
    return { text: decodeUtf8(bytes, "<stdin>"), file: "<stdin>", baseDir: Deno.cwd() };
  }
  let bytes: Uint8Array;
  try {
    // Synchronously: nothing else is under way yet, and the asynchronous read's round trip
    // through a thread costs half a millisecond of start-up.
    bytes = Deno.readFileSync(path);
  } catch (error) {
    throw new TaskFileError(describeReadError(error), { file: path });
  }
  return { text: decodeUtf8(bytes, path), file: path, baseDir: directoryOf(resolvePath(path)) };
}

function describeReadError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "cannot read task file: no such file";
  if (error instanceof Deno.errors.PermissionDenied) {
    return "cannot read task file: permission denied";
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return "cannot read task file: it is a directory";
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/is a directory/i.test(message)) return "cannot read task file: it is a directory";
  return `cannot read task file: ${message}`;
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
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

/** The line and column (counted in bytes) of a byte offset. */
function bytePosition(bytes: Uint8Array, offset: number, file: string): SourcePosition {
  let line = 1, lineStart = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { file, line, column: offset - lineStart + 1 };
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

/** Deeper nesting than this is refused before parsing, which recurses per level. */
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
  checkNesting(text, locator);
  // Strict JSON is found with JSON.parse and located by a scan, only when an error is
  // reported; the rest goes through jsonc-parser's tree, as it always did.
  const { document, locate } = strict
    ? {
      document: strict.value,
      locate: (path: readonly JsonPathSegment[]) => locator.at(jsonValueOffset(text, path)),
    }
    : parseJsonc(text, locator);
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
  };
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

/** Refuses absurd nesting without recursion, so the parser cannot overflow the stack. */
function checkNesting(text: string, locator: Locator): void {
  let depth = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++; // backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > MAX_NESTING) {
        throw new TaskFileError(`nesting deeper than ${MAX_NESTING} levels`, {
          file: locator.file,
          position: locator.at(i),
        });
      }
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
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

/** Turns offsets into 1-based lines and columns, scanning the text only when asked. */
class Locator {
  constructor(readonly text: string, readonly file: string) {}

  at(offset: number): SourcePosition {
    let line = 1, lineStart = 0;
    for (
      let i = this.text.indexOf("\n");
      i !== -1 && i < offset;
      i = this.text.indexOf("\n", i + 1)
    ) {
      line++;
      lineStart = i + 1;
    }
    return { file: this.file, line, column: offset - lineStart + 1 };
  }
}

/** dagrun's own schema, compiled ahead of time (schema/generate_validator.ts). */
const defaultValidator = validateTasksSchema as ValidateFunction;
const userValidators = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown> | undefined, file: string) {
  if (!schema) return defaultValidator;
  let validator = userValidators.get(schema);
  if (!validator) {
    try {
      validator = new (loadedAjv().Ajv)({ allErrors: false, strict: false }).compile(schema);
    } catch (error) {
      throw new TaskFileError(
        `cannot use the schema: ${error instanceof Error ? error.message : String(error)}`,
        { file },
      );
    }
    userValidators.set(schema, validator);
  }
  return validator;
}

function validateAgainstSchema(
  document: unknown,
  schema: Record<string, unknown> | undefined,
  file: string,
  locate: (path: readonly JsonPathSegment[]) => SourcePosition,
): void {
  const validate = validatorFor(schema, file);
  if (validate(document)) {
    // A user's schema may accept what the program cannot work with; check the minimum.
    if (schema) checkMinimumShape(document, file, locate);
    return;
  }
  const error = validate.errors![0]!;
  throw schemaError(error, document, file, locate);
}

/** The shape the program needs, checked when a user's schema replaced dagrun's own. */
function checkMinimumShape(
  document: unknown,
  file: string,
  locate: (path: readonly JsonPathSegment[]) => SourcePosition,
): void {
  const validate = validatorFor(undefined, file);
  if (!validate(document)) throw schemaError(validate.errors![0]!, document, file, locate);
}

/** A schema violation as a one-line message naming the task and the field. */
export function schemaError(
  error: ErrorObject,
  document: unknown,
  file: string,
  locate: (path: readonly JsonPathSegment[]) => SourcePosition,
  basePath: readonly JsonPathSegment[] = [],
): TaskFileError {
  const path: JsonPathSegment[] = [
    ...basePath,
    ...error.instancePath.split("/").slice(1).map(unescapePointer).map((segment) =>
      /^\d+$/.test(segment) ? Number(segment) : segment
    ),
  ];
  const inTask = path[0] === "tasks" && typeof path[1] === "number";
  const taskIndex = inTask ? path[1] as number : undefined;
  const task = taskIndex === undefined ? undefined : taskLabel(document, taskIndex);
  const field = formatPath(inTask ? path.slice(2) : path);
  const subject = field ? `"${field}"` : inTask ? "" : "the document";
  return new TaskFileError(describeSchemaError(error, subject, valueAt(document, path)), {
    file,
    position: locate(path),
    task,
  });
}

function unescapePointer(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** How to name a task in a message: its name when it has a usable one, else `#N`. */
export function taskLabel(document: unknown, index: number): string {
  const tasks = (document as { tasks?: unknown[] } | null)?.tasks;
  const name = (tasks?.[index] as { name?: unknown } | undefined)?.name;
  return typeof name === "string" && name !== "" ? name : `#${index + 1}`;
}

function valueAt(document: unknown, path: readonly JsonPathSegment[]): unknown {
  let value = document;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function formatPath(path: readonly JsonPathSegment[]): string {
  let text = "";
  for (const segment of path) {
    text += typeof segment === "number" ? `[${segment}]` : (text ? "." : "") + segment;
  }
  return text;
}

/** The problem in words; an empty subject means the task itself, named before the detail. */
function describeSchemaError(error: ErrorObject, subject: string, value: unknown): string {
  const params = error.params as Record<string, unknown>;
  const is = subject === "" ? "" : `${subject} `;
  switch (error.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      return subject.startsWith('"')
        ? `${subject} is missing required field "${missing}"`
        : `missing required field "${missing}"`;
    }
    case "type":
      return `${is}must be ${article(String(params.type))}, not ${jsonType(value)}`;
    case "enum":
      return `${is}must be one of ${
        (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")
      }, not ${JSON.stringify(value)}`;
    case "pattern":
      if (params.pattern === DURATION_PATTERN) {
        return `${is}must be a number of seconds or a duration such as "90s", "1m30s" or "500ms", not ${
          JSON.stringify(value)
        }`;
      }
      return `${is}${
        params.pattern === "^(.*)$" ? "must be a single line" : `must match /${params.pattern}/`
      }, not ${JSON.stringify(value)}`;
    case "minLength":
      return `${is}must not be empty`;
    case "additionalProperties":
      return `${is}has unknown field "${params.additionalProperty}"`;
    default:
      return `${is}${error.message ?? "is invalid"}`;
  }
}

function article(type: string): string {
  const words = type.split(",").map((t) => /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
  return words.join(" or ");
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "number") return `a number (${value})`;
  if (typeof value === "boolean") return `a boolean (${value})`;
  if (typeof value === "string") return `a string (${JSON.stringify(value)})`;
  return typeof value;
}
