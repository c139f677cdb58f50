/**
 * Reading a previous run's NDJSON report (`dagrun --format ndjson FILE > run.ndjson`) for the
 * status colours of `dagrun graph` and the durations of `--dry-run`.
 *
 * @module
 */

import { TaskFileError } from "../errors.ts";
import { isMeasuredDuration } from "../duration.ts";
import { readReportText, reportEvents, reportName } from "../report_lines.ts";
import type { TerminalStatus } from "../types.ts";

/** What a previous run says about each task. */
export interface PreviousRun {
  /** How each task ended, by name. */
  readonly statuses: Map<string, TerminalStatus>;
  /** How long each task that ran took, in ms, by name. */
  readonly durations: Map<string, number>;
  /** The task file the last run was of, as its `run_started` names it (absolute). */
  readonly file?: string;
  /** The hash of that file's task names, as its `run_started` gives it. */
  readonly tasksHash?: string;
}

/**
 * Parses NDJSON report text: `task_ended` and `task_skipped` events give statuses and
 * durations, and `run_ended`'s task list fills in the rest. Other events are ignored. When
 * the text holds several runs (appended to one file), statuses are the last run's, and each
 * task's duration the last it ran for (a resumed task did not run). Lines cut short are
 * read as `--resume` reads them (see {@linkcode reportEvents}).
 *
 * @example
 * ```ts
 * import { parsePreviousRun } from "./previous_report.ts";
 * const text = '{"event":"run_started","total":1,"time":0}\n' +
 *   '{"event":"task_ended","task":"a","status":"ok","durationMs":12,"time":0}\n';
 * parsePreviousRun(text, "run.ndjson").durations.get("a"); // 12
 * ```
 *
 * @throws {TaskFileError} naming the file and line of a line that is not an event, or the
 * file when it has no `run_started` event (an empty file, say).
 */
export function parsePreviousRun(text: string, file: string): PreviousRun {
  let statuses = new Map<string, TerminalStatus>();
  const durations = new Map<string, number>();
  let started = false;
  let taskFile: string | undefined;
  let tasksHash: string | undefined;
  for (const { event } of reportEvents(text, file)) {
    if (event.event === "run_started") {
      started = true;
      statuses = new Map();
      taskFile = typeof event.file === "string" ? event.file : undefined;
      tasksHash = typeof event.tasksHash === "string" ? event.tasksHash : undefined;
    } else if (event.event === "task_ended" && typeof event.task === "string") {
      statuses.set(event.task, event.status === "ok" ? "ok" : "failed");
      // A resumed task did not run: its 0 ms says nothing of how long it takes. A duration no
      // run could have measured (a damaged or edited report) is left out, as a missing one.
      if (isMeasuredDuration(event.durationMs) && event.resumed !== true) {
        durations.set(event.task, event.durationMs);
      }
    } else if (event.event === "task_skipped" && typeof event.task === "string") {
      statuses.set(event.task, "skipped");
    } else if (event.event === "run_ended" && Array.isArray(event.tasks)) {
      for (const task of event.tasks as Record<string, unknown>[]) {
        if (typeof task?.name !== "string" || statuses.has(task.name)) continue;
        if (task.status === "ok" || task.status === "failed" || task.status === "skipped") {
          statuses.set(task.name, task.status);
        }
        if (
          task.status !== "skipped" && task.resumed !== true && isMeasuredDuration(task.durationMs)
        ) {
          durations.set(task.name, task.durationMs);
        }
      }
    }
  }
  // As `--resume` asks: an empty file, or another program's NDJSON, is not a report.
  if (!started) {
    throw new TaskFileError("not a dagrun NDJSON report: it has no run_started event", { file });
  }
  return {
    statuses,
    durations,
    ...(taskFile === undefined ? {} : { file: taskFile }),
    ...(tasksHash === undefined ? {} : { tasksHash }),
  };
}

/** Reads and parses a previous report file. */
export async function readPreviousRun(path: string): Promise<PreviousRun> {
  return parsePreviousRun(await readReportText(path), reportName(path));
}
