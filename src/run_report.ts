/**
 * Task states as the scheduler keeps them, and the run's report built from them.
 *
 * @module
 */

import type {
  RunReport,
  StatusCounts,
  TaskReport,
  TaskResult,
  TaskSpec,
  TerminalStatus,
} from "./types.ts";

// The origin is read once: it is fixed for the process, and each read is a call.
const TIME_ORIGIN = performance.timeOrigin;

/** The clock of a run's events: milliseconds since the epoch, with sub-millisecond precision. */
export const now = (): number => TIME_ORIGIN + performance.now();

// Numeric states keep the scheduler's hot path on typed arrays.
/** Not started yet. */
export const PENDING = 0;
/** Started, not ended. */
export const RUNNING = 1;
/** Ended ok. */
export const OK = 2;
/** Ended failed. */
export const FAILED = 3;
/** Never ran: a dependency failed or the run was cancelled. */
export const SKIPPED = 4;

const TERMINAL_NAMES: Record<number, TerminalStatus> = {
  [OK]: "ok",
  [FAILED]: "failed",
  [SKIPPED]: "skipped",
};

/**
 * What the scheduler recorded per task: by index in file order, or, when `slots` is given,
 * task i's at `slots[i]` (the scheduler's own numbering).
 */
export interface TaskOutcomes {
  /** Each task's state, all terminal by the end. */
  readonly state: Uint8Array;
  /** Milliseconds from start to end; 0 for a task that never ran. */
  readonly durations: Float64Array;
  /** Each ended task's last result. */
  readonly results: readonly (TaskResult | undefined)[];
  /** Why each skipped task was skipped. */
  readonly skipReasons: readonly (string | undefined)[];
  /** Attempts made per task. */
  readonly attempts: Uint32Array;
  /** 1 for a task done in an earlier run; absent when none was. */
  readonly resumed: Uint8Array | undefined;
  /** Where each task's outcome is, by index in file order; absent when there. */
  readonly slots?: Int32Array | undefined;
}

/** The report of a run whose tasks have all ended. */
export function buildRunReport(
  tasks: readonly TaskSpec[],
  outcomes: TaskOutcomes,
  cancelled: boolean,
  durationMs: number,
): RunReport {
  const counts: StatusCounts = { ok: 0, failed: 0, skipped: 0 };
  const reports: TaskReport[] = new Array(tasks.length);
  let allowedCount = 0;
  const slots = outcomes.slots;
  for (let i = 0; i < tasks.length; i++) {
    const slot = slots ? slots[i]! : i;
    const status = TERMINAL_NAMES[outcomes.state[slot]!]!;
    counts[status]++;
    const allowed = status === "failed" && tasks[i]!.allowFailure === true;
    if (allowed) allowedCount++;
    reports[i] = taskReport(tasks[i]!, slot, status, allowed, outcomes);
  }
  if (allowedCount > 0) counts.allowed = allowedCount;
  return {
    ok: counts.failed === allowedCount && counts.skipped === 0,
    cancelled,
    counts,
    durationMs,
    tasks: reports,
  };
}

/** One task's line of the report, with only the fields that apply; its outcome at `index`. */
function taskReport(
  task: TaskSpec,
  index: number,
  status: TerminalStatus,
  allowed: boolean,
  outcomes: TaskOutcomes,
): TaskReport {
  const report: { -readonly [K in keyof TaskReport]: TaskReport[K] } = {
    name: task.name,
    type: task.type,
    status,
    durationMs: outcomes.durations[index]!,
  };
  const result = outcomes.results[index];
  if (result) {
    if (result.exitCode !== undefined) report.exitCode = result.exitCode;
    if (result.signal !== undefined) report.signal = result.signal;
    if (result.error !== undefined) report.error = result.error;
  }
  const reason = outcomes.skipReasons[index];
  if (reason !== undefined) report.reason = reason;
  const attempts = outcomes.attempts[index]!;
  if (attempts > 1) report.attempts = attempts;
  if (allowed) report.allowed = true;
  if (outcomes.resumed?.[index]) report.resumed = true;
  return report;
}

/** The optional result fields, without `undefined` members. */
export function resultFields(result: TaskResult) {
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
    try {
      return String(value);
    } catch {
      // A value whose toString throws too: its tag, at least.
      return Object.prototype.toString.call(value);
    }
  }
}

/** The error of a task stopped by `--fail-fast` (the scheduler words it so, naming the failure). */
const FAIL_FAST_STOP = /^cancelled: ".*" failed \(fail-fast\)$/s;

/**
 * Whether a failed task of `report` was stopped by the run's cancellation rather than failing
 * by itself, given the run's `signal` when it had one (its reason is such a task's error). The scheduler gives every task it stops the cancellation's reason as its error,
 * whatever the task returned; the tasks that failed before (the failure that set off
 * `--fail-fast`, allowed failures, failures before a Ctrl-C) keep their own.
 */
export function stoppedByCancellation(
  report: RunReport,
  signal?: AbortSignal,
): (task: TaskReport) => boolean {
  if (!report.cancelled) return () => false;
  // "interrupted": the command line's reason, and the executors' word for a stopped task.
  const reasons = new Set(["interrupted"]);
  if (signal?.aborted) reasons.add(describe(signal.reason));
  return (task) =>
    task.error !== undefined && (reasons.has(task.error) || FAIL_FAST_STOP.test(task.error));
}
