/**
 * The library's entry points: validate a task list and run it with the registered executors.
 *
 * @module
 */

import { checkOptionsArgument, checkTasksArgument } from "./argument_checks.ts";
import { checkTaskFile } from "./check.ts";
import { TaskFileError, warn } from "./errors.ts";
import { describe } from "./run_report.ts";
import type { TaskFile } from "./load.ts";
import { taskFileFromInputs } from "./task_inputs.ts";
import type { TaskGraph } from "./task_graph.ts";
import { checkLoadTimeout, type ModuleLoadOptions, registerTaskFileExecutors } from "./plugins.ts";
import { ExecutorRegistry } from "./registry.ts";
import {
  checkedConcurrency,
  checkedStopGrace,
  type RunIdentity,
  scheduleGraph,
} from "./scheduler.ts";
import { graphPriority } from "./critical_path.ts";
import { type HistoryLocation, readHistory, recordHistory } from "./history.ts";
import type { Executor, RunEvent, RunReport, TaskSpec } from "./types.ts";
import { createExecExecutor } from "../executors/exec.ts";
import { createEvalExecutor, type EvalExecutorOptions } from "../executors/eval.ts";

/**
 * Options of {@linkcode createDefaultRegistry}.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, type DefaultRegistryOptions } from "@dagrun/dagrun";
 *
 * const options: DefaultRegistryOptions = { graceMs: 1000 };
 * createDefaultRegistry(options);
 * ```
 */
export interface DefaultRegistryOptions {
  /** Milliseconds between SIGTERM and SIGKILL when an exec task is stopped. */
  readonly graceMs?: number;
  /** Options of the `eval` executor: isolation, permissions, pool size. */
  readonly eval?: EvalExecutorOptions;
}

/**
 * A registry holding the built-in executors, `exec` and `eval`. The example plugins in
 * `executors/` (`http`, `deno`) are not in it: load them with `--executor` or
 * {@linkcode registerExecutorModules}.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry } from "@dagrun/dagrun";
 *
 * createDefaultRegistry().types(); // ["eval", "exec"]
 * ```
 */
export function createDefaultRegistry(options: DefaultRegistryOptions = {}): ExecutorRegistry {
  return new ExecutorRegistry()
    .register(createExecExecutor(options.graceMs === undefined ? {} : { graceMs: options.graceMs }))
    .register(createEvalExecutor(options.eval));
}

/**
 * A task as a library user may write it: `dependencies` may be left out.
 *
 * @example
 * ```ts
 * import type { TaskInput } from "@dagrun/dagrun";
 *
 * const task: TaskInput = { name: "hello", type: "exec", arguments: "echo hello" };
 * ```
 */
export type TaskInput = Omit<TaskSpec, "dependencies"> & {
  readonly dependencies?: readonly string[];
};

/**
 * Validates a list of tasks (schema, names, dependencies, cycles, types) without running
 * anything, returning it as a {@linkcode TaskFile}.
 *
 * It is synchronous, so it does not load the plugins of a task file's `"executors"` map: call
 * {@linkcode registerTaskFileExecutors} first for such a file ({@linkcode run} does).
 *
 * @example
 * ```ts
 * import { TaskFileError, validate } from "@dagrun/dagrun";
 *
 * try {
 *   validate([{ name: "a", type: "exec", arguments: "true", dependencies: ["b"] }]);
 * } catch (error) {
 *   if (error instanceof TaskFileError) console.error(error.message);
 *   // <tasks>:7:9: task "a": unknown dependency "b"
 * }
 * ```
 *
 * @throws {TaskFileError} for the first problem found.
 * @throws {TypeError} for `tasks` that are neither an array nor a {@linkcode TaskFile} (a
 * file name: see {@linkcode loadTaskFile}).
 */
export function validate(
  tasks: readonly TaskInput[] | TaskFile,
  registry: ExecutorRegistry = createDefaultRegistry(),
): TaskFile {
  checkTasksArgument("validate", tasks);
  const taskFile = toTaskFile(tasks);
  checkTaskFile(taskFile, registry);
  return taskFile;
}

function toTaskFile(tasks: readonly TaskInput[] | TaskFile): TaskFile {
  return "locate" in tasks ? tasks : taskFileFromInputs(tasks);
}

