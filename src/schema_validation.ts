/**
 * Validating a parsed task file against dagrun's schema (compiled ahead of time) or a user's,
 * and turning the first violation into a one-line message naming the file, the position,
 * the task and the field.
 *
 * @module
 */

import type { ErrorObject, ValidateFunction } from "./deps.ts";
import { compileSchema, createAjv, schemaDraft } from "./schema_compiler.ts";
import { describeValue, quote, type SourcePosition, TaskFileError } from "./errors.ts";
import { DURATION_PATTERN } from "./duration.ts";
import { NO_NUL_PATTERN } from "./schema_patterns.ts";
import { hasOptionField } from "./task_options.ts";
import type { JsonPathSegment } from "./load.ts";
import { validate as validateTasksSchema } from "./tasks_validator.generated.ts";

/** dagrun's own schema, compiled ahead of time (schema/generate_validator.ts). */
const defaultValidator = validateTasksSchema as ValidateFunction;
const userValidators = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown> | undefined, file: string) {
  if (!schema) return defaultValidator;
  let validator = userValidators.get(schema);
  if (!validator) {
    try {
      // An instance of its own: a plugin's schema with the same $id would clash.
      validator = compileSchema(createAjv(schemaDraft(schema)), schema);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new TaskFileError(`cannot use the schema: ${message.replaceAll("\n", " ")}`, {
        file,
      });
    }
    userValidators.set(schema, validator);
  }
  return validator;
}

/**
 * Compiles a user's schema before any document is checked against it, so that one ajv
 * refuses is reported against the schema's own file. Needs ajv loaded for it (`loadAjvFor`).
 *
 * @throws {TaskFileError} `cannot use the schema: …`, naming `schemaFile`.
 */
export function compileUserSchema(schema: Record<string, unknown>, schemaFile: string): void {
  validatorFor(schema, schemaFile);
}

/**
 * Checks a document against a user's schema, if given, else dagrun's own.
 *
 * @throws {TaskFileError} naming the first violation's position, task and field.
 */
export function validateAgainstSchema(
  document: unknown,
  schema: Record<string, unknown> | undefined,
  file: string,
  locate: (path: readonly JsonPathSegment[]) => SourcePosition,
): void {
  // The common file needs no validator: the first call of the generated one (a 12 KB
  // function) costs V8 about half a millisecond to compile, at every start.
  if (!schema && isPlainTaskDocument(document)) return;
  const validate = validatorFor(schema, file);
  if (validate(document)) {
    // A user's schema may accept what the program cannot work with; check the minimum.
    if (schema) checkMinimumShape(document, file, locate);
    return;
  }
  const error = validate.errors![0]!;
  throw schemaError(error, document, file, locate);
}

/**
 * Whether a parsed document certainly satisfies dagrun's schema, by a quick look that
 * accepts only the common shape: an object with a `tasks` array (and, if any, a string
 * `$schema`), without `executors`, `defaults` or `concurrency`; each task an object with a
 * single-line string `name`, a string `type`, `arguments`, at most an array of single-line
 * strings as `dependencies`, and none of the option fields. Members the schema does not name
 * are allowed, as the schema allows them. `false` says only "not sure": the validator then
 * decides, and words the problem. (A property test checks that the schema accepts all that
 * this accepts.)
 */
export function isPlainTaskDocument(document: unknown): boolean {
  if (!isObject(document)) return false;
  if (
    document.executors !== undefined || document.defaults !== undefined ||
    document.concurrency !== undefined
  ) {
    return false;
  }
  if (document.$schema !== undefined && typeof document.$schema !== "string") return false;
  const tasks = document.tasks;
  if (!Array.isArray(tasks)) return false;
  for (let i = 0; i < tasks.length; i++) {
    const task: unknown = tasks[i];
    if (!isObject(task) || !hasTaskFields(task) || hasOptionField(task)) return false;
  }
  return true;
}

/**
 * Whether a task object has what the schema asks of every task, a member set to undefined
 * read as absent: a single-line string `name`, a string `type`, `arguments`, and, if any, an
 * array of single-line strings as `dependencies`.
 */
export function hasTaskFields(task: Record<string, unknown>): boolean {
  const { name, type, dependencies } = task;
  return typeof name === "string" && isSingleLine(name) && typeof type === "string" &&
    task.arguments !== undefined && (dependencies === undefined || areNames(dependencies));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Whether `value` is an array of single-line strings. */
function areNames(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    if (typeof item !== "string" || !isSingleLine(item)) return false;
  }
  return true;
}

/** What the schema's `"pattern": "^(.*)$"` asks: no line terminator. */
function isSingleLine(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029) return false;
  }
  return true;
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
      return `${is}must be ${article(String(params.type))}, not ${describeValue(value)}`;
    case "enum":
      return `${is}must be one of ${
        (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")
      }, not ${shownValue(value)}`;
    // ajv's own words ("must be equal to constant") leave out the one value allowed.
    case "const":
      return `${is}must be ${allowedValue(params.allowedValue)}, not ${shownValue(value)}`;
    case "pattern":
      if (params.pattern === DURATION_PATTERN) {
        return `${is}must be a number of seconds or a duration such as "90s", "1m30s" or "500ms", not ${
          shownValue(value)
        }`;
      }
      if (params.pattern === NO_NUL_PATTERN) {
        // The value may be long (a script): where the NUL is matters, not the whole text.
        const at = typeof value === "string" ? value.indexOf("\0") : -1;
        return `${is}must not contain a NUL character (found at character ${at + 1})`;
      }
      return `${is}${
        params.pattern === "^(.*)$" ? "must be a single line" : `must match /${params.pattern}/`
      }, not ${shownValue(value)}`;
    case "minLength": {
      // 1, as dagrun's own schema says it, is "not empty"; a plugin's may ask for more.
      const limit = Number(params.limit);
      return limit <= 1
        ? `${is}must not be empty`
        : `${is}must be at least ${limit} characters long, not ${shownValue(value)}`;
    }
    case "format":
      return `${is}must match format "${params.format}", not ${shownValue(value)}`;
    case "additionalProperties":
      return `${is}has unknown field "${params.additionalProperty}"`;
    // Its counterpart in drafts 2019-09 and 2020-12, which ajv words without the field.
    case "unevaluatedProperties":
      return `${is}has unknown field "${params.unevaluatedProperty}"`;
    default:
      return `${is}${error.message ?? "is invalid"}`;
  }
}

function article(type: string): string {
  const words = type.split(",").map((t) => /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
  return words.join(" or ");
}

/**
 * The one value a `const` allows, as JSON (a string quoted and, when long, shortened as
 * {@linkcode quote} does); an object or an array whose JSON would not fit on a line is named
 * by its kind, as the schema's.
 */
function allowedValue(value: unknown): string {
  if (typeof value === "string") return quote(value);
  const json = JSON.stringify(value);
  return json.length <= MAX_CONST_JSON
    ? json
    : `the schema's "const" (${describeValue(value)} too long to show)`;
}

/** The longest `const` shown whole in a message, in characters of its JSON. */
const MAX_CONST_JSON = 80;

/**
 * A value of the right kind but not among those allowed (an enum, a pattern, a format), after
 * "not": a string quoted (shortened, when long, by {@linkcode quote}), else its kind.
 */
function shownValue(value: unknown): string {
  return typeof value === "string" ? quote(value) : describeValue(value);
}
