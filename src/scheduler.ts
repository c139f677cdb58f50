/**
 * The scheduler: runs a validated task graph with as much concurrency as allowed.
 *
 * Its {@linkcode DependencyTracker} keeps, like CPython's graphlib and ninja's `Plan`, per
 * task a count of dependencies not yet ended and the list of its dependents. When a task ends,
 * its dependents' counts drop and those reaching zero join the ready queue, and ready tasks
 * start at once, in the same turn of the event loop: nothing polls and nothing rescans the
 * graph. The loop here calls the executors (with the contexts of `task_contexts.ts`), retries,
 * times out and cancels; it emits events and never prints; formatters subscribe.
 *
 * @module
 */

import type { ExecutorContext, RunEvent, RunReport, TaskResult, TaskSpec } from "./types.ts";
import type { ScheduleOptions } from "./schedule_options.ts";
import {
  buildRunReport,
  describe,
  FAILED,
  now,
  OK,
  PENDING,
  resultFields,
  RUNNING,
  SKIPPED,
} from "./run_report.ts";
import { rankTasks } from "./ready_queue.ts";
import { checkedWaitMs, RunningTimeout, suspendedMs } from "./suspension.ts";
import { formatSeconds } from "./duration.ts";
import { describeValue } from "./errors.ts";
import { findCycleInGraph, indexTaskGraph, type TaskGraph } from "./task_graph.ts";
import { DependencyTracker } from "./dependency_tracker.ts";
import { formatCycle } from "./check.ts";
import { TaskContexts } from "./task_contexts.ts";
import { checkScheduleArguments } from "./argument_checks.ts";

export type { RunIdentity, ScheduleOptions } from "./schedule_options.ts";
export { describe } from "./run_report.ts";

/**
 * Runs every task of a graph and resolves with the report when all have ended: the bare
 * loop, without the checks of `run()` (meant for a graph already validated: unique names,
 * known dependencies, no cycle).
 *
 * A task starts once all its dependencies ended `ok`; when one fails or is skipped, its
 * dependents are skipped, transitively, naming the failed task at the root. Tasks on a
 * dependency cycle, and those after one, are skipped once nothing else runs, naming the
 * cycle; a dependency that names no task rejects the promise before anything starts.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, schedule, validate } from "@dagrun/dagrun";
 *
 * // run() does this and more (plugins, prepare and dispose); schedule() is the bare loop.
 * const registry = createDefaultRegistry();
 * const { tasks } = validate([{ name: "a", type: "exec", arguments: "echo a" }], registry);
 * const report = await schedule(tasks, { executorFor: (type) => registry.get(type)! });
 * ```
 *
 * @throws {TypeError} (as a rejection) for tasks that are not an array of objects, or options
 * without an `executorFor()` function.
 */
export function schedule(
  tasks: readonly TaskSpec[],
  options: ScheduleOptions,
): Promise<RunReport> {
  let graph: TaskGraph;
  try {
    graph = indexTaskGraph(tasks);
    checkScheduleArguments(tasks, options);
  } catch (error) {
    // Arguments of the wrong kind make indexing fail in its own words: said better. Looked
    // at only then, since a look at every task costs a cache miss each at a million.
    try {
      checkScheduleArguments(tasks, options, true);
    } catch (better) {
      return Promise.reject(better);
    }
    return Promise.reject(error);
  }
  return scheduleGraph(tasks, graph, options);
}

/** {@linkcode schedule} for a graph already in integer form (as the checks give it). */
export function scheduleGraph(
  tasks: readonly TaskSpec[],
  graph: TaskGraph,
  options: ScheduleOptions,
): Promise<RunReport> {
  try {
    return new Run(tasks, graph, options).promise;
  } catch (error) {
    // A promise-returning function reports through its promise (a bad concurrency, say).
    return Promise.reject(error);
  }
}

class Run {
  readonly promise: Promise<RunReport>;
  #resolve!: (report: RunReport) => void;
  #reject!: (error: unknown) => void;
  /** What the caller's event listener threw first, if it did: the run stops, and rejects. */
  #listenerError: { readonly error: unknown } | undefined;

