/**
 * Running part of a graph: the named tasks and everything they depend on, nothing else.
 *
 * @module
 */

import { didYouMean } from "./check.ts";
import { quote, UsageError } from "./errors.ts";
import type { TaskFile } from "./load.ts";
import type { TaskSpec } from "./types.ts";

/**
 * The named tasks and their transitive dependencies, in file order. The graph must be
 * valid (every dependency known); the walk is iterative, so a long chain cannot overflow.
 *
 * @example
 * ```ts
 * import { selectTasks } from "./subset.ts";
 * const tasks = [
 *   { name: "a", type: "exec", arguments: "true", dependencies: [] },
 *   { name: "b", type: "exec", arguments: "true", dependencies: ["a"] },
 *   { name: "c", type: "exec", arguments: "true", dependencies: [] },
 * ];
 * selectTasks(tasks, ["b"]).map((task) => task.name); // ["a", "b"]
 * ```
 *
 * @throws {UsageError} naming every unknown name, with a close match when there is one.
 */
export function selectTasks(tasks: readonly TaskSpec[], names: readonly string[]): TaskSpec[] {
  const byName = new Map(tasks.map((task) => [task.name, task]));
  // Each once: the same name may come positionally and in --only.
  const unknown = [...new Set(names.filter((name) => !byName.has(name)))];
  if (unknown.length > 0) {
    const known = [...byName.keys()];
    const list = unknown.map((name) => `${quote(name)}${didYouMean(name, known)}`);
    throw new UsageError(
      `Unknown ${unknown.length === 1 ? "task" : "tasks"} ${list.join(", ")}`,
    );
  }
  const wanted = new Set<string>();
  const stack = [...names];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (wanted.has(name)) continue;
    wanted.add(name);
    for (const dependency of byName.get(name)!.dependencies) {
      if (!wanted.has(dependency)) stack.push(dependency);
    }
  }
  return tasks.filter((task) => wanted.has(task.name));
}

/**
 * Splits repeated and comma-separated `--only` values into names, each exactly as given
 * between commas (a task may be named " sp "; positional names are not trimmed either).
 * Pieces that are empty or blank are dropped: no task has such a name, and they come from
 * an empty variable (`--only "$A,$B"`).
 *
 * @example
 * ```ts
 * import { parseNameList } from "./subset.ts";
 * parseNameList(["build,test", " sp ", "a,,b"]); // ["build", "test", " sp ", "a", "b"]
 * ```
 */
export function parseNameList(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(",")).filter((name) => name.trim() !== "");
}

/**
 * The names `--only`'s values list ({@linkcode parseNameList}), refusing values that list none:
 * `--only "$TASKS"` with the variable empty must not run everything. The command line calls
 * it before the task file is loaded, so that the mistake is said alone, not after the file's
 * warnings.
 *
 * @throws {UsageError} `--only needs at least one task name`.
 */
export function refuseEmptyOnly(only: readonly string[]): string[] {
  const listed = parseNameList(only);
  if (only.length > 0 && listed.length === 0) {
    throw new UsageError("--only needs at least one task name");
  }
  return listed;
}

/**
 * Narrows a task file to the named tasks (positional names and `--only` values) and their
 * dependencies; returns it unchanged when no name is given.
 *
 * @example
 * ```ts
 * import { loadTaskFile } from "./load.ts";
 * import { selectSubset } from "./subset.ts";
 * const taskFile = await loadTaskFile("examples/input1.json");
 * selectSubset(taskFile, ["task3"], ["task8,task9"]).tasks.length;
 * ```
 *
 * @throws {UsageError} for an `--only` without a name, and for unknown names, with close
 * matches and, for a name from `--only`, what may have gone wrong (a comma, spaces).
 */
export function selectSubset(
  taskFile: TaskFile,
  names: readonly string[],
  only: readonly string[] = [],
): TaskFile {
  const listed = refuseEmptyOnly(only);
  const wanted = [...names, ...listed];
  if (wanted.length === 0) return taskFile;
  try {
    return { ...taskFile, tasks: selectTasks(taskFile.tasks, wanted) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const hint = onlyHint(taskFile.tasks, only, listed);
    throw hint ? new UsageError(`${error.message}; ${hint}`) : error;
  }
}

/**
 * Why names from `--only` may be unknown: a task with a comma in its name (split there), or
 * spaces around a name (kept); "" when neither explains it.
 */
function onlyHint(
  tasks: readonly TaskSpec[],
  only: readonly string[],
  listed: readonly string[],
): string {
  const known = new Set(tasks.map((task) => task.name));
  const split = tasks.find((task) =>
    task.name.includes(",") && only.some((value) => `,${value},`.includes(`,${task.name},`))
  );
  if (split) {
    return `--only splits at commas: name task ${quote(split.name)} after the file instead`;
  }
  if (listed.some((name) => !known.has(name) && known.has(name.trim()))) {
    return "--only keeps the spaces around a name";
  }
  return "";
}
