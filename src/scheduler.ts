/**
 * The scheduler: runs a validated task graph with as much concurrency as allowed.
 *
 * It keeps, like CPython's graphlib and ninja's `Plan`, per task a count of dependencies not
 * yet ended and the list of its dependents. When a task ends, its dependents' counts drop and
 * those reaching zero join the ready queue, and ready tasks start at once, in the same turn of
 * the event loop: nothing polls and nothing rescans the graph. The scheduler emits events and
 * never prints; formatters subscribe.
 *
 * @module
 */

import type {
  Executor,
  ExecutorContext,
  OutputStream,
  RunEvent,
  RunReport,
  StatusCounts,
  TaskReport,
  TaskResult,
  TaskSpec,
  TerminalStatus,
} from "./types.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { NameIndex } from "./name_index.ts";

/** Options of {@linkcode schedule}. */
export interface ScheduleOptions {
  /** Finds the executor of a task type; every type in the graph must have one. */
  readonly executorFor: (type: string) => Executor;
  /** The most tasks running at once; unlimited by default. */
  readonly concurrency?: number;
  /** Aborting it cancels the run: nothing new starts and running tasks are told to stop. */
  readonly signal?: AbortSignal;
  /** Receives every event, synchronously, in order. */
  readonly onEvent?: (event: RunEvent) => void;
  /** Directory relative paths resolve against; the working directory by default. */
  readonly baseDir?: string;
  /**
   * Start priority per task (index in file order): among ready tasks the highest starts
   * first; ties go in file order. File order alone by default.
   */
  readonly priority?: ArrayLike<number>;
}

// Numeric states keep the hot path on typed arrays.
const PENDING = 0, RUNNING = 1, OK = 2, FAILED = 3, SKIPPED = 4;
const TERMINAL_NAMES: Record<number, TerminalStatus> = { 2: "ok", 3: "failed", 4: "skipped" };

const now = (): number => performance.timeOrigin + performance.now();

/**
 * Runs every task of a graph that has already been validated (unique names, known
 * dependencies, no cycle) and resolves with the report when all have ended.
 *
 * A task starts once all its dependencies ended `ok`; when one fails or is skipped, its
 * dependents are skipped, transitively, naming the failed task at the root.
 */
export function schedule(
  tasks: readonly TaskSpec[],
  options: ScheduleOptions,
): Promise<RunReport> {
  return new Run(tasks, options).promise;
}

class Run {
  readonly promise: Promise<RunReport>;
  #resolve!: (report: RunReport) => void;

  readonly #tasks: readonly TaskSpec[];
  readonly #options: ScheduleOptions;
  readonly #emit: ((event: RunEvent) => void) | undefined;
  readonly #limit: number;
  readonly #baseDir: string;
  /** The working directory at the start, for tasks that set none (read once: it is a syscall). */
  readonly #cwd: string;
  #sharedContext: ExecutorContext | undefined;

  /** Dependents of task i are #dependents[#dependentStart[i] .. #dependentStart[i+1]). */
  readonly #dependentStart: Int32Array;
  readonly #dependents: Int32Array;
  readonly #unfinishedDependencies: Int32Array;
  readonly #state: Uint8Array;
  readonly #startTime: Float64Array;
  readonly #durations: Float64Array;
  readonly #results: (TaskResult | undefined)[];
  readonly #skipReasons: (string | undefined)[];
  readonly #ready: ReadyQueue;

  #running = 0;
  #ended = 0;
  #cancelled = false;
  readonly #runStart = now();

