/**
 * Running part of a graph: the named tasks and everything they depend on, nothing else.
 *
 * @module
 */

import { didYouMean } from "./check.ts";
import { quote, UsageError } from "./errors.ts";
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

/** Splits repeated and comma-separated `--only` values into names, dropping blanks. */
export function parseNameList(values: readonly string[]): string[] {
  return values.flatMap((value) => value.split(",")).map((name) => name.trim()).filter((name) =>
    name !== ""
  );
}
