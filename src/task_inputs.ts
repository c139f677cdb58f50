/**
 * Task objects given to the library (`run(tasks)`, `validate(tasks)`) turned into a
 * {@linkcode TaskFile}, checked exactly as the same tasks written to a file would be.
 *
 * The obvious way, and the exact one, is to write them out as JSON and parse that text as a
 * task file, so that each error names a line and column. At 100,000 tasks it costs 7 µs a
 * task, most of it building the parse tree with positions that only an error message ever
 * reads. So when every value is plain JSON data (what `JSON.stringify` then `JSON.parse` give
 * back equal), the document is copied directly, checked by the same compiled schema, and the
 * text with positions is made only when a message asks where something is. Anything else —
 * a function, a class instance, `NaN`, a `toJSON` method, deep nesting — takes the text way,
 * so what is accepted and every message stay the same.
 *
 * @module
 */

import type { JsonPathSegment, TaskFile } from "./load.ts";
import { parseTaskFile } from "./load.ts";
import { hasTaskFields, schemaError } from "./schema_validation.ts";
import { describeValue, type SourcePosition, TaskFileError } from "./errors.ts";
import { MAX_DURATION_MS } from "./duration.ts";
import { buildTaskSpecs, fileConcurrency, hasOptionField } from "./task_options.ts";
import type { TaskSpec } from "./types.ts";
import type { ValidateFunction } from "./deps.ts";
import { validate } from "./tasks_validator.generated.ts";

/** dagrun's own schema, compiled ahead of time (schema/generate_validator.ts). */
const validateTasksSchema = validate as ValidateFunction;

/** How task inputs are named in messages. */
const FILE = "<tasks>";

/** Nesting deeper than this takes the text way, which limits and reports it. */
const PLAIN_DEPTH = 64;

/** Marks a value that JSON would not give back unchanged. */
const NOT_PLAIN: unique symbol = Symbol("not plain");

/**
 * Checks task objects as a task file would be, keeping the fields a file cannot spell
 * (`timeoutMs`, `retryDelayMs`) from the objects.
 *
 * @throws {TaskFileError} for the first problem, with its position in the tasks as JSON.
 */
export function taskFileFromInputs(
  inputs: readonly object[],
  options: { readonly lazyDocument?: boolean } = {},
): TaskFile {
  if (options.lazyDocument && plainWithoutOptions(inputs)) {
    // It checks the durations as it goes: a pass of its own over a million tasks costs a
    // cache miss each.
    const taskFile = withoutCopy(inputs);
    if (taskFile) return taskFile;
  }
  const taskFile = copiedInputs(inputs);
  for (let i = 0; i < taskFile.tasks.length; i++) checkOwnDurations(taskFile, i);
  return taskFile;
}

/**
 * `timeoutMs` and `retryDelayMs` as given on task objects, held to what a file's `timeout`
 * and `retryDelay` may give: a whole timer's range at most (past it a timer fires at once),
 * a timeout above zero.
 */
function checkOwnDurations(
  taskFile: Pick<TaskFile, "file" | "tasks" | "locate">,
  index: number,
): void {
  const task = taskFile.tasks[index]!;
  const { timeoutMs, retryDelayMs } = task;
  if (timeoutMs === undefined && retryDelayMs === undefined) return;
  for (
    const [field, value, least] of [
      ["timeoutMs", timeoutMs, 1],
      ["retryDelayMs", retryDelayMs, 0],
    ] as const
  ) {
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value >= least && value <= MAX_DURATION_MS)) {
      throw new TaskFileError(
        `"${field}" must be a number of milliseconds from ${least} to ${MAX_DURATION_MS}, not ${
          typeof value === "number" ? value : describeValue(value)
        }`,
        { file: taskFile.file, position: taskFile.locate(["tasks", index]), task: task.name },
      );
    }
  }
}

