/**
 * The data model shared by the loader, the scheduler, the executors and the formatters.
 *
 * @module
 */

/**
 * One task as written in a task file, after validation.
 *
 * @example
 * ```ts
 * import type { TaskSpec } from "@dagrun/dagrun";
 *
 * const task: TaskSpec = {
 *   name: "test",
 *   type: "exec",
 *   arguments: "deno test",
 *   dependencies: ["build"],
 *   timeoutMs: 60_000,
 * };
 * ```
 */
export interface TaskSpec {
  /** Unique, non-empty name. */
  readonly name: string;
  /** The executor that runs it, such as `exec` or `eval`. */
  readonly type: string;
  /** What the executor runs: a shell command for `exec`, a snippet for `eval`. */
  readonly arguments: unknown;
  /** Names of the tasks that must end `ok` before this one starts. */
  readonly dependencies: readonly string[];
  /** Time limit in milliseconds; the task fails as timed out past it. */
  readonly timeoutMs?: number;
  /** Variables merged over the environment for this task. */
  readonly env?: Readonly<Record<string, string>>;
  /** Absolute working directory; the process's own when absent. */
  readonly cwd?: string;
  /** How many times a failed task is run again; 0 by default. */
  readonly retries?: number;
  /** Milliseconds to wait before each retry; 0 by default. */
  readonly retryDelayMs?: number;
  /** When set, a failure is reported but its dependents run and the run does not fail. */
  readonly allowFailure?: boolean;
}

/**
 * The life of a task:
 * - `pending`: waiting for its dependencies or for a free slot;
 * - `running`: its executor has been called and has not returned;
 * - `ok`: it ran and succeeded;
 * - `failed`: it ran and failed (non-zero exit, signal, thrown error, timeout, interruption);
 * - `skipped`: it never ran, because a dependency failed or was skipped, or the run was cancelled.
 *
 * @example
 * ```ts
 * import type { TaskStatus } from "@dagrun/dagrun";
 *
 * const status: TaskStatus = "running";
 * ```
 */
export type TaskStatus = "pending" | "running" | "ok" | "failed" | "skipped";

/**
 * The statuses a task can end in.
 *
 * @example
 * ```ts
 * import type { TerminalStatus } from "@dagrun/dagrun";
 *
 * const statuses: TerminalStatus[] = ["ok", "failed", "skipped"];
 * ```
 */
export type TerminalStatus = "ok" | "failed" | "skipped";

/**
 * Which output stream a line of task output belongs to.
 *
 * @example
 * ```ts
 * import type { OutputStream } from "@dagrun/dagrun";
 *
 * const stream: OutputStream = "stderr";
 * ```
 */
export type OutputStream = "stdout" | "stderr";

/**
 * What an executor returns for one run of a task.
 *
 * @example
 * ```ts
 * import type { TaskResult } from "@dagrun/dagrun";
 *
 * const ok: TaskResult = { ok: true, exitCode: 0 };
 * const failed: TaskResult = { ok: false, exitCode: 2, error: "exit code 2" };
 * ```
 */
export interface TaskResult {
  /** Whether the task succeeded. */
  readonly ok: boolean;
  /** The exit code of a process, when there was one. */
  readonly exitCode?: number;
  /** The name of the signal that ended a process, such as `SIGKILL`. */
  readonly signal?: string;
  /** Why the task failed, in one line. */
  readonly error?: string;
}

/**
 * What an executor may say of a piece of output it passes to {@linkcode ExecutorContext.output}.
 *
 * @example
 * ```ts
 * import type { OutputOptions } from "@dagrun/dagrun";
 *
 * const piece: OutputOptions = { continues: true };
 * ```
 */
export interface OutputOptions {
  /**
   * The text is one piece of a line cut short (the exec executor cuts a line longer than
   * 64 Ki characters, `MAX_LINE_LENGTH`): the line goes on in the stream's next output.
   * The HTML report then reads an escape sequence cut between the two as one.
   */
  readonly continues?: boolean;
}

