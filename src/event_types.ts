/**
 * The events of a run, as `run()`'s `onEvent`, `runEvents()` and the NDJSON report give them.
 *
 * @module
 */

import type { OutputStream, RunReport } from "./types.ts";

/**
 * Emitted once when the run begins.
 *
 * @example
 * ```ts
 * import type { RunStartedEvent } from "@dagrun/dagrun";
 *
 * const event: RunStartedEvent = { event: "run_started", total: 4, time: Date.now() };
 * ```
 */
export interface RunStartedEvent {
  /** Discriminant. */
  readonly event: "run_started";
  /** Number of tasks in the run. */
  readonly total: number;
  /** The task file's absolute path (`<stdin>` for standard input), when the run identifies it. */
  readonly file?: string;
  /** A hash of the file's task names, which `--resume` checks a report against. */
  readonly tasksHash?: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * Emitted when a task's executor is called.
 *
 * @example
 * ```ts
 * import type { TaskStartedEvent } from "@dagrun/dagrun";
 *
 * const event: TaskStartedEvent = {
 *   event: "task_started",
 *   task: "build",
 *   type: "exec",
 *   time: Date.now(),
 * };
 * ```
 */
export interface TaskStartedEvent {
  /** Discriminant. */
  readonly event: "task_started";
  /** Task name. */
  readonly task: string;
  /** Task type. */
  readonly type: string;
  /** A hash of the task's definition (type, arguments, env, cwd), when the run identifies it. */
  readonly hash?: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * A piece of a task's output, whole lines without their final newline.
 *
 * @example
 * ```ts
 * import type { OutputEvent } from "@dagrun/dagrun";
 *
 * const event: OutputEvent = { event: "output", task: "build", stream: "stdout", text: "done" };
 * ```
 */
export interface OutputEvent {
  /** Discriminant. */
  readonly event: "output";
  /** Task name. */
  readonly task: string;
  /** `stdout` or `stderr`. */
  readonly stream: OutputStream;
  /** The text. */
  readonly text: string;
  /**
   * Set when `text` is one piece of a line too long to pass whole (the exec executor cuts a
   * line at 64 Ki characters): the line goes on in the stream's next `output` event.
   */
  readonly continues?: true;
}

/**
 * Emitted when a task has run and ended, `ok` or `failed`.
 *
 * @example
 * ```ts
 * import type { TaskEndedEvent } from "@dagrun/dagrun";
 *
 * const event: TaskEndedEvent = {
 *   event: "task_ended",
 *   task: "lint",
 *   status: "failed",
 *   exitCode: 1,
 *   error: "exit code 1",
 *   durationMs: 9.8,
 *   time: Date.now(),
 * };
 * ```
 */
export interface TaskEndedEvent {
  /** Discriminant. */
  readonly event: "task_ended";
  /** Task name. */
  readonly task: string;
  /** `ok` or `failed`. */
  readonly status: "ok" | "failed";
  /** Exit code of the process, when there was one. */
  readonly exitCode?: number;
  /** Signal that ended the process, when one did. */
  readonly signal?: string;
  /** Why the task failed. */
  readonly error?: string;
  /** Wall time the task ran, in milliseconds, over all its attempts; 0 when resumed. */
  readonly durationMs: number;
  /** How many times it ran, when more than once. */
  readonly attempts?: number;
  /** Present on a failure that was allowed: its dependents run and the run does not fail. */
  readonly allowed?: true;
  /** Present when the task did not run but was taken as done from an earlier run's report. */
  readonly resumed?: true;
  /** The definition hash of a resumed task, so that a report can itself be resumed from. */
  readonly hash?: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * Emitted when a failed attempt of a task will be followed by another.
 *
 * @example
 * ```ts
 * import type { TaskRetryEvent } from "@dagrun/dagrun";
 *
 * const event: TaskRetryEvent = {
 *   event: "task_retry",
 *   task: "flaky",
 *   attempt: 2,
 *   attempts: 3,
 *   delayMs: 1000,
 *   exitCode: 1,
 *   error: "exit code 1",
 *   time: Date.now(),
 * };
 * ```
 */
export interface TaskRetryEvent {
  /** Discriminant. */
  readonly event: "task_retry";
  /** Task name. */
  readonly task: string;
  /** The attempt about to run, from 2. */
  readonly attempt: number;
  /** The most attempts the task gets (its retries plus one). */
  readonly attempts: number;
  /** Milliseconds until the attempt starts. */
  readonly delayMs: number;
  /** Exit code of the failed attempt, when there was one. */
  readonly exitCode?: number;
  /** Signal that ended the failed attempt, when one did. */
  readonly signal?: string;
  /** Why the attempt failed. */
  readonly error?: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * Emitted when a task will not run.
 *
 * @example
 * ```ts
 * import type { TaskSkippedEvent } from "@dagrun/dagrun";
 *
 * const event: TaskSkippedEvent = {
 *   event: "task_skipped",
 *   task: "ship",
 *   reason: 'dependency "lint" failed',
 *   time: Date.now(),
 * };
 * ```
 */
export interface TaskSkippedEvent {
  /** Discriminant. */
  readonly event: "task_skipped";
  /** Task name. */
  readonly task: string;
  /** Why, naming the failed task at the root. */
  readonly reason: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * Something went wrong that is not a task's failure and does not stop the run; dagrun also
 * prints it on stderr, after `dagrun: warning: `. Two kinds so far: the task file's warnings
 * (a field that looks like one of dagrun's misspelled, which is ignored: `FILE:LINE:COL: task
 * "b": unknown field "dependecies" …`), right after `run_started` (the top level's first,
 * then each task's in file order); and a task (a plugin's) that wrote output after it had
 * ended, which was dropped, said once per task and
 * only while the run lasts (after `run_ended` there is no event: stderr alone says it).
 *
 * @example
 * ```ts
 * import type { WarningEvent } from "@dagrun/dagrun";
 *
 * const event: WarningEvent = {
 *   event: "warning",
 *   task: "a",
 *   message: 'task "a" (type "late") wrote output after it ended; dropped',
 *   time: Date.now(),
 * };
 * ```
 */
export interface WarningEvent {
  /** Discriminant. */
  readonly event: "warning";
  /** The task it is about, when it is about one. */
  readonly task?: string;
  /** What happened, in one line. */
  readonly message: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * Emitted once when every task has ended.
 *
 * @example
 * ```ts
 * import { run, type RunEndedEvent } from "@dagrun/dagrun";
 *
 * let last: RunEndedEvent | undefined;
 * await run([{ name: "a", type: "exec", arguments: "true" }], {
 *   onEvent: (event) => {
 *     if (event.event === "run_ended") last = event;
 *   },
 * });
 * last?.counts; // { ok: 1, failed: 0, skipped: 0 }
 * ```
 */
export interface RunEndedEvent extends RunReport {
  /** Discriminant. */
  readonly event: "run_ended";
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/**
 * Everything the scheduler reports while running.
 *
 * @example
 * ```ts
 * import { run, type RunEvent } from "@dagrun/dagrun";
 *
 * const describe = (event: RunEvent): string => {
 *   switch (event.event) {
 *     case "task_started":
 *       return `started ${event.task}`;
 *     case "output":
 *       return `[${event.task}] ${event.text}`;
 *     case "task_ended":
 *       return `${event.task}: ${event.status}`;
 *     default:
 *       return event.event;
 *   }
 * };
 * await run([{ name: "a", type: "exec", arguments: "echo hi" }], {
 *   onEvent: (event) => console.log(describe(event)),
 * });
 * ```
 */
export type RunEvent =
  | RunStartedEvent
  | TaskStartedEvent
  | OutputEvent
  | TaskEndedEvent
  | TaskRetryEvent
  | TaskSkippedEvent
  | WarningEvent
  | RunEndedEvent;
