/**
 * The checks a task graph must pass before anything runs: names, dependencies, cycles and
 * executor types and arguments. Every walk is iterative, so a 100,000-task chain cannot
 * overflow the stack.
 *
 * @module
 */

import type { ValidateFunction } from "./deps.ts";
import { compileArgumentsSchema } from "./schema_compiler.ts";
import { quote, TaskFileError } from "./errors.ts";
import type { TaskFile } from "./load.ts";
import { schemaError } from "./schema_validation.ts";
import type { ExecutorRegistry } from "./registry.ts";
import type { Executor, TaskSpec } from "./types.ts";
import type { NameIndex } from "./name_index.ts";
import {
  findCycleInGraph,
  nameIndexOf,
  resolveDependencies,
  type TaskGraph,
} from "./task_graph.ts";

/**
 * Checks a loaded task file against the registry, and returns its graph in integer form.
 *
 * @throws {TaskFileError} naming file, position and task for the first problem found.
 */
export function checkTaskFile(taskFile: TaskFile, registry: ExecutorRegistry): TaskGraph {
  const { tasks, file } = taskFile;
  const fail = (detail: string, index: number, path: (string | number)[] = []): never => {
    throw new TaskFileError(detail, {
      file,
      position: taskFile.locate(["tasks", index, ...path]),
      task: tasks[index]!.name === "" ? `#${index + 1}` : tasks[index]!.name,
    });
  };

  const count = tasks.length;
  const index = nameIndexOf(tasks);
  // Task by task, a blank name, then a repeated one: the first problem in file order.
  const repeat = index.duplicate;
  for (let i = 0; i <= (repeat?.[1] ?? count - 1); i++) {
    if (isBlank(tasks[i]!.name)) fail('"name" must not be empty or blank', i, ["name"]);
  }
  if (repeat) {
    const { line, column } = taskFile.locate(["tasks", repeat[0], "name"]);
    fail(`duplicate name; first defined at ${line}:${column}`, repeat[1], ["name"]);
  }

  const graph = dependencyGraph(tasks, index, fail);
  const cycle = findCycleInGraph(graph);
  if (cycle) {
    fail(formatCycle(cycle.map((i) => tasks[i]!.name)), cycle[0]!, ["dependencies"]);
  }

  checkTypesAndArguments(taskFile, registry);
  return graph;
}

/** Whether `trim()` would leave nothing, without making a trimmed copy of most names. */
function isBlank(name: string): boolean {
  const first = name.charCodeAt(0);
  // A printable ASCII character is not white space; other first characters ask trim().
  if (first > 0x20 && first < 0x7f) return false;
  return name.trim() === "";
}

/** The dependencies as indices, each checked: not itself, known, listed once. */
function dependencyGraph(
  tasks: readonly TaskSpec[],
  index: NameIndex,
  fail: (detail: string, index: number, path: (string | number)[]) => never,
): TaskGraph {
  const graph = resolveDependencies(tasks, index);
  const { dependencyStart, dependencies } = graph;
  // listedBy[j] = i + 1 once task i has listed task j: a repeat costs no set per task.
  const listedBy = new Int32Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const start = dependencyStart[i]!;
    for (let k = start; k < dependencyStart[i + 1]!; k++) {
      const dependency = dependencies[k]!;
      if (dependency === i) fail("depends on itself", i, ["dependencies", k - start]);
      if (dependency < 0) {
        const name = tasks[i]!.dependencies[k - start]!;
        const others = tasks.filter((_, j) => j !== i).map((task) => task.name);
        fail(
          `unknown dependency ${quote(name)}${didYouMean(name, others)}`,
          i,
          ["dependencies", k - start],
        );
      }
      if (listedBy[dependency] === i + 1) {
        const name = tasks[i]!.dependencies[k - start]!;
        fail(`lists dependency ${quote(name)} twice`, i, ["dependencies", k - start]);
      }
      listedBy[dependency] = i + 1;
    }
  }
  return graph;
}

/** Names shown at each end of a long cycle; the middle is counted, not listed. */
const CYCLE_ENDS = 5;

/**
 * `dependency cycle: a -> b -> a`; a long cycle keeps one line by naming its first and last
 * few tasks: `dependency cycle of 1000 tasks: t0 -> … -> t4 -> (990 more) -> t995 -> … -> t0`.
 */
export function formatCycle(names: readonly string[]): string {
  if (names.length <= 2 * CYCLE_ENDS + 2) {
    return `dependency cycle: ${[...names, names[0]!].map(cycleName).join(" -> ")}`;
  }
  const hidden = names.length - 2 * CYCLE_ENDS;
  const shown = [
    ...names.slice(0, CYCLE_ENDS).map(cycleName),
    `(${hidden} more)`,
    ...names.slice(-CYCLE_ENDS).map(cycleName),
    cycleName(names[0]!),
  ];
  return `dependency cycle of ${names.length} tasks: ${shown.join(" -> ")}`;
}