/**
 * Everything an executor gets besides the task itself.
 *
 * Output goes through one writer for both streams, {@linkcode ExecutorContext.output}, named by
 * its first argument: it maps one to one onto the `output` event, and a single function keeps
 * the context a plain object that tests and wrappers can build in one line. Pass whole lines;
 * {@linkcode forEachLine} splits a byte stream into them.
 *
 * @example A context for calling an executor directly, as a test would
 * ```ts
 * import type { ExecutorContext } from "@dagrun/dagrun";
 *
 * const context: ExecutorContext = {
 *   signal: AbortSignal.timeout(10_000),
 *   timeoutMs: 10_000,
 *   env: undefined,
 *   cwd: Deno.cwd(),
 *   baseDir: Deno.cwd(),
 *   output: (stream, text) => console.log(`${stream}: ${text}`),
 * };
 * ```
 */
export interface ExecutorContext {
  /**
   * Aborted when the task must stop: interruption, fail-fast or its timeout. The reason
   * says which; the scheduler words the failure, so an executor need not. An executor stops
   * its work when it fires and returns `{ ok: false }`.
   */
  readonly signal: AbortSignal;
  /** The task's time limit in milliseconds, when it has one (already armed in `signal`). */
  readonly timeoutMs: number | undefined;
  /** Variables to merge over the environment, when the task sets any. */
  readonly env: Readonly<Record<string, string>> | undefined;
  /** Working directory for the task. */
  readonly cwd: string;
  /**
   * The task's stdout and stderr writer: passes one piece of output on to the formatters.
   * `text` holds whole lines without their final newline; or, with `options.continues`, one
   * piece of a line too long to pass whole, whose rest comes in the next call for `stream`
   * (the `output` event then says `continues`).
   */
  readonly output: (stream: OutputStream, text: string, options?: OutputOptions) => void;
  /** Directory the task file lives in, against which relative paths resolve. */
  readonly baseDir: string;
  /**
   * How many tasks of the run are running now, this one included, when the caller knows.
   * At 1 nothing else of the run is waiting on the event loop, so an executor may block it
   * briefly for latency (the exec executor waits for a short child on the main thread).
   * Tasks started together are counted as each starts: ask after an `await`, not in the
   * synchronous part of `run`.
   */
  readonly runningTasks?: () => number;
}

/**
 * An executor plugin: runs the tasks of one type.
 *
 * It returns a {@linkcode TaskResult} for a task's own failure (`{ ok: false, error }`) and
 * throws only for its own bugs; a throw is still recorded as the task's failure. When
 * `argumentsSchema` is set, every task of its type is checked against it before anything
 * runs, with the same `FILE:LINE:COL: task "NAME": ...` errors as the built-in types.
 *
 * A module whose default export is an executor, or an array of them, is a plugin:
 * `dagrun --executor ./shout.ts tasks.json`, or `"executors": { "shout": "./shout.ts" }` in the
 * task file.
 *
 * @example A plugin that prints its argument in capitals
 * ```ts
 * import type { Executor } from "@dagrun/dagrun";
 *
 * export default {
 *   type: "shout",
 *   argumentsSchema: { type: "string", minLength: 1 },
 *   run(task, context) {
 *     if (context.signal.aborted) return Promise.resolve({ ok: false, error: "interrupted" });
 *     context.output("stdout", String(task.arguments).toUpperCase());
 *     return Promise.resolve({ ok: true });
 *   },
 * } satisfies Executor;
 * ```
 */