  constructor(tasks: readonly TaskSpec[], options: ScheduleOptions) {
    this.promise = new Promise((resolve) => this.#resolve = resolve);
    this.#tasks = tasks;
    this.#options = options;
    this.#emit = options.onEvent;
    this.#limit = options.concurrency ?? Infinity;
    this.#cwd = Deno.cwd();
    this.#baseDir = options.baseDir ?? this.#cwd;
    const count = tasks.length;
    this.#unfinishedDependencies = new Int32Array(count);
    this.#state = new Uint8Array(count);
    this.#startTime = new Float64Array(count);
    this.#durations = new Float64Array(count);
    this.#results = new Array(count);
    this.#skipReasons = new Array(count);
    [this.#dependentStart, this.#dependents] = this.#indexDependents();
    this.#ready = new ReadyQueue(count, options.priority);

    this.#emit?.({ event: "run_started", total: count, time: this.#runStart });
    const signal = options.signal;
    if (signal?.aborted) {
      this.#cancel();
    } else {
      signal?.addEventListener("abort", () => this.#cancel(), { once: true });
      for (let i = 0; i < count; i++) {
        if (this.#unfinishedDependencies[i] === 0) this.#ready.push(i);
      }
      this.#startReady();
    }
    this.#finishIfDone();
  }

  /** Builds the dependents lists in compressed form and the dependency counters. */
  #indexDependents(): [Int32Array, Int32Array] {
    const tasks = this.#tasks;
    const count = tasks.length;
    const names: string[] = new Array(count);
    for (let i = 0; i < count; i++) names[i] = tasks[i]!.name;
    const indexByName = new NameIndex(names);
    // Each name is looked up once; the edges are then walked as integers.
    let edges = 0;
    for (let i = 0; i < count; i++) edges += tasks[i]!.dependencies.length;
    const dependencyOf = new Int32Array(edges);
    const start = new Int32Array(count + 1);
    for (let i = 0, k = 0; i < count; i++) {
      const dependencies = tasks[i]!.dependencies;
      this.#unfinishedDependencies[i] = dependencies.length;
      for (let d = 0; d < dependencies.length; d++) {
        const dependency = indexByName.get(dependencies[d]!);
        dependencyOf[k++] = dependency;
        start[dependency + 1]!++;
      }
    }
    for (let i = 0; i < count; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, count);
    const dependents = new Int32Array(edges);
    for (let i = 0, k = 0; i < count; i++) {
      const end = k + this.#unfinishedDependencies[i]!;
      for (; k < end; k++) dependents[fill[dependencyOf[k]!]!++] = i;
    }
    return [start, dependents];
  }

  #startReady(): void {
    while (this.#running < this.#limit && this.#ready.size > 0 && !this.#cancelled) {
      this.#start(this.#ready.pop());
    }
  }

  #start(index: number): void {
    const task = this.#tasks[index]!;
    this.#state[index] = RUNNING;
    this.#running++;
    const startTime = now();
    this.#startTime[index] = startTime;
    this.#emit?.({ event: "task_started", task: task.name, type: task.type, time: startTime });
    const context = this.#contextFor(task);
    let result: Promise<TaskResult>;
    try {
      result = this.#options.executorFor(task.type).run(task, context);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (outcome) => this.#end(index, outcome, context.signal),
      (error) =>
        this.#end(
          index,
          { ok: false, error: `executor error: ${describe(error)}` },
          context.signal,
        ),
    );
  }