/** A name that reads unambiguously bare between arrows: short, no space, quote or escape. */
const BARE_NAME = /^[^\s"\\\p{Cc}\p{Cf}\p{Cs}]{1,60}$/u;

/**
 * A name in a cycle: bare, as `a -> b -> a` reads best, unless it is long (two names of 5 MB
 * made a 15 MB line) or holds a space (`"a -> b"` would read as two tasks) or a character
 * that needs escaping; then quoted, and shortened as {@linkcode quote} shortens.
 */
function cycleName(name: string): string {
  return BARE_NAME.test(name) ? name : quote(name);
}

const argumentValidators = new WeakMap<Executor, ValidateFunction>();

function checkTypesAndArguments(taskFile: TaskFile, registry: ExecutorRegistry): void {
  const { tasks, file } = taskFile;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    const executor = registry.get(task.type);
    if (!executor) {
      const types = registry.types();
      throw new TaskFileError(
        `unknown type ${quote(task.type)}${didYouMean(task.type, types)}; registered types: ${
          types.join(", ")
        }`,
        { file, position: taskFile.locate(["tasks", i, "type"]), task: task.name },
      );
    }
    if (!executor.argumentsSchema) continue;
    let validate = argumentValidators.get(executor);
    if (!validate) {
      try {
        validate = simpleValidator(executor.argumentsSchema) ??
          compileArgumentsSchema(executor.argumentsSchema);
      } catch (error) {
        // A registry's own executor (the library): the plugin loader did not see it.
        throw new TaskFileError(`executor ${quote(executor.type)}: ${(error as Error).message}`, {
          file,
          position: taskFile.locate(["tasks", i, "type"]),
          task: task.name,
        });
      }
      argumentValidators.set(executor, validate);
    }
    if (!validate(task.arguments)) {
      const error = validate.errors![0]!;
      throw schemaError(error, taskFile.document, file, taskFile.locate, ["tasks", i, "arguments"]);
    }
  }
}

const JSON_TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);

/**
 * A validator for a schema that is only `{ "type": T }`, or `{ "type": "string", "pattern": P }`,
 * as the built-in executors declare, without compiling it with ajv (about 10 ms each at
 * start-up); its verdicts and errors are ajv's. Any other schema gets `undefined`, for ajv.
 */
export function simpleValidator(schema: Record<string, unknown>): ValidateFunction | undefined {
  const keys = Object.keys(schema);
  const { type, pattern } = schema;
  if (typeof type !== "string" || !JSON_TYPES.has(type)) return undefined;
  const withPattern = keys.length === 2 && type === "string" && typeof pattern === "string";
  if (keys.length !== 1 && !withPattern) return undefined;
  let regex: RegExp | undefined;
  try {
    // As ajv reads a pattern: a Unicode RegExp, unanchored.
    if (withPattern) regex = new RegExp(pattern, "u");
  } catch {
    return undefined; // ajv words the error
  }
  const fail = (keyword: string, params: Record<string, unknown>, message: string) => {
    validate.errors = [{ instancePath: "", schemaPath: `#/${keyword}`, keyword, params, message }];
    return false;
  };
  const validate = ((value: unknown) => {
    if (!hasJsonType(value, type)) return fail("type", { type }, `must be ${type}`);
    if (regex && !regex.test(value as string)) {
      return fail("pattern", { pattern }, `must match pattern "${pattern}"`);
    }
    validate.errors = null;
    return true;
  }) as ValidateFunction;
  validate.schema = schema;
  return validate;
}

/** Whether `value` is of the JSON Schema `type`. */
function hasJsonType(value: unknown, type: string): boolean {
  switch (type) {
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "null":
      return value === null;
    case "boolean":
      return typeof value === "boolean";
    default:
      return typeof value === "string";
  }
}

/**
 * ` (did you mean "x"?)` when a known name is close to an unknown one, else empty. A known
 * name that reads the same, written in other code points (`é` as one, or as `e` and a
 * combining accent: what one editor or keyboard writes and another does not), is the one
 * meant; the two are then shown with their code points escaped, as quoted they look alike.
 */
export function didYouMean(unknown: string, known: Iterable<string>): string {
  const candidates = [...known];
  const composed = unknown.normalize("NFC");
  for (const candidate of candidates) {
    if (candidate !== unknown && candidate.normalize("NFC") === composed) {
      return ` (did you mean ${
        quote(candidate, { ascii: true })
      }? it reads the same, but in other code points than ${quote(unknown, { ascii: true })})`;
    }
  }
  let best: string | undefined, bestDistance = Infinity;
  const limit = Math.max(2, Math.floor(unknown.length / 3));
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - unknown.length) > limit) continue;
    const distance = editDistance(unknown, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  // As many edits as the longer name has characters replace all of it: no typo, however
  // short the names ("zz" is not "a" misspelled).
  const related = best !== undefined && bestDistance < Math.max(best.length, unknown.length);
  return related && bestDistance <= limit ? ` (did you mean ${quote(best!)}?)` : "";
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
