/**
 * The library's entry points check the kind of their arguments first: a string where a task
 * list is expected (`run("tasks.json")`) otherwise failed deep inside, with a TypeError that
 * named neither the function nor what it takes. Only the kind is checked here; the tasks
 * themselves are validated as a task file is, with places (see `check.ts`).
 *
 * @module
 */

import type { TaskFile } from "./load.ts";
import { describeValue } from "./errors.ts";

/** Whether `value` is a {@linkcode TaskFile}, as `loadTaskFile()` and `parseTaskFile()` make. */
export function isTaskFile(value: object): value is TaskFile {
  return "locate" in value && typeof value.locate === "function" &&
    "tasks" in value && Array.isArray(value.tasks);
}

/**
 * Throws unless `tasks` is an array (of task objects, checked later with places) or a
 * {@linkcode TaskFile}.
 *
 * @throws {TypeError} naming `name`, what it takes, and what to call instead for a file name
 * or a task file's parsed contents.
 */
export function checkTasksArgument(name: string, tasks: unknown): void {
  if (Array.isArray(tasks) || (typeof tasks === "object" && tasks !== null && isTaskFile(tasks))) {
    return;
  }
  const takes = `${name}() takes an array of tasks or a TaskFile`;
  if (typeof tasks === "string") {
    throw new TypeError(
      `${takes}, not ${describeValue(tasks)}; for a file, pass await loadTaskFile(${
        JSON.stringify(tasks)
      })`,
    );
  }
  if (typeof tasks === "object" && tasks !== null && "tasks" in tasks) {
    throw new TypeError(
      `${takes}, not a task file's contents: pass its "tasks", or ` +
        `parseTaskFile(JSON.stringify(contents)) to keep its defaults, executors and concurrency`,
    );
  }
  throw new TypeError(`${takes}, not ${describeValue(tasks)}`);
}

/** Throws unless `options` is an object (or left out). @throws {TypeError} naming `name`. */
export function checkOptionsArgument(name: string, options: unknown): void {
  if (typeof options === "object" && options !== null && !Array.isArray(options)) return;
  throw new TypeError(`${name}() takes an object of options, not ${describeValue(options)}`);
}

/**
 * `schedule()`'s arguments: an array of task objects and options with `executorFor()`. The
 * tasks are not validated (that is `validate()`'s work, done once): only their kind, and
 * each task's only when `eachTask` is set (a pass over all of them).
 *
 * @throws {TypeError} for either of the wrong kind.
 */
export function checkScheduleArguments(
  tasks: unknown,
  options: unknown,
  eachTask = false,
): void {
  const takes = "schedule() takes an array of checked tasks (see validate())";
  if (!Array.isArray(tasks)) throw new TypeError(`${takes}, not ${describeValue(tasks)}`);
  const index = eachTask
    ? tasks.findIndex((task) => typeof task !== "object" || task === null)
    : -1;
  if (index !== -1) {
    throw new TypeError(
      `${takes}, not an array holding ${describeValue(tasks[index])} at ${index}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `schedule() takes options with an executorFor() function, not ${describeValue(options)}`,
    );
  }
  if (typeof (options as { executorFor?: unknown }).executorFor !== "function") {
    throw new TypeError(
      "schedule() takes options with an executorFor() function, not an object without one",
    );
  }
}