/**
 * Options of {@linkcode run}; `loadTimeoutMs` (of {@linkcode ModuleLoadOptions}) bounds the
 * loading of each module of a task file's `"executors"` map.
 *
 * @example
 * ```ts
 * import { run, type RunOptions } from "@dagrun/dagrun";
 *
 * const options: RunOptions = {
 *   concurrency: 4,
 *   signal: AbortSignal.timeout(60_000),
 *   onEvent: (event) => console.log(event.event),
 * };
 * await run([{ name: "hello", type: "exec", arguments: "echo hello" }], options);
 * ```
 */
export interface RunOptions extends ModuleLoadOptions {
  /**
   * The executors; `exec` and `eval` by default. The plugins of a task file's `"executors"`
   * map are added to a copy of it.
   */
  readonly registry?: ExecutorRegistry;
  /**
   * The most tasks running at once, a whole number from 1 (`Infinity`: no limit); the file's
   * `concurrency`, else unlimited, by default.
   */
  readonly concurrency?: number;
  /** Names of tasks done in an earlier run, not to run again (see `resume.ts`). */
  readonly resumed?: ReadonlySet<string>;
  /** File and task hashes to put into the events, so that the NDJSON can be resumed from. */
  readonly identity?: RunIdentity;
  /** Aborting it cancels the run: nothing new starts and running tasks are stopped. */
  readonly signal?: AbortSignal;
  /** Receives every event, synchronously, in order. */
  readonly onEvent?: (event: RunEvent) => void;
  /** Cancel the run at the first failure, stopping running tasks and skipping the rest. */
  readonly failFast?: boolean;
  /**
   * How long a task told to stop may take to end before it is given up on, in ms (see
   * `ScheduleOptions.stopGraceMs`); keep it above the exec executor's `graceMs`.
   */
  readonly stopGraceMs?: number;
  /**
   * Where durations are read from before the run, to weight the critical-path priorities,
   * and recorded to after it (see `historyLocation()`); none by default.
   */
  readonly history?: HistoryLocation;
}

/**
 * Validates and runs tasks with maximal concurrency, resolving with the report. A task file's
 * `"executors"` plugins are loaded first, so their argument schemas apply.
 *
 * @example
 * ```ts
 * import { run } from "@dagrun/dagrun";
 *
 * const report = await run([
 *   { name: "hello", type: "exec", arguments: "echo hello" },
 *   { name: "world", type: "eval", arguments: "console.log('world')", dependencies: ["hello"] },
 * ]);
 * report.ok; // true
 * ```
 *
 * @throws {TaskFileError} when the tasks are invalid, or an executor's `prepare()` throws or
 * rejects (it is awaited before the run begins); nothing has run then.
 * @throws {TypeError} for `tasks` that are neither an array nor a {@linkcode TaskFile} (a
 * file name: see {@linkcode loadTaskFile}), or options that are not an object.
 * @throws {RangeError} for a `loadTimeoutMs` (or `stopGraceMs`) below 0 or `NaN`, or a
 * `concurrency` that is no limit; nothing has run then.
 */
export async function run(
  tasks: readonly TaskInput[] | TaskFile,
  options: RunOptions = {},
): Promise<RunReport> {
  checkTasksArgument("run", tasks);
  checkOptionsArgument("run", options);
  // Checked with tasks that name no modules too, as stopGraceMs is with tasks never stopped.
  checkLoadTimeout(options.loadTimeoutMs);
  // Task objects have no "executors" map, and their document is made only for a message.
  const taskFile = "locate" in tasks ? tasks : taskFileFromInputs(tasks, { lazyDocument: true });
  const registry = "locate" in tasks
    ? await withTaskFileExecutors(taskFile, options.registry ?? createDefaultRegistry(), options)
    : options.registry ?? createDefaultRegistry();
  return runChecked(taskFile, checkTaskFile(taskFile, registry), registry, options);
}

/**
 * {@linkcode run} for a task file already checked against `registry` (its plugins
 * registered), with the graph {@linkcode checkTaskFile} returned: the command line checks a
 * file before it decides what to run, and need not check it again.
 */