  /**
   * The tasks in the scheduler's own numbering, which every per-task array below follows.
   * With priorities, task i is number #slotOf[i], its rank in the start order: tasks then
   * run about in the order of their numbers, so that their state is read and written near
   * where the last task's was, not all over memory. File order otherwise.
   */
  readonly #tasks: readonly TaskSpec[];
  /** The tasks in file order, for the report and for what goes in file order. */
  readonly #fileTasks: readonly TaskSpec[];
  /** The graph in file order, to name a cycle should the run find one (see #skipStuck). */
  readonly #graph: TaskGraph;
  /** Task i's number; absent when numbers are file order. */
  readonly #slotOf: Int32Array | undefined;
  /** The task (in file order) of each number; absent when numbers are file order. */
  readonly #fileIndexOf: Int32Array | undefined;
  readonly #options: ScheduleOptions;
  readonly #emit: ((event: RunEvent) => void) | undefined;
  readonly #limit: number;
  /** Each task's executor type and context. */
  readonly #contexts: TaskContexts;

  /** What may run; its state array is the tasks' states. */
  readonly #tracker: DependencyTracker;
  readonly #state: Uint8Array;
  /** When each task started, on a clock that stops while the process is suspended. */
  readonly #startClock: Float64Array;
  readonly #durations: Float64Array;
  readonly #results: (TaskResult | undefined)[];
  readonly #skipReasons: (string | undefined)[];
  /** Attempts made per task; more than one only for retried tasks. */
  readonly #attempts: Uint32Array;
  /** Per running attempt, the function that ends it (see #attempt), to give up on it. */
  readonly #enders: (((result: TaskResult) => void) | undefined)[];
  readonly #stopGraceMs: number;
  /** Set on cancellation: gives up on the tasks still running when it fires. */
  #giveUpTimer: RunningTimeout | undefined;
  /** Tasks waiting out their retry delay, with the timer and the failed attempt's result. */
  readonly #waiting = new Map<number, { timer: Timer; result: TaskResult }>();
  readonly #hashes: readonly string[] | undefined;
  #resumed: Uint8Array | undefined;

  #running = 0;
  #ended = 0;
  #cancelled = false;
  #finished = false;
  /** Aborted on cancellation; every task's signal follows it. */
  readonly #stop = new AbortController();
  readonly #runStart = now();

