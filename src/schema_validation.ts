/**
 * Validating a parsed task file against dagrun's schema (compiled ahead of time) or a user's,
 * and turning the first violation into a one-line message naming the file, the position,
 * the task and the field.
 *
 * @module
 */

import { type ErrorObject, loadedAjv, type ValidateFunction } from "./deps.ts";
import { type SourcePosition, TaskFileError } from "./errors.ts";
import { DURATION_PATTERN } from "./duration.ts";
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