/** The copying ways: as a JSON document, or, when something is off, as JSON text. */
function copiedInputs(inputs: readonly object[]): TaskFile {
  const document = plainDocument(inputs);
  if (document === undefined) return taskFileFromText(inputs);
  // Parsing that text runs the same checks on the same document: when a check fails here, it
  // fails there first, and that error, the text way's own, is the one thrown.
  const locate = lazyLocate(() => document);
  if (!validateTasksSchema(document)) {
    throw schemaError(validateTasksSchema.errors![0]!, document, FILE, locate);
  }
  const baseDir = Deno.cwd();
  const concurrency = fileConcurrency(document);
  return {
    file: FILE,
    baseDir,
    tasks: withoutOptions(document.tasks as Raw[])
      ? plainSpecs(inputs, document.tasks as Raw[])
      : merge(inputs, buildTaskSpecs(document, { file: FILE, baseDir, locate })),
    ...(concurrency === undefined ? {} : { concurrency }),
    document,
    locate,
  };
}

/** The exact way, and the slow one: the inputs as JSON text, parsed as a task file. */
export function taskFileFromText(inputs: readonly object[]): TaskFile {
  const taskFile = parseTaskFile(JSON.stringify({ tasks: inputs }, null, 2), { file: FILE });
  return { ...taskFile, tasks: merge(inputs, taskFile.tasks) };
}

/** Each checked spec over its input, so fields a file cannot spell come along. */
function merge(inputs: readonly object[], specs: TaskSpec[]): TaskSpec[] {
  for (let i = 0; i < specs.length; i++) specs[i] = { ...inputs[i]!, ...specs[i]! };
  return specs;
}

type Raw = Record<string, unknown>;

/**
 * For run(), whose task file no caller sees: plain tasks without options are checked as
 * they are, and their document (the copy JSON would give) is made only if asked for, by a
 * message. It is the copy a run would keep alive to the end for nothing: a fifth of what
 * the garbage collector moved per task. Such tasks are checked here against what the schema
 * asks of them (an object with a single-line string name, a string type, arguments, and an
 * array of single-line strings as dependencies), reading a member set to undefined as
 * absent, as the copy would have it. `undefined` when one is not so: the copying way then
 * finds the error and words it.
 */
function withoutCopy(inputs: readonly object[]): TaskFile | undefined {
  let document: { tasks: unknown[] } | undefined;
  const documentOf = () => document ??= plainDocument(inputs)!;
  const specs: TaskSpec[] = new Array(inputs.length);
  const located = { file: FILE, tasks: specs, locate: lazyLocate(documentOf) };
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as Raw;
    if (!hasTaskFields(input)) return;
    const dependencies = input.dependencies as string[] | undefined;
    specs[i] = {
      ...input,
      name: input.name as string,
      type: input.type as string,
      arguments: plainCopy(input.arguments),
      dependencies: dependencies === undefined ? [] : dependencies.slice(),
    };
    checkOwnDurations(located, i);
  }
  return {
    file: FILE,
    baseDir: Deno.cwd(),
    tasks: specs,
    get document() {
      return documentOf();
    },
    locate: located.locate,
  };
}

/**
 * Where a value of the document is. Positions are needed only for a message, so the text and
 * its tree are made only then, once.
 */
function lazyLocate(
  documentOf: () => unknown,
): (path: readonly JsonPathSegment[]) => SourcePosition {
  let located: TaskFile | undefined;
  return (path) => {
    located ??= parseTaskFile(JSON.stringify(documentOf(), null, 2), { file: FILE });
    return located.locate(path);
  };
}

/** Whether every task is plain JSON data and none sets an option field. */
function plainWithoutOptions(inputs: readonly object[]): boolean {
  if (!isPlainArray(inputs)) return false;
  for (let i = 0; i < inputs.length; i++) {
    const task = inputs[i] as Raw;
    if (typeof task !== "object" || task === null || Array.isArray(task)) return false;
    const prototype = Object.getPrototypeOf(task);
    if (prototype !== Object.prototype && prototype !== null) return false;
    // The four fields must be own enumerable members, as JSON sees them, for withoutCopy()
    // to read them; a missing one is an error, which the copying way words.
    let seen = 0;
    for (const key of Object.keys(task)) {
      const value = task[key];
      if (value === undefined) continue;
      switch (key) {
        case "name":
          seen |= 1;
          break;
        case "type":
          seen |= 2;
          break;
        case "arguments":
          seen |= 4;
          break;
        case "dependencies":
          seen |= 8;
          break;
        case "timeout":
        case "retries":
        case "retryDelay":
        case "env":
        case "cwd":
        case "allowFailure":
        case "toJSON":
        case "__proto__":
          return false;
      }
      if (!isPlain(value, 2)) return false;
    }
    if ((seen & 7) !== 7 || (!(seen & 8) && task.dependencies !== undefined)) return false;
  }
  return true;
}