export interface Executor {
  /** The task type it handles, the key of the registry. */
  readonly type: string;
  /** An optional JSON Schema (draft-07) the task's `arguments` must satisfy. */
  readonly argumentsSchema?: Record<string, unknown>;
  /**
   * Set on a plugin that is meant to replace an executor already registered for its type,
   * such as the built-in `exec`; without it, loading such a plugin is an error.
   */
  readonly override?: boolean;
  /** Runs one task; resolves with its result, also when the task fails. */
  run(task: TaskSpec, context: ExecutorContext): Promise<TaskResult>;
  /**
   * Called once before a run with the tasks of this type, to warm up (pools, caches); `run`
   * tells how the run is limited. A promise it returns is awaited before the run begins (and
   * before the next type's `prepare`); one that throws or rejects stops the run before any
   * task starts. Interrupted while it is pending (the run's signal aborted), the run stops
   * waiting and begins cancelled; `dispose` is called all the same, so it may come before the
   * promise settles.
   */
  prepare?(tasks: readonly TaskSpec[], run?: PrepareOptions): void | Promise<void>;
  /** Releases what `prepare` or `run` acquired; called once when the run is over. */
  dispose?(): void | Promise<void>;
}

/**
 * What {@linkcode Executor.prepare} is told about the run.
 *
 * @example
 * ```ts
 * import type { PrepareOptions } from "@dagrun/dagrun";
 *
 * const limits: PrepareOptions = { concurrency: 4 };
 * ```
 */
export interface PrepareOptions {
  /** The most tasks running at once; `Infinity` when unlimited. */
  readonly concurrency: number;
}

/**
 * Where a task ended up, as the final report shows it.
 *
 * @example
 * ```ts
 * import type { TaskReport } from "@dagrun/dagrun";
 *
 * const row: TaskReport = {
 *   name: "lint",
 *   type: "exec",
 *   status: "failed",
 *   durationMs: 7,
 *   exitCode: 1,
 *   error: "exit code 1",
 * };
 * ```
 */
export interface TaskReport {
  /** The task's name. */
  readonly name: string;
  /** The task's type. */
  readonly type: string;
  /** How it ended. */
  readonly status: TerminalStatus;
  /** Wall time from start to end in milliseconds; 0 for a skipped task. */
  readonly durationMs: number;
  /** Exit code of the process, when there was one. */
  readonly exitCode?: number;
  /** Signal that ended the process, when one did. */
  readonly signal?: string;
  /** Why it failed. */
  readonly error?: string;
  /** Why it was skipped. */
  readonly reason?: string;
  /** How many times it ran, when more than once (it was retried). */
  readonly attempts?: number;
  /** Present on a failed task whose failure was allowed (`allowFailure`). */
  readonly allowed?: true;
  /** Present on a task taken as done from an earlier run's report (`--resume`). */
  readonly resumed?: true;
}

/**
 * Counts of tasks by terminal status.
 *
 * @example
 * ```ts
 * import type { StatusCounts } from "@dagrun/dagrun";
 *
 * const counts: StatusCounts = { ok: 2, failed: 1, skipped: 1 };
 * ```
 */
export interface StatusCounts {
  /** Tasks that succeeded. */
  ok: number;
  /** Tasks that failed. */
  failed: number;
  /** Tasks that were skipped. */
  skipped: number;
  /** Failed tasks whose failure was allowed (also counted in `failed`); absent when none. */
  allowed?: number;
}

/**
 * The outcome of a whole run.
 *
 * @example
 * ```ts
 * import { run } from "@dagrun/dagrun";
 *
 * const report = await run([{ name: "a", type: "exec", arguments: "exit 3" }]);
 * report.ok; // false
 * report.tasks[0]?.error; // "exit code 3"
 * ```
 */
export interface RunReport {
  /** Whether every task ended `ok`, or `failed` with its failure allowed. */
  readonly ok: boolean;
  /** Whether the run was cancelled before it finished (interruption or fail-fast). */
  readonly cancelled: boolean;
  /** Tasks per terminal status. */
  readonly counts: StatusCounts;
  /** Wall time of the whole run in milliseconds. */
  readonly durationMs: number;
  /** One entry per task, in file order. */
  readonly tasks: readonly TaskReport[];
}

// The events of a run, in a file of their own; exported from here as part of the model.
export type * from "./event_types.ts";
