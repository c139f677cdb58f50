/**
 * Warnings for fields of a task file that look like misspellings of dagrun's own: a task's
 * `dependecies` or a top-level `concurency` is valid JSON Schema-wise (the original
 * assignment's schema allows any other field, so dagrun must too) but is ignored, and the task
 * would run without its dependencies without a word.
 *
 * Only a field close to a known one is named (an edit or two away, or the same but for case):
 * other fields, such as a `description` kept beside a task, are a file's own business.
 *
 * @module
 */

import { didYouMean } from "./check.ts";
import { quote, type SourcePosition, whereText } from "./errors.ts";

/** The fields dagrun reads at the top level of a task file. */
const TOP_LEVEL = ["$schema", "executors", "tasks", "defaults", "concurrency"];
/** The task options, which `defaults` gives for every task. */
const OPTIONS = ["timeout", "retries", "retryDelay", "env", "cwd", "allowFailure"];
/** The fields dagrun reads in a task. */
const TASK = ["name", "type", "arguments", "dependencies", ...OPTIONS];

const TOP_LEVEL_SET = new Set(TOP_LEVEL);
const OPTIONS_SET = new Set(OPTIONS);
const TASK_SET = new Set(TASK);

/**
 * One line per field of a schema-valid document that is not dagrun's but looks like one of its
 * fields misspelled, each naming the file, its position and the task:
 * `tasks.json:4:21: task "b": unknown field "dependecies" (did you mean "dependencies"?); it is
 * ignored`.
 */
export function misspelledFields(
  document: Record<string, unknown>,
  file: string,
  locate: (path: readonly (string | number)[]) => SourcePosition,
): string[] {
  const warnings: string[] = [];
  const check = (
    object: Record<string, unknown>,
    path: readonly (string | number)[],
    known: ReadonlySet<string>,
    names: readonly string[],
    task?: string,
  ) => {
    for (const key in object) {
      if (known.has(key)) continue;
      const hint = suggestion(key, names);
      if (hint === "") continue;
      const position = locate([...path, key]);
      const field = path.length === 1 && path[0] === "defaults" ? `defaults.${key}` : key;
      warnings.push(
        whereText(`unknown field ${quote(field)}${hint}; it is ignored`, { file, position, task }),
      );
    }
  };
  check(document, [], TOP_LEVEL_SET, TOP_LEVEL);
  const defaults = document.defaults;
  if (isObject(defaults)) check(defaults, ["defaults"], OPTIONS_SET, OPTIONS);
  const tasks = document.tasks as unknown[];
  for (let index = 0; index < tasks.length; index++) {
    const task = tasks[index] as Record<string, unknown>;
    // The common case, a task of known fields only, costs one pass over its keys.
    let unknown = false;
    for (const key in task) {
      if (!TASK_SET.has(key)) {
        unknown = true;
        break;
      }
    }
    if (!unknown) continue;
    const name = task.name as string;
    check(task, ["tasks", index], TASK_SET, TASK, name === "" ? `#${index + 1}` : name);
  }
  return warnings;
}

/**
 * Other tools' words for dependencies (go-task's `deps`, Turborepo's `dependsOn`, GitHub
 * Actions' `needs`): a task written so would run without them, unlike one whose `arguments`
 * is under another name, which the schema refuses.
 */
const DEPENDENCY_WORDS = new Set([
  "deps",
  "depends",
  "dependsOn",
  "depends_on",
  "dependency",
  "needs",
  "requires",
  "after",
]);

/** ` (did you mean "x"?)` for a field that is a known one misspelled, else empty. */
function suggestion(key: string, names: readonly string[]): string {
  if (names === TASK && DEPENDENCY_WORDS.has(key)) return ' (did you mean "dependencies"?)';
  const lower = key.toLowerCase();
  const sameButCase = names.find((name) => name.toLowerCase() === lower);
  if (sameButCase !== undefined) return ` (did you mean ${quote(sameButCase)}?)`;
  // Short keys are near too many words to be told from a field of the file's own.
  return key.length < 3 ? "" : didYouMean(key, names);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