/** Whether {@linkcode plainCopy} would copy `value`, without copying it. */
function isPlain(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object": {
      if (value === null) return true;
      if (depth >= PLAIN_DEPTH) return false;
      if (isPlainArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlain(value[i], depth + 1)) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      const object = value as Raw;
      for (const key of Object.keys(object)) {
        const item = object[key];
        if (item === undefined) continue;
        if (key === "toJSON" || key === "__proto__" || !isPlain(item, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * Whether no task sets a field that buildTaskSpecs() resolves, so that each spec is its four
 * plain fields.
 */
function withoutOptions(tasks: readonly Raw[]): boolean {
  for (const task of tasks) if (hasOptionField(task)) return false;
  return true;
}

/**
 * The specs of schema-valid tasks without options, as buildTaskSpecs() and then merge()
 * would make them, less the intermediate object per task: inputs have no `defaults`.
 */
function plainSpecs(inputs: readonly object[], tasks: readonly Raw[]): TaskSpec[] {
  const specs: TaskSpec[] = new Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    specs[i] = {
      ...inputs[i]!,
      name: task.name as string,
      type: task.type as string,
      arguments: task.arguments,
      dependencies: (task.dependencies as string[] | undefined) ?? [],
    };
  }
  return specs;
}

/** `{ tasks: inputs }` as JSON would give it back, or `undefined` when it would differ. */
function plainDocument(inputs: readonly object[]): { tasks: unknown[] } | undefined {
  if (!isPlainArray(inputs)) return undefined;
  const tasks: unknown[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const task = plainCopy(inputs[i], 1);
    if (task === NOT_PLAIN) return undefined;
    tasks[i] = task;
  }
  return { tasks };
}

/**
 * A copy of `value` equal to `JSON.parse(JSON.stringify(value))`, or {@linkcode NOT_PLAIN}
 * when that could differ from the value or throw: the copy is then not needed, the text way
 * gives the answer. Recursion is bounded by {@linkcode PLAIN_DEPTH}.
 */
export function plainCopy(value: unknown, depth = 0): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // JSON writes -0 as 0, and NaN and the infinities as null.
      return Number.isFinite(value) ? value + 0 : NOT_PLAIN;
    case "object":
      if (value === null) return null;
      if (depth >= PLAIN_DEPTH) return NOT_PLAIN;
      return isPlainArray(value)
        ? plainArray(value, depth + 1)
        : plainObject(value as Record<string, unknown>, depth + 1);
    default:
      return NOT_PLAIN;
  }
}

function isPlainArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
}

function plainArray(array: readonly unknown[], depth: number): unknown {
  const copy: unknown[] = new Array(array.length);
  for (let i = 0; i < array.length; i++) {
    const item = plainCopy(array[i], depth);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    copy[i] = item;
  }
  return copy;
}

function plainObject(object: Record<string, unknown>, depth: number): unknown {
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  // Own enumerable string keys in order, as JSON.stringify walks them.
  for (const key of Object.keys(object)) {
    const item = object[key];
    // JSON leaves out a member whose value is undefined.
    if (item === undefined) continue;
    // A toJSON method would replace the object; __proto__ would set the copy's prototype.
    if (key === "toJSON" || key === "__proto__") return NOT_PLAIN;
    const itemCopy = plainCopy(item, depth);
    if (itemCopy === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = itemCopy;
  }
  return copy;
}
