/**
 * The data model shared by the loader, the scheduler, the executors and the formatters.
 *
 * @module
 */

/** One task as written in a task file, after validation. */
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
 */
export type TaskStatus = "pending" | "running" | "ok" | "failed" | "skipped";

/** The statuses a task can end in. */
export type TerminalStatus = "ok" | "failed" | "skipped";

/** Which output stream a line of task output belongs to. */
export type OutputStream = "stdout" | "stderr";

/** What an executor returns for one run of a task. */
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

/** Everything an executor gets besides the task itself. */
export interface ExecutorContext {
  /**
   * Aborted when the task must stop: interruption, fail-fast or its timeout. The reason
   * says which; the scheduler words the failure, so an executor need not.
   */
  readonly signal: AbortSignal;
  /** The task's time limit in milliseconds, when it has one (already armed in `signal`). */
  readonly timeoutMs: number | undefined;
  /** Variables to merge over the environment, when the task sets any. */
  readonly env: Readonly<Record<string, string>> | undefined;
  /** Working directory for the task. */
  readonly cwd: string;
  /** Passes one piece of output on; `text` holds whole lines without their final newline. */
  readonly output: (stream: OutputStream, text: string) => void;
  /** Directory the task file lives in, against which relative paths resolve. */
  readonly baseDir: string;
}

/**
 * An executor plugin: runs the tasks of one type.
 *
 * It returns a {@linkcode TaskResult} for a task's own failure and throws only for its own
 * bugs; a throw is still recorded as the task's failure.
 */
export interface Executor {
  /** The task type it handles, the key of the registry. */
  readonly type: string;
  /** An optional JSON Schema the task's `arguments` must satisfy. */
  readonly argumentsSchema?: Record<string, unknown>;
  /** Runs one task. */
  run(task: TaskSpec, context: ExecutorContext): Promise<TaskResult>;
  /**
   * Called once before a run with the tasks of this type, to warm up (pools, caches); `run`
   * tells how the run is limited.
   */
  prepare?(tasks: readonly TaskSpec[], run?: PrepareOptions): void;
  /** Releases what `prepare` or `run` acquired; called once when the run is over. */
  dispose?(): void | Promise<void>;
}

/** What {@linkcode Executor.prepare} is told about the run. */
export interface PrepareOptions {
  /** The most tasks running at once; `Infinity` when unlimited. */
  readonly concurrency: number;
}

/** Where a task ended up, as the final report shows it. */
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

/** Counts of tasks by terminal status. */
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

/** The outcome of a whole run. */
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

/** Emitted once when the run begins. */
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

/** Emitted when a task's executor is called. */
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

/** A piece of a task's output, whole lines without their final newline. */
export interface OutputEvent {
  /** Discriminant. */
  readonly event: "output";
  /** Task name. */
  readonly task: string;
  /** `stdout` or `stderr`. */
  readonly stream: OutputStream;
  /** The text. */
  readonly text: string;
}

/** Emitted when a task has run and ended, `ok` or `failed`. */
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

/** Emitted when a failed attempt of a task will be followed by another. */
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

/** Emitted when a task will not run. */
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

/** Emitted once when every task has ended. */
export interface RunEndedEvent extends RunReport {
  /** Discriminant. */
  readonly event: "run_ended";
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/** Everything the scheduler reports while running. */
export type RunEvent =
  | RunStartedEvent
  | TaskStartedEvent
  | OutputEvent
  | TaskEndedEvent
  | TaskRetryEvent
  | TaskSkippedEvent
  | RunEndedEvent;
