/**
 * What the scheduler hands an executor with each attempt of a task: the executor's type and
 * the {@linkcode ExecutorContext}. Worked out per task once, at the start, so that the hot
 * path of a run without listeners reads two typed arrays and never the task object, and
 * shares one context among the tasks that need nothing of their own.
 *
 * @module
 */

import { describeValue, quote, warn } from "./errors.ts";
import { now } from "./run_report.ts";
import type { ExecutorContext, OutputOptions, OutputStream, RunEvent, TaskSpec } from "./types.ts";

/** What {@linkcode TaskContexts} needs of its run. */
export interface TaskContextsOptions {
  /** The run's listener: with one, every task gets a context that passes its output on. */
  readonly emit: ((event: RunEvent) => void) | undefined;
  /** The run's stop signal, the shared context's. */
  readonly stop: AbortSignal;
  /** The directory relative task paths are resolved against; the working directory if unset. */
  readonly baseDir: string | undefined;
  /** How many tasks of the run are running (for executors that adapt to it). */
  readonly runningTasks: () => number;
  /** Whether the run has ended (`run_ended` is out): no event may follow it. */
  readonly runEnded: () => boolean;
}

/** The executor types and contexts of one run's tasks, by the scheduler's task numbers. */
export class TaskContexts {
  readonly #types: string[] = [];
  /** Per task, its type's position in #types. */
  readonly #typeOf: Uint32Array;
  /** 1 for a task that needs a context of its own (a time limit, env or cwd). */
  readonly #ownContext: Uint8Array;
  readonly #options: TaskContextsOptions;
  /** The working directory at the start, for tasks that set none (read once: it is a syscall). */
  readonly #cwd: string;
  readonly #baseDir: string;
  #shared: ExecutorContext | undefined;
  /** Contexts of attempts that have ended: their output() drops what it is given. */
  readonly #ended = new WeakSet<ExecutorContext>();
  /** Tasks already warned of output after their end: one warning each. */
  readonly #warned = new Set<string>();

  /** Describes the tasks in one pass, in memory order. */
  constructor(tasks: readonly TaskSpec[], options: TaskContextsOptions) {
    this.#options = options;
    this.#cwd = Deno.cwd();
    this.#baseDir = options.baseDir ?? this.#cwd;
    this.#typeOf = new Uint32Array(tasks.length);
    this.#ownContext = new Uint8Array(tasks.length);
    const typeIds = new Map<string, number>();
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i]!;
      let id = typeIds.get(task.type);
      if (id === undefined) {
        typeIds.set(task.type, id = this.#types.length);
        this.#types.push(task.type);
      }
      this.#typeOf[i] = id;
      if (task.timeoutMs !== undefined || task.env || task.cwd !== undefined) {
        this.#ownContext[i] = 1;
      }
    }
  }

  /** Task `index`'s type. */
  typeOf(index: number): string {
    return this.#types[this.#typeOf[index]!]!;
  }

  /**
   * The one context shared by the tasks with no options of their own when the run has no
   * listener, or `undefined` for a task that needs its own: no allocation per task on the
   * hot path. Its signal is the run's stop signal.
   */
  sharedFor(index: number): ExecutorContext | undefined {
    if (this.#options.emit !== undefined || this.#ownContext[index] !== 0) return undefined;
    return this.#shared ??= this.#sharedContext();
  }

  /**
   * A context of its own for an attempt of `task`, stopped by `signal`. Once the attempt has
   * ended ({@linkcode TaskContexts.ended}), its `output()` drops what it is given.
   */
  contextFor(task: TaskSpec, signal: AbortSignal): ExecutorContext {
    const { emit, runningTasks } = this.#options;
    const { name, type } = task;
    const context: ExecutorContext = {
      signal,
      timeoutMs: task.timeoutMs,
      env: task.env,
      cwd: task.cwd ?? this.#cwd,
      baseDir: this.#baseDir,
      output: emit
        ? (stream: OutputStream, text: string, options?: OutputOptions) => {
          // A plugin's values go into events that formatters and the NDJSON schema rely on.
          if (typeof text !== "string" || (stream !== "stdout" && stream !== "stderr")) {
            throw new TypeError(badOutput(stream, text));
          }
          // Past the task's end line, output would read as the task's (or, after a retry,
          // as the next attempt's). Not thrown: a plugin given up on for ignoring its
          // signal may well still be writing, and a throw in its timer or stream would
          // end the whole run.
          if (this.#ended.has(context)) return this.#late(name, type);
          // The flag only on a piece: most output is whole lines.
          emit(
            options?.continues === true
              ? { event: "output", task: name, stream, text, continues: true }
              : { event: "output", task: name, stream, text },
          );
        }
        : IGNORE_OUTPUT,
      runningTasks,
    };
    return context;
  }

  /** Marks the attempt `context` was made for as ended (see {@linkcode contextFor}). */
  ended(context: ExecutorContext): void {
    this.#ended.add(context);
  }

  #late(name: string, type: string): void {
    if (this.#warned.has(name)) return;
    this.#warned.add(name);
    const message = `task ${quote(name)} (type ${
      quote(type)
    }) wrote output after it ended; dropped`;
    // On stderr for whoever watches, as Deno warns; as an event for the report (NDJSON,
    // --report) while the run lasts: after run_ended, a line would break a report's end.
    warn(message);
    if (!this.#options.runEnded()) {
      this.#options.emit?.({ event: "warning", task: name, message, time: now() });
    }
  }

  #sharedContext(): ExecutorContext {
    return {
      signal: this.#options.stop,
      timeoutMs: undefined,
      env: undefined,
      cwd: this.#cwd,
      baseDir: this.#baseDir,
      output: IGNORE_OUTPUT,
      runningTasks: this.#options.runningTasks,
    };
  }
}

const IGNORE_OUTPUT = () => {};

/** Why an `output(stream, text)` call is refused. */
function badOutput(stream: unknown, text: unknown): string {
  return `output(stream, text) takes "stdout" or "stderr" and a string, not ${
    describeValue(stream)
  } and ${describeValue(text)}`;
}
