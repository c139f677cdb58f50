/**
 * The options of {@linkcode schedule} and what identifies a run in its events.
 *
 * @module
 */

import type { Executor, RunEvent } from "./types.ts";

/**
 * Options of {@linkcode schedule}.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, type ScheduleOptions } from "@dagrun/dagrun";
 *
 * const registry = createDefaultRegistry();
 * const options: ScheduleOptions = {
 *   executorFor: (type) => registry.get(type)!,
 *   concurrency: 2,
 * };
 * ```
 */
export interface ScheduleOptions {
  /** Finds the executor of a task type; every type in the graph must have one. */
  readonly executorFor: (type: string) => Executor;
  /**
   * The most tasks running at once, a whole number from 1 (`Infinity`: no limit); unlimited
   * by default.
   */
  readonly concurrency?: number;
  /** Aborting it cancels the run: nothing new starts and running tasks are told to stop. */
  readonly signal?: AbortSignal;
  /** Receives every event, synchronously, in order. */
  readonly onEvent?: (event: RunEvent) => void;
  /** Directory relative paths resolve against; the working directory by default. */
  readonly baseDir?: string;
  /**
   * Start priority per task (index in file order): among ready tasks the highest starts
   * first; ties go in file order. File order alone by default. It may be read only when the
   * run starts: changes made to it during the run may be ignored.
   */
  readonly priority?: ArrayLike<number>;
  /**
   * Names of tasks already done in an earlier run (`--resume`): they end `ok` at once without
   * running, marked `resumed`, and their dependents start as usual.
   */
  readonly resumed?: ReadonlySet<string>;
  /**
   * Identifies the run in its events so that an NDJSON report can be resumed from: `file` and
   * `tasksHash` go into `run_started`, `hashes[i]` (task i's definition) into its
   * `task_started`, or its `task_ended` when resumed.
   */
  readonly identity?: RunIdentity;
  /**
   * Cancel the run at the first failure: running tasks are told to stop, as on an abort of
   * `signal`, and tasks not started are skipped.
   */
  readonly failFast?: boolean;
  /**
   * How long a task told to stop (its timeout, a cancellation) may take to end before it is
   * given up on and recorded as failed, in ms; 10,000 by default (an exec task's group gets
   * SIGKILL after 5 s); `Infinity` (or more than a timer takes, 2^31 - 1) never gives up. An
   * executor whose `run()` ignores its signal would otherwise hold the run for ever; what it
   * resolves with afterwards is ignored.
   */
  readonly stopGraceMs?: number;
}

/**
 * What makes a report resumable: which file it ran, and each task's definition hash.
 *
 * @example
 * ```ts
 * import { identify, loadTaskFile, readResumeReport, resumedTasks, run } from "@dagrun/dagrun";
 *
 * const taskFile = await loadTaskFile("tasks.json");
 * const identity = identify(taskFile);
 * const resumed = resumedTasks(taskFile, identity, await readResumeReport("last-run.ndjson"));
 * await run(taskFile, { identity, resumed });
 * ```
 */
export interface RunIdentity {
  /** The task file's absolute path, or `<stdin>`. */
  readonly file: string;
  /** A hash of the task names. */
  readonly tasksHash: string;
  /** Per task, in file order, a hash of its definition. */
  readonly hashes: readonly string[];
}