  constructor(tasks: readonly TaskSpec[], graph: TaskGraph, options: ScheduleOptions) {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const count = tasks.length;
    // Priorities that rank by counting renumber the tasks; others keep file order and a heap.
    const ranks = options.priority ? rankTasks(options.priority, count) : undefined;
    this.#fileTasks = tasks;
    this.#graph = graph;
    this.#slotOf = ranks?.rank;
    this.#fileIndexOf = ranks?.task;
    this.#tasks = ranks ? inOrder(tasks, ranks.task) : tasks;
    this.#options = options;
    const listener = options.onEvent;
    // A listener that throws is the caller's bug: it stops the run, which then rejects with
    // it, rather than surfacing wherever the event happened to be sent from (a task's end, a
    // child's output, a worker's message), where it crashed the process or lost the run.
    this.#emit = listener && ((event) => {
      try {
        listener(event);
      } catch (error) {
        this.#listenerThrew(error);
      }
    });
    this.#limit = checkedConcurrency(options.concurrency) ?? Infinity;
    // Ranked, the numbers are the start order; a priority that cannot be ranked goes to a heap.
    this.#tracker = new DependencyTracker(
      graph,
      this.#slotOf,
      ranks ? undefined : options.priority,
    );
    this.#state = this.#tracker.state;
    this.#startClock = new Float64Array(count);
    this.#durations = new Float64Array(count);
    this.#results = new Array(count);
    this.#skipReasons = new Array(count);
    this.#attempts = new Uint32Array(count);
    this.#enders = new Array(count);
    this.#stopGraceMs = checkedStopGrace(options.stopGraceMs);
    this.#contexts = new TaskContexts(this.#tasks, {
      emit: this.#emit,
      stop: this.#stop.signal,
      baseDir: options.baseDir,
      runningTasks: () => this.#running,
      runEnded: () => this.#finished,
    });
    const hashes = options.identity?.hashes;
    this.#hashes = hashes && ranks ? inOrder(hashes, ranks.task) : hashes;

    const identity = options.identity;
    this.#emit?.({
      event: "run_started",
      total: count,
      ...(identity ? { file: identity.file, tasksHash: identity.tasksHash } : {}),
      time: this.#runStart,
    });
    if (options.resumed && options.resumed.size > 0) this.#resume(options.resumed);
    const signal = options.signal;
    if (signal?.aborted) {
      this.#cancel(signal.reason);
    } else {
      signal?.addEventListener("abort", () => this.#cancel(signal.reason), { once: true });
      this.#tracker.queueReady();
      this.#startReady();
    }
    this.#finishIfDone();
  }

  /**
   * Starts ready tasks while there is room. `endTime`, when a task has just ended and no
   * listener ran since, is the first start's time too: nothing but this bookkeeping came
   * between, and a clock read is a tenth of the scheduler's cost per task. Later starts in
   * the loop come after an executor's run() and read the clock.
   */
  #startReady(endTime?: number): void {
    let time = this.#emit ? undefined : endTime;
    const tracker = this.#tracker;
    // Nothing starts once the listener has thrown: the run is stopping (see #listenerThrew).
    while (
      this.#running < this.#limit && tracker.readyCount > 0 && !this.#cancelled &&
      this.#listenerError === undefined
    ) {
      this.#start(tracker.nextReady(), time ?? now());
      time = undefined;
    }
  }

  /** Marks the tasks done in an earlier run as ended `ok`, before anything starts. */
  #resume(names: ReadonlySet<string>): void {
    const resumed = this.#resumed = new Uint8Array(this.#tasks.length);
    const time = now();
    // In file order, as the events go.
    for (let fileIndex = 0; fileIndex < this.#tasks.length; fileIndex++) {
      const i = this.#slotOf ? this.#slotOf[fileIndex]! : fileIndex;
      const task = this.#tasks[i]!;
      if (!names.has(task.name)) continue;
      resumed[i] = 1;
      this.#state[i] = OK;
      this.#ended++;
      this.#results[i] = { ok: true };
      const hash = this.#hashes?.[i];
      this.#emit?.({
        event: "task_ended",
        task: task.name,
        status: "ok",
        durationMs: 0,
        resumed: true,
        ...(hash === undefined ? {} : { hash }),
        time,
      });
      // Only counters here: the constructor queues what is ready once all are marked.
      this.#tracker.countEnded(i);
    }
  }

  #start(index: number, startTime: number): void {
    const task = this.#tasks[index]!;
    this.#state[index] = RUNNING;
    this.#running++;
    this.#startClock[index] = startTime - suspendedMs();
    const hash = this.#hashes?.[index];
    this.#emit?.({
      event: "task_started",
      task: task.name,
      type: task.type,
      ...(hash === undefined ? {} : { hash }),
      time: startTime,
    });
    this.#attempt(index);
  }

  /**
   * Calls the executor once; each attempt gets its own time limit. The timer is cleared when
   * the attempt ends, so it needs no unref: while it is pending, a task is running.
   */
  #attempt(index: number): void {
    const task = this.#tasks[index]!;
    this.#attempts[index]!++;
    let timer: RunningTimeout | undefined, giveUpTimer: RunningTimeout | undefined;
    let signal = this.#stop.signal;
    // Decided from per-task flags: the task object itself is not read on this path.
    let context = this.#contexts.sharedFor(index);
    // The attempt's own context, told when the attempt ends (its later output is dropped).
    let own: ExecutorContext | undefined;
    if (context === undefined) {
      const timeoutMs = task.timeoutMs;
      if (timeoutMs !== undefined) {
        const controller = new AbortController();
        // Time spent suspended (Ctrl-Z) does not count against the limit, nor the grace.
        timer = new RunningTimeout(() => {
          controller.abort(`timed out after ${formatSeconds(timeoutMs)}`);
          giveUpTimer = new RunningTimeout(() => this.#giveUp(index), this.#stopGraceMs);
        }, timeoutMs);
        signal = AbortSignal.any([signal, controller.signal]);
      }
      context = own = this.#contexts.contextFor(task, signal);
    }
    const type = this.#contexts.typeOf(index);
    let result: Promise<TaskResult>;
    try {
      // A plugin's `run()` may return anything: a value that is not a promise is awaited as
      // one would be.
      result = Promise.resolve(this.#options.executorFor(type).run(task, context));
    } catch (error) {
      result = Promise.reject(error);
    }
    // Ended once: by the executor, or by giving up on it (see #giveUp); whichever is late is
    // ignored.
    let ended = false;
    const end = (outcome: TaskResult) => {
      if (ended) return;
      ended = true;
      if (own !== undefined) this.#contexts.ended(own);
      this.#enders[index] = undefined;
      giveUpTimer?.clear();
      this.#attemptEnded(index, outcome, signal, timer);
    };
    this.#enders[index] = end;
    result.then(
      (outcome) => end(checkedResult(outcome)),
      (error) => end({ ok: false, error: `executor error: ${describe(error)}` }),
    );
  }

  /**
   * Ends the attempt of a task told to stop that has not ended within the stop grace period:
   * an executor that ignores its signal must not hold the run for ever.
   */
  #giveUp(index: number): void {
    // #attemptEnded words it with the reason it was told to stop for, as any stopped task.
    this.#enders[index]?.({ ok: false });
  }

  #attemptEnded(
    index: number,
    result: TaskResult,
    signal: AbortSignal,
    timer: RunningTimeout | undefined,
  ): void {
    timer?.clear();
    // A task stopped from outside failed because it was stopped, whatever it returned: a
    // command that traps SIGTERM and exits 0 has not done its work, and a task that ended
    // past its time limit did not keep it.
    if (signal.aborted) {
      const error = describe(signal.reason ?? "interrupted");
      result = result.ok ? { ok: false, error } : { ...result, error };
    }
    if (result.ok) return this.#end(index, result);
    const attempts = (this.#tasks[index]!.retries ?? 0) + 1;
    // An interrupted or cancelled task is not retried: it was told to stop.
    if (this.#attempts[index]! >= attempts || this.#cancelled || this.#stop.signal.aborted) {
      this.#end(index, result);
    } else {
      this.#retry(index, result, attempts);
    }
  }

  /** Announces the next attempt and starts it after the task's retry delay. */
  #retry(index: number, result: TaskResult, attempts: number): void {
    const task = this.#tasks[index]!;
    const delayMs = task.retryDelayMs ?? 0;
    this.#emit?.({
      event: "task_retry",
      task: task.name,
      attempt: this.#attempts[index]! + 1,
      attempts,
      delayMs,
      ...resultFields(result),
      time: now(),
    });
    // A listener of the event may have cancelled the run (fail-fast): then no more attempts.
    if (this.#cancelled || this.#listenerError !== undefined) {
      return this.#end(index, {
        ...result,
        error: describe(this.#stop.signal.reason ?? "cancelled"),
      });
    }
    // Even with no delay, through a timer: an attempt that fails at once (a command not
    // found) would otherwise retry in microtasks only, and the event loop, and so Ctrl-C,
    // would wait for all of them. Not unref'd: the run is waiting on it. Cancelling the run
    // ends the wait (#cancel).
    const timer = setTimeout(() => {
      this.#waiting.delete(index);
      this.#attempt(index);
    }, delayMs);
    this.#waiting.set(index, { timer, result });
  }

  #end(index: number, result: TaskResult): void {
    if (this.#state[index] !== RUNNING) {
      const fileIndex = this.#fileIndexOf ? this.#fileIndexOf[index]! : index;
      throw new Error(`Internal error: task #${fileIndex} ended twice`);
    }
    this.#running--;
    this.#results[index] = result;
    const state = result.ok ? OK : FAILED;
    this.#state[index] = state;
    this.#ended++;
    const time = now();
    // The time it ran: not the time the run spent suspended meanwhile.
    const durationMs = time - suspendedMs() - this.#startClock[index]!;
    this.#durations[index] = durationMs;
    const task = this.#tasks[index]!;
    const allowed = state === FAILED && task.allowFailure === true;
    if (this.#emit) {
      this.#emit({
        event: "task_ended",
        task: task.name,
        status: result.ok ? "ok" : "failed",
        ...resultFields(result),
        durationMs,
        ...this.#optionFields(index, allowed),
        time,
      });
    }
    if (state === OK || allowed) this.#tracker.release(index);
    else this.#skipDependents(index);
    if (state === FAILED && !allowed && this.#options.failFast && !this.#cancelled) {
      this.#cancel(`cancelled: "${this.#tasks[index]!.name}" failed (fail-fast)`);
    }
    this.#startReady(time);
    this.#finishIfDone();
  }

  /** Skips every pending task downstream of a failed one, naming the failed one. */
  #skipDependents(root: number): void {
    const rootName = this.#tasks[root]!.name;
    this.#tracker.forEachPendingDownstream(root, (dependent, via) => {
      const reason = via === root
        ? `dependency "${rootName}" failed`
        : `dependency "${this.#tasks[via]!.name}" was skipped ("${rootName}" failed)`;
      this.#skip(dependent, reason);
    });
  }

  #skip(index: number, reason: string): void {
    this.#state[index] = SKIPPED;
    this.#skipReasons[index] = reason;
    this.#ended++;
    this.#emit?.({ event: "task_skipped", task: this.#tasks[index]!.name, reason, time: now() });
  }

  /** `attempts`, `allowed` and `resumed` for an event or report, each only when it applies. */
  #optionFields(index: number, allowed: boolean) {
    const attempts = this.#attempts[index]!;
    if (attempts <= 1 && !allowed && this.#resumed === undefined) return NO_FIELDS;
    return {
      ...(attempts > 1 ? { attempts } : {}),
      ...(allowed ? { allowed: true as const } : {}),
      ...(this.#resumed?.[index] ? { resumed: true as const } : {}),
    };
  }

  /** Starts nothing more, skips what has not started and tells running tasks to stop. */
  #cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#stop.abort(reason ?? "interrupted");
    // In file order, as the events go.
    for (let fileIndex = 0; fileIndex < this.#tasks.length; fileIndex++) {
      const i = this.#slotOf ? this.#slotOf[fileIndex]! : fileIndex;
      if (this.#state[i] === PENDING) this.#skip(i, "cancelled");
    }
    // Those that do not stop in time are given up on (cleared when the run finishes first).
    this.#giveUpTimer = new RunningTimeout(() => {
      for (let i = 0; i < this.#enders.length; i++) this.#giveUp(i);
    }, this.#stopGraceMs);
    // A task waiting to retry is not retried; it ends with the failure that made it wait.
    for (const [index, { timer, result }] of this.#waiting) {
      clearTimeout(timer);
      this.#waiting.delete(index);
      this.#end(index, { ...result, error: describe(this.#stop.signal.reason ?? "interrupted") });
    }
    this.#finishIfDone();
  }

  #finishIfDone(): void {
    if (this.#running > 0 || this.#finished) return;
    this.#giveUpTimer?.clear();
    if (this.#ended !== this.#tasks.length) {
      // Nothing runs, and the tasks left would have started if they could: they wait on a
      // cycle (a graph that validate() would have refused). Unless a cancellation is under
      // way, which skips them itself.
      if (this.#cancelled || this.#listenerError !== undefined) return;
      this.#skipStuck();
    }
    this.#finished = true;
    const time = now();
    const report = buildRunReport(
      this.#fileTasks,
      {
        state: this.#state,
        durations: this.#durations,
        results: this.#results,
        skipReasons: this.#skipReasons,
        attempts: this.#attempts,
        resumed: this.#resumed,
        slots: this.#slotOf,
      },
      this.#cancelled,
      time - this.#runStart,
    );
    this.#emit?.({ event: "run_ended", ...report, time });
    if (this.#listenerError) this.#reject(this.#listenerError.error);
    else this.#resolve(report);
  }

  /** Skips the tasks that can never start, naming a cycle they are on or wait for. */
  #skipStuck(): void {
    const cycle = findCycleInGraph(this.#graph);
    const reason = cycle
      ? formatCycle(cycle.map((fileIndex) => this.#fileTasks[fileIndex]!.name))
      : "its dependencies never end";
    for (let fileIndex = 0; fileIndex < this.#tasks.length; fileIndex++) {
      const i = this.#slotOf ? this.#slotOf[fileIndex]! : fileIndex;
      if (this.#state[i] === PENDING) this.#skip(i, reason);
    }
  }

  #listenerThrew(error: unknown): void {
    if (this.#listenerError) return;
    this.#listenerError = { error };
    // Not from inside the emission: the bookkeeping of the event under way comes first.
    queueMicrotask(() => this.#cancel(`cancelled: the event listener threw: ${describe(error)}`));
  }
}

type Timer = ReturnType<typeof setTimeout>;

/** See {@linkcode ScheduleOptions.stopGraceMs}. */
const DEFAULT_STOP_GRACE_MS = 10_000;

/**
 * The grace a stopped task has before it is given up on (see
 * {@linkcode ScheduleOptions.stopGraceMs}), checked as {@linkcode checkedWaitMs} checks a wait.
 */
export function checkedStopGrace(stopGraceMs: number | undefined): number {
  return checkedWaitMs("stopGraceMs", stopGraceMs, DEFAULT_STOP_GRACE_MS);
}

/**
 * A concurrency limit as given, when it is one: a whole number of at least 1 (`Infinity` is
 * none), as `-j` and a task file's `concurrency` must be. 0, a negative number or NaN would
 * let no task start, and the run would wait forever; 1.5 would let two run at once; `"4"`
 * (a value read from the environment, say) compared as a number but is none.
 *
 * @throws {TypeError} for a value that is not a number.
 * @throws {RangeError} for a number that is no such limit.
 */
export function checkedConcurrency(concurrency: number | undefined): number | undefined {
  if (concurrency === undefined) return undefined;
  if (typeof concurrency !== "number") {
    throw new TypeError(`concurrency must be a number, not ${describeValue(concurrency)}`);
  }
  if (!(concurrency >= 1)) {
    throw new RangeError(`concurrency must be a number of at least 1, not ${concurrency}`);
  }
  if (concurrency !== Infinity && !Number.isInteger(concurrency)) {
    throw new RangeError(`concurrency must be a whole number, not ${concurrency}`);
  }
  return concurrency;
}

/** An executor's outcome as a task result: one that is not an object with `ok` fails the task. */
function checkedResult(outcome: unknown): TaskResult {
  if (
    typeof outcome === "object" && outcome !== null &&
    typeof (outcome as TaskResult).ok === "boolean"
  ) {
    const { error, exitCode, signal } = outcome as TaskResult;
    // The report and its NDJSON take these as they are: a Symbol or a BigInt there crashed
    // the formatters, an object went into the events raw.
    if (
      (error === undefined || typeof error === "string") &&
      (exitCode === undefined || Number.isInteger(exitCode)) &&
      (signal === undefined || typeof signal === "string")
    ) {
      return outcome as TaskResult;
    }
    return {
      ok: false,
      error: "executor error: run() resolved with a result whose error is not a string, " +
        "exitCode not an integer or signal not a string",
    };
  }
  return {
    ok: false,
    error: `executor error: run() resolved with ${
      describe(outcome)
    }, not a result ({ ok: boolean })`,
  };
}

/** `items` in the order `order` gives: item `order[k]` at k. */
function inOrder<T>(items: readonly T[], order: Int32Array): T[] {
  const result: T[] = new Array(order.length);
  for (let k = 0; k < order.length; k++) result[k] = items[order[k]!]!;
  return result;
}
const NO_FIELDS: Readonly<{ attempts?: number; allowed?: true; resumed?: true }> = {};