export async function runChecked(
  taskFile: TaskFile,
  graph: TaskGraph,
  registry: ExecutorRegistry,
  options: RunOptions = {},
): Promise<RunReport> {
  // Checked before anything is prepared (eval workers start then).
  const concurrency = checkedConcurrency(options.concurrency ?? taskFile.concurrency);
  checkedStopGrace(options.stopGraceMs);
  const executors = await prepareExecutors(
    taskFile,
    registry,
    concurrency ?? Infinity,
    options.signal,
  );
  const durations = options.history ? await readHistory(options.history) : undefined;
  // When more tasks are ready than may run, the one with the longest path ahead goes first.
  const priority = concurrency === undefined
    ? undefined
    : graphPriority(taskFile.tasks, graph, durations);
  let report: RunReport;
  try {
    report = await scheduleGraph(taskFile.tasks, graph, {
      executorFor: (type) => registry.get(type)!,
      baseDir: taskFile.baseDir,
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(options.resumed ? { resumed: options.resumed } : {}),
      ...(options.identity ? { identity: options.identity } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.failFast ? { failFast: true } : {}),
      ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
      ...(priority ? { priority } : {}),
    });
  } finally {
    await disposeExecutors(executors);
  }
  if (options.history) {
    const problem = await recordHistory(options.history, report, options.signal);
    // On stderr alone, as the run has ended: a report's events stop at run_ended. Once per
    // run, since one write is tried.
    if (problem) warn(problem);
  }
  return report;
}

/** The registry with the task file's own plugins: a copy, when it declares any. */
async function withTaskFileExecutors(
  taskFile: TaskFile,
  registry: ExecutorRegistry,
  options: ModuleLoadOptions,
): Promise<ExecutorRegistry> {
  if (taskFile.document.executors === undefined) return registry;
  const extended = registry.clone();
  await registerTaskFileExecutors(taskFile, extended, options);
  return extended;
}

/**
 * Lets each executor in use warm up with its tasks, one type after another in the order of
 * their first task; returns the executors in use. A `prepare()` that returns a promise is
 * awaited before the next. One that throws or rejects stops the run before it starts, as a
 * `TaskFileError` naming the executor's type and its first task, once the executors prepared
 * before it are disposed. When `signal` aborts while a `prepare()` is pending (Ctrl-C), the
 * waiting stops and no further executor is prepared: the run then begins already cancelled,
 * every task skipped, and the pending one is disposed with the rest when it ends.
 */
async function prepareExecutors(
  taskFile: TaskFile,
  registry: ExecutorRegistry,
  concurrency: number,
  signal: AbortSignal | undefined,
): Promise<Executor[]> {
  // Per type its executor and, only when that has a prepare() to give them to, its tasks.
  const byType = new Map<string, { executor: Executor; tasks: TaskSpec[] | undefined }>();
  for (const task of taskFile.tasks) {
    let entry = byType.get(task.type);
    if (!entry) {
      const executor = registry.get(task.type)!;
      byType.set(task.type, entry = { executor, tasks: executor.prepare ? [] : undefined });
    }
    entry.tasks?.push(task);
  }
  const prepared: Executor[] = [];
  for (const [type, { executor, tasks }] of byType) {
    try {
      const preparing = tasks ? executor.prepare?.(tasks, { concurrency }) : undefined;
      // Only a promise is waited for: a synchronous prepare() (eval's) costs no turn of the
      // event loop before the first task starts.
      if (isThenable(preparing) && !await settledUnlessAborted(preparing, signal)) {
        // Its prepare() may have acquired something already: disposed with the others.
        prepared.push(executor);
        break;
      }
    } catch (error) {
      await disposeExecutors(prepared);
      throw new TaskFileError(`executor "${type}": prepare() failed: ${describe(error)}`, {
        file: taskFile.file,
        task: tasks![0]!.name,
      });
    }
    prepared.push(executor);
  }
  return prepared;
}

/** Whether a value is a promise, or anything else `await` would wait for. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/**
 * Waits for `promise`: true once it resolves, false as soon as `signal` aborts first (then
 * its later rejection, if any, is handled here and dropped: the run is being interrupted).
 * Throws its rejection.
 */
async function settledUnlessAborted(
  promise: PromiseLike<unknown>,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (!signal) {
    await promise;
    return true;
  }
  if (signal.aborted) {
    // Abandoned before it was waited for: its rejection must not go uncaught either.
    Promise.resolve(promise).catch(() => {});
    return false;
  }
  let stopWaiting!: () => void;
  const aborted = new Promise<false>((resolve) => stopWaiting = () => resolve(false));
  signal.addEventListener("abort", stopWaiting, { once: true });
  try {
    // race() subscribes to both, so a rejection after the abort is not left unhandled.
    return await Promise.race([Promise.resolve(promise).then(() => true), aborted]);
  } finally {
    signal.removeEventListener("abort", stopWaiting);
  }
}

/**
 * Calls each executor's `dispose()`. One that throws or rejects is passed over: the run is
 * over, and its report stands.
 */
async function disposeExecutors(executors: readonly Executor[]): Promise<void> {
  await Promise.allSettled(executors.map(async (executor) => await executor.dispose?.()));
}
