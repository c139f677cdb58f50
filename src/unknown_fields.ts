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

/**
 * The fields dagrun reads in one kind of object, and what to say of other keys meant for one:
 * another tool's word for a field, or a field of another object.
 */
interface Fields {
  /** The fields, in the order a suggestion prefers. */
  readonly names: readonly string[];
  /** The same, to look a key up. */
  readonly known: ReadonlySet<string>;
  /** Keys known to be meant otherwise, with the hint for each (` (did you mean "x"?)`). */
  readonly hints: ReadonlyMap<string, string>;
}

function fields(names: readonly string[], hints: Iterable<[string, string]> = []): Fields {
  return { names, known: new Set(names), hints: new Map(hints) };
}

/** ` (did you mean "FIELD"?)`. */
function meaning(field: string): string {
  return ` (did you mean ${quote(field)}?)`;
}

/** The task options, which `defaults` gives for every task. */
const OPTIONS = ["timeout", "retries", "retryDelay", "env", "cwd", "allowFailure"];
/** A task's own fields, which `defaults` does not give. */
const TASK_OWN = ["name", "type", "arguments", "dependencies"];
/** Other tools' words for a task's dependencies, which dagrun calls `dependencies`. */
const DEPENDENCY_WORDS = [
  "deps",
  "depends",
  "dependsOn",
  "depends_on",
  "dependency",
  "needs",
  "requires",
  "after",
];
/**
 * The fields dagrun reads at the top level of a task file. A task option there (go-task's
 * file-wide `env:`, say) is valid but ignored: it belongs in `defaults`.
 */
const TOP_LEVEL = fields(
  ["$schema", "executors", "tasks", "defaults", "concurrency"],
  OPTIONS.map((option) => [option, meaning(`defaults.${option}`)]),
);
/**
 * The fields of `defaults`, which gives options only: a task's own field there
 * (`"dependencies": ["setup"]` for every task) or a file-wide one (`"concurrency": 2`) is valid
 * but ignored.
 */
const DEFAULTS = fields(OPTIONS, [
  ...[...TASK_OWN, ...DEPENDENCY_WORDS].map((field): [string, string] => [
    field,
    ` (a task's own field: "defaults" gives only ${OPTIONS.join(", ")})`,
  ]),
  ...TOP_LEVEL.names.map((field): [string, string] => [
    field,
    ` (did you mean the top-level ${quote(field)}?)`,
  ]),
]);
/**
 * The fields of a task, and other tools' words for dependencies (go-task's `deps`,
 * Turborepo's `dependsOn`, GitHub Actions' `needs`): a task written so would run without
 * them, unlike one whose `arguments` is under another name, which the schema refuses.
 */
const TASK = fields(
  [...TASK_OWN, ...OPTIONS],
  DEPENDENCY_WORDS.map((word) => [word, meaning("dependencies")]),
);

/**
 * A warning about a task file that does not stop it from loading, in its parts as a
 * {@linkcode TaskFileError} has them.
 *
 * @example
 * ```ts
 * import { type LoadWarning, parseTaskFile } from "@dagrun/dagrun";
 *
 * const taskFile = parseTaskFile(
 *   '{"tasks": [{"name": "b", "type": "exec", "arguments": "", "dependecies": []}]}',
 *   { file: "tasks.json" },
 * );
 * const warning: LoadWarning = taskFile.warningDetails![0]!;
 * warning.task; // "b"
 * warning.detail; // 'unknown field "dependecies" (did you mean "dependencies"?); it is ignored'
 * ```
 */
export interface LoadWarning {
  /** The whole line: `FILE:LINE:COL: task "NAME": DETAIL`. */
  readonly message: string;
  /** What is wrong, without place or task. */
  readonly detail: string;
  /** Where. */
  readonly position: SourcePosition;
  /** The task it is about (`#N` for one without a name), when it is about one. */
  readonly task?: string;
}

/**
 * One warning per field of a document valid under dagrun's schema that is not dagrun's but
 * looks like one of its fields misspelled, each naming the file, its position and the task:
 * `tasks.json:4:21: task "b": unknown field "dependecies" (did you mean "dependencies"?); it is
 * ignored`.
 */
export function misspelledFields(
  document: Record<string, unknown>,
  file: string,
  locate: (path: readonly (string | number)[]) => SourcePosition,
): LoadWarning[] {
  const warnings: LoadWarning[] = [];
  const check = (
    object: Record<string, unknown>,
    path: readonly (string | number)[],
    expected: Fields,
    task?: string,
  ) => {
    for (const key in object) {
      if (expected.known.has(key)) continue;
      const hint = suggestion(key, expected);
      if (hint === "") continue;
      const position = locate([...path, key]);
      const field = path[0] === "defaults" ? `defaults.${key}` : key;
      const detail = `unknown field ${quote(field)}${hint}; it is ignored`;
      warnings.push({
        message: whereText(detail, { file, position, task }),
        detail,
        position,
        ...(task === undefined ? {} : { task }),
      });
    }
  };
  check(document, [], TOP_LEVEL);
  // The schema has made `defaults`, when there is one, an object.
  if (document.defaults !== undefined) {
    check(document.defaults as Record<string, unknown>, ["defaults"], DEFAULTS);
  }
  const tasks = document.tasks as Record<string, unknown>[];
  for (let index = 0; index < tasks.length; index++) {
    const task = tasks[index]!;
    // The common case, a task of known fields only, costs one pass over its keys.
    let unknown = false;
    for (const key in task) {
      if (!TASK.known.has(key)) {
        unknown = true;
        break;
      }
    }
    if (!unknown) continue;
    const name = task.name as string;
    check(task, ["tasks", index], TASK, name === "" ? `#${index + 1}` : name);
  }
  return warnings;
}

/**
 * ` (did you mean "x"?)` for a field that is a known one misspelled, the hint for a key known
 * to be meant otherwise, else empty.
 */
function suggestion(key: string, expected: Fields): string {
  const hint = expected.hints.get(key);
  if (hint !== undefined) return hint;
  const meant = expected.names.find((name) => name.toLowerCase() === key.toLowerCase());
  if (meant !== undefined) return meaning(meant);
  // Short keys are near too many words to be told from a field of the file's own.
  return key.length < 3 ? "" : didYouMean(key, expected.names);
}