  #contextFor(task: TaskSpec): ExecutorContext {
    const emit = this.#emit;
    const timeoutMs = task.timeoutMs;
    // Without listeners, a task with no options of its own gets the one shared context:
    // no allocation per task on the hot path.
    if (!emit && timeoutMs === undefined && !task.env && task.cwd === undefined) {
      return this.#sharedContext ??= {
        signal: this.#options.signal ?? NEVER_ABORTED,
        timeoutMs: undefined,
        env: undefined,
        cwd: this.#cwd,
        baseDir: this.#baseDir,
        output: IGNORE_OUTPUT,
      };
    }
    const name = task.name;
    const runSignal = this.#options.signal ?? NEVER_ABORTED;
    return {
      signal: timeoutMs === undefined
        ? runSignal
        : AbortSignal.any([runSignal, timeoutSignal(timeoutMs)]),
      timeoutMs,
      env: task.env,
      cwd: task.cwd ?? this.#cwd,
      baseDir: this.#baseDir,
      output: emit
        ? (stream: OutputStream, text: string) =>
          emit({ event: "output", task: name, stream, text })
        : IGNORE_OUTPUT,
    };
  }

  #end(index: number, result: TaskResult, signal: AbortSignal): void {
    if (this.#state[index] !== RUNNING) {
      throw new Error(`Internal error: task #${index} ended twice`);
    }
    // A task stopped from outside failed because it was stopped, whatever it returned.
    if (!result.ok && signal.aborted) {
      result = { ...result, error: describe(signal.reason ?? "interrupted") };
    }
    this.#running--;
    this.#results[index] = result;
    const state = result.ok ? OK : FAILED;
    this.#state[index] = state;
    this.#ended++;
    const time = now();
    const durationMs = time - this.#startTime[index]!;
    this.#durations[index] = durationMs;
    if (this.#emit) {
      this.#emit({
        event: "task_ended",
        task: this.#tasks[index]!.name,
        status: result.ok ? "ok" : "failed",
        ...resultFields(result),
        durationMs,
        time,
      });
    }
    if (state === OK) this.#releaseDependents(index);
    else this.#skipDependents(index);
    this.#startReady();
    this.#finishIfDone();
  }

  #releaseDependents(index: number): void {
    const end = this.#dependentStart[index + 1]!;
    for (let k = this.#dependentStart[index]!; k < end; k++) {
      const dependent = this.#dependents[k]!;
      if (--this.#unfinishedDependencies[dependent]! === 0 && this.#state[dependent] === PENDING) {
        this.#ready.push(dependent);
      }
    }
  }

  /** Skips every pending task downstream of a failed one, iteratively. */
  #skipDependents(root: number): void {
    const rootName = this.#tasks[root]!.name;
    const stack = [root];
    while (stack.length > 0) {
      const via = stack.pop()!;
      const end = this.#dependentStart[via + 1]!;
      for (let k = this.#dependentStart[via]!; k < end; k++) {
        const dependent = this.#dependents[k]!;
        if (this.#state[dependent] !== PENDING) continue;
        const reason = via === root
          ? `dependency "${rootName}" failed`
          : `dependency "${this.#tasks[via]!.name}" was skipped ("${rootName}" failed)`;
        this.#skip(dependent, reason);
        stack.push(dependent);
      }
    }
  }

  #skip(index: number, reason: string): void {
    this.#state[index] = SKIPPED;
    this.#skipReasons[index] = reason;
    this.#ended++;
    this.#emit?.({ event: "task_skipped", task: this.#tasks[index]!.name, reason, time: now() });
  }

  #cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    for (let i = 0; i < this.#tasks.length; i++) {
      if (this.#state[i] === PENDING) this.#skip(i, "cancelled");
    }
    this.#finishIfDone();
  }

  #finishIfDone(): void {
    if (this.#ended !== this.#tasks.length || this.#running > 0) return;
    const counts: StatusCounts = { ok: 0, failed: 0, skipped: 0 };
    const tasks: TaskReport[] = new Array(this.#tasks.length);
    for (let i = 0; i < tasks.length; i++) {
      const status = TERMINAL_NAMES[this.#state[i]!]!;
      counts[status]++;
      tasks[i] = this.#taskReport(i, status);
    }
    const time = now();
    const report: RunReport = {
      ok: counts.failed === 0 && counts.skipped === 0,
      cancelled: this.#cancelled,
      counts,
      durationMs: time - this.#runStart,
      tasks,
    };
    this.#emit?.({ event: "run_ended", ...report, time });
    this.#resolve(report);
  }

  /** One task's line of the report, with only the fields that apply. */
  #taskReport(index: number, status: TerminalStatus): TaskReport {
    const task = this.#tasks[index]!;
    const report: { -readonly [K in keyof TaskReport]: TaskReport[K] } = {
      name: task.name,
      type: task.type,
      status,
      durationMs: this.#durations[index]!,
    };
    const result = this.#results[index];
    if (result) {
      if (result.exitCode !== undefined) report.exitCode = result.exitCode;
      if (result.signal !== undefined) report.signal = result.signal;
      if (result.error !== undefined) report.error = result.error;
    }
    const reason = this.#skipReasons[index];
    if (reason !== undefined) report.reason = reason;
    return report;
  }
}

const NEVER_ABORTED = new AbortController().signal;
const IGNORE_OUTPUT = () => {};

/** A signal aborted after `ms` with the reason `timed out after …`. */
function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(`timed out after ${formatSeconds(ms)}`), ms);
  // A pending timer must not keep the process alive after the run.
  Deno.unrefTimer(timer as unknown as number);
  return controller.signal;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3).replace(/0+$/, "")}s`;
}

/** The optional result fields, without `undefined` members. */
function resultFields(result: TaskResult) {
  return {
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    ...(result.signal === undefined ? {} : { signal: result.signal }),
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}

/** A one-line description of a thrown value. */
export function describe(value: unknown): string {
  if (value instanceof Error) return value.message || value.name;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
