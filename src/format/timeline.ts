/**
 * Recording a run for the reports drawn after it (HTML timeline, Chrome trace): when each
 * task started and ended, how, and the tail of its output.
 *
 * @module
 */

import type { OutputStream, RunEvent, TaskSpec, TerminalStatus } from "../types.ts";

/** Lines of output kept per task; the report is for looking, not for archiving logs. */
export const MAX_OUTPUT_LINES = 200;

/** One task as it happened. */
export interface TaskRecord {
  /** Task name. */
  readonly name: string;
  /** Task type. */
  readonly type: string;
  /** What it ran (the task's `arguments`). */
  readonly arguments: unknown;
  /** Its dependencies. */
  readonly dependencies: readonly string[];
  /** How it ended; `pending` if the run ended without it (never expected). */
  status: TerminalStatus | "pending" | "running";
  /** Start time, ms since the epoch, when it ran. */
  start?: number;
  /** End (or skip) time, ms since the epoch. */
  end?: number;
  /** Exit code of its process, when there was one. */
  exitCode?: number;
  /** Why it failed or was skipped. */
  detail?: string;
  /** The last {@linkcode MAX_OUTPUT_LINES} lines of output. */
  readonly output: { stream: OutputStream; text: string }[];
  /** Lines dropped from the front of `output`. */
  droppedLines: number;
  /** Taken as done from an earlier run's report (`--resume`): it did not run. */
  resumed?: boolean;
}

/** A finished run as the reports draw it. */
export interface Timeline {
  /** When the run started, ms since the epoch. */
  readonly start: number;
  /** When it ended. */
  readonly end: number;
  /** Every task, in file order. */
  readonly tasks: readonly TaskRecord[];
}

/** A listener for a run's events and the timeline it has built. */
export interface TimelineRecorder {
  /** Feed it every event. */
  readonly onEvent: (event: RunEvent) => void;
  /** The timeline; complete once `run_ended` has been seen. */
  timeline(): Timeline;
}

/**
 * Creates a recorder for a run of `tasks`.
 *
 * @example
 * ```ts
 * import { createTimelineRecorder } from "./timeline.ts";
 * const recorder = createTimelineRecorder([]);
 * recorder.onEvent({ event: "run_started", total: 0, time: 0 });
 * recorder.timeline().tasks.length; // 0
 * ```
 */
export function createTimelineRecorder(tasks: readonly TaskSpec[]): TimelineRecorder {
  const records = tasks.map((task): TaskRecord => ({
    name: task.name,
    type: task.type,
    arguments: task.arguments,
    dependencies: task.dependencies,
    status: "pending",
    output: [],
    droppedLines: 0,
  }));
  const byName = new Map(records.map((record) => [record.name, record]));
  let start = NaN, end = NaN;
  const onEvent = (event: RunEvent) => {
    switch (event.event) {
      case "run_started":
        start = event.time;
        break;
      case "task_started": {
        const record = byName.get(event.task)!;
        record.status = "running";
        record.start = event.time;
        break;
      }
      case "output": {
        // An event holds whole lines, one or many: the limit and the count are in lines.
        const record = byName.get(event.task)!;
        for (const text of event.text.split("\n")) {
          record.output.push({ stream: event.stream, text });
        }
        const excess = record.output.length - MAX_OUTPUT_LINES;
        if (excess > 0) {
          record.output.splice(0, excess);
          record.droppedLines += excess;
        }
        break;
      }
      case "task_ended": {
        const record = byName.get(event.task)!;
        record.status = event.status;
        record.end = event.time;
        if (event.resumed) {
          // It did not run: no bar, no trace event.
          record.resumed = true;
          break;
        }
        // The scheduler's own duration is the precise one; the start may be a hair off.
        record.start = event.time - event.durationMs;
        if (event.exitCode !== undefined) record.exitCode = event.exitCode;
        if (event.error !== undefined) record.detail = event.error;
        break;
      }
      case "task_skipped": {
        const record = byName.get(event.task)!;
        record.status = "skipped";
        record.end = event.time;
        record.detail = event.reason;
        break;
      }
      case "run_ended":
        end = event.time;
        break;
    }
  };
  return { onEvent, timeline: () => ({ start, end, tasks: records }) };
}

/** The durations of the tasks that ran, in ms, by name. */
export function durationsOf(timeline: Timeline): Map<string, number> {
  const durations = new Map<string, number>();
  for (const task of timeline.tasks) {
    if (task.start !== undefined && task.end !== undefined) {
      durations.set(task.name, task.end - task.start);
    }
  }
  return durations;
}
