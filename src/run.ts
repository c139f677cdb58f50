/**
 * The library's entry points: validate a task list and run it with the registered executors.
 *
 * @module
 */

import { checkTaskFile } from "./check.ts";
import { parseTaskFile, type TaskFile } from "./load.ts";
import { ExecutorRegistry } from "./registry.ts";
import { schedule } from "./scheduler.ts";
import { criticalPathPriority } from "./critical_path.ts";
import { type HistoryLocation, readHistory, recordHistory } from "./history.ts";
import type { Executor, RunEvent, RunReport, TaskSpec } from "./types.ts";
import { createExecExecutor } from "../executors/exec.ts";
import { createEvalExecutor } from "../executors/eval.ts";

/** Options of {@linkcode createDefaultRegistry}. */
export interface DefaultRegistryOptions {
  /** Milliseconds between SIGTERM and SIGKILL when an exec task is stopped. */
  readonly graceMs?: number;
}

/**
 * A registry holding the built-in executors, `exec` and `eval`.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry } from "./run.ts";
 * createDefaultRegistry().types(); // ["eval", "exec"]
 * ```
 */
export function createDefaultRegistry(options: DefaultRegistryOptions = {}): ExecutorRegistry {
  return new ExecutorRegistry()
    .register(createExecExecutor(options.graceMs === undefined ? {} : { graceMs: options.graceMs }))
    .register(createEvalExecutor());
}

/** A task as a library user may write it: `dependencies` may be left out. */
export type TaskInput = Omit<TaskSpec, "dependencies"> & {
  readonly dependencies?: readonly string[];
};

/**
 * Validates a list of tasks (schema, names, dependencies, cycles, types) without running
 * anything, returning it as a {@linkcode TaskFile}.
 *
 * @throws {TaskFileError} for the first problem found.
 */
export function validate(
  tasks: readonly TaskInput[] | TaskFile,
  registry: ExecutorRegistry = createDefaultRegistry(),
): TaskFile {
  const taskFile = "locate" in tasks
    ? tasks
    : parseTaskFile(JSON.stringify({ tasks }, null, 2), { file: "<tasks>" });
  checkTaskFile(taskFile, registry);
  return taskFile;
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** The executors; `exec` and `eval` by default. */
  readonly registry?: ExecutorRegistry;
  /** The most tasks running at once; unlimited by default. */
  readonly concurrency?: number;
  /** Aborting it cancels the run: nothing new starts and running tasks are stopped. */
  readonly signal?: AbortSignal;
  /** Receives every event, synchronously, in order. */
  readonly onEvent?: (event: RunEvent) => void;
  /**
   * Where durations are read from before the run, to weight the critical-path priorities,
   * and recorded to after it (see `historyLocation()`); none by default.
   */
  readonly history?: HistoryLocation;
}

/**
 * Validates and runs tasks with maximal concurrency, resolving with the report.
 *
 * @example
 * ```ts
 * import { run } from "./run.ts";
 * const report = await run([
 *   { name: "hello", type: "exec", arguments: "echo hello" },
 *   { name: "world", type: "eval", arguments: "console.log('world')", dependencies: ["hello"] },
 * ]);
 * report.ok; // true
 * ```
 *
 * @throws {TaskFileError} when the tasks are invalid; nothing has run then.
 */
export async function run(
  tasks: readonly TaskInput[] | TaskFile,
  options: RunOptions = {},
): Promise<RunReport> {
  const registry = options.registry ?? createDefaultRegistry();
  const taskFile = validate(tasks, registry);
  const durations = options.history ? await readHistory(options.history) : undefined;
  // When more tasks are ready than may run, the one with the longest path ahead goes first.
  const priority = options.concurrency === undefined
    ? undefined
    : criticalPathPriority(taskFile.tasks, durations);
  const executors = prepareExecutors(taskFile.tasks, registry);
  let report: RunReport;
  try {
    report = await schedule(taskFile.tasks, {
      executorFor: (type) => registry.get(type)!,
      baseDir: taskFile.baseDir,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(priority ? { priority } : {}),
    });
  } finally {
    await Promise.all(executors.map((executor) => executor.dispose?.()));
  }
  if (options.history) await recordHistory(options.history, report);
  return report;
}

/** Lets each executor in use warm up with its tasks; returns the executors in use. */
function prepareExecutors(tasks: readonly TaskSpec[], registry: ExecutorRegistry): Executor[] {
  const byType = new Map<string, TaskSpec[]>();
  for (const task of tasks) {
    let list = byType.get(task.type);
    if (!list) byType.set(task.type, list = []);
    list.push(task);
  }
  return [...byType].map(([type, list]) => {
    const executor = registry.get(type)!;
    executor.prepare?.(list);
    return executor;
  });
}
