/**
 * The events of an NDJSON report, read line by line as `--resume` and `--from-report` read
 * them, including the report of a run that was killed while writing a line.
 *
 * @module
 */

import { TaskFileError } from "./errors.ts";
import { printable } from "./format/printable.ts";
import { readAs, readInputFile } from "./input_files.ts";

/**
 * The text of the NDJSON report at `path`, read as `--resume` and `--from-report` read it:
 * bounded as a task file is (a FIFO or `<(zcat run.ndjson.gz)` is read as a stream, up to
 * 256 MiB, and /dev/zero is refused rather than read until memory runs out). `-` is standard
 * input, as it is for the task file.
 *
 * @throws {TaskFileError} `cannot read report: REASON`, naming the path.
 * @throws {InputReadInterrupted} when a signal ends the wait for a stream (see
 * `interruptStreamReadsBySignals`).
 */
export async function readReportText(path: string): Promise<string> {
  const { bytes } = await readAs("report", reportName(path), () => readInputFile(path));
  return new TextDecoder().decode(bytes);
}

/** How a report read from `path` is named in messages: `<stdin>` for `-`, as a task file is. */
export function reportName(path: string): string {
  return path === "-" ? "<stdin>" : path;
}

/** One event of a report and the line it is on. */
export interface ReportEvent {
  /** The event object; its `event` is a string. */
  readonly event: Record<string, unknown>;
  /** Its line, from 1. */
  readonly line: number;
}

/**
 * The events of a report's text, in order.
 *
 * A run killed while writing leaves its last line cut short: at the end of the report that
 * line is left out; inside a report that later runs were appended to (`>> runs.ndjson`), the
 * next run's first event, its `run_started`, is glued to the cut line, and is read without it.
 * Any other event glued to a cut line is an error, as a line that is not JSON is.
 *
 * @throws {TaskFileError} naming `file` and the line, for any other line that is not a JSON
 * object with an `event` string, and for a cut line glued to an event other than a
 * `run_started`.
 *
 * @example
 * ```ts
 * import { reportEvents } from "./report_lines.ts";
 * const text = '{"event":"run_started","total":1}\n{"event":"task_ended","task":"a","st';
 * [...reportEvents(text, "run.ndjson")].length; // 1: the cut line is left out
 * ```
 */
export function* reportEvents(text: string, file: string): Generator<ReportEvent> {
  const lines = text.split("\n");
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === "") last--;
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      event = gluedEvent(line);
      if (event === undefined) {
        if (i === last) return;
        throw badLine("this line is not JSON", file, i + 1);
      }
      // Only a run appended after a killed one starts on its cut line. Any other event glued
      // there is of the run the cut line is of: a line lost inside a run (two writers to one
      // file?), which may have been a run_started or a failure, so what the run did cannot be
      // told, and resuming from it could take a task as done that was not.
      if ((event as ReportEvent["event"]).event !== "run_started") {
        throw badLine(
          "this line is cut short, and the event after the cut is not a new run's run_started",
          file,
          i + 1,
        );
      }
    }
    if (
      event === null || typeof event !== "object" ||
      typeof (event as ReportEvent["event"]).event !== "string"
    ) {
      throw badLine('this line has no "event"', file, i + 1);
    }
    yield { event: event as ReportEvent["event"], line: i + 1 };
  }
}

/** Every event line begins so: the report writes `event` first. */
const EVENT_START = '{"event":';

/**
 * The event at the end of a line whose beginning is cut short, if there is one. A string in
 * JSON cannot hold `{"` (its quotes are escaped), so the last `{"event":` of such a line is
 * where the glued event begins.
 */
function gluedEvent(line: string): unknown {
  const start = line.lastIndexOf(EVENT_START);
  if (start <= 0) return undefined;
  try {
    return JSON.parse(line.slice(start));
  } catch {
    return undefined;
  }
}

function badLine(detail: string, file: string, line: number): TaskFileError {
  return new TaskFileError(`not an NDJSON report: ${detail}`, {
    file,
    position: { file, line, column: 1 },
  });
}

/** What a report says of the task file its last run was of, to tell whether it is this one. */
export interface ReportedTaskFile {
  /** The task file's absolute path (or `<stdin>`), from `run_started`; absent in old reports. */
  readonly file?: string;
  /** The hash of the file's sorted task names, from `run_started`; absent in old reports. */
  readonly tasksHash?: string;
  /** The names of the tasks the last run reports on. */
  readonly tasks: ReadonlySet<string> | ReadonlyMap<string, unknown>;
}

/**
 * Refuses a report of another task file, for `--resume` and `--from-report` alike. A report
 * is of this file when its path is the same (the file was edited: renamed tasks run under
 * their new names), or its task names are all the same (the file was moved, copied or checked
 * out elsewhere), or at least one task it reports on is in this file (moved and edited): what
 * is taken from it is then decided task by task, by name and for `--resume` by definition
 * hash. Only a report that could give this file nothing at all is refused: using it would
 * drop every task's record without a word, and it is most likely the wrong file.
 *
 * @param reportPath the report's name in messages.
 * @param taskFile the whole task file's path as a report names it, its task names and the
 * hash of them (as `identify()` computes it).
 * @param use what the report was for: `resume`, `plan`, `colour the graph`.
 * @throws {TaskFileError} naming the report, the file it is of and this file.
 */
export function refuseReportOfOtherFile(
  report: ReportedTaskFile,
  reportPath: string,
  taskFile: {
    readonly file: string;
    readonly tasksHash: string;
    readonly names: readonly string[];
  },
  use: string,
): void {
  if (report.file !== undefined && report.file === taskFile.file) return;
  if (report.tasksHash !== undefined && report.tasksHash === taskFile.tasksHash) return;
  const count = report.tasks.size;
  // A report that names neither a file nor a task (not written by dagrun, or cut right after
  // its start) has nothing to tell it by.
  if (report.file === undefined && report.tasksHash === undefined && count === 0) return;
  if (taskFile.names.some((name) => report.tasks.has(name))) return;
  // Each path printable here, as TaskFileError's place is: escaping the whole message instead
  // would escape the place a second time.
  const of = report.file === undefined ? "" : ` (${printable(report.file)})`;
  const which = count === 0
    ? "it reports on no task, and its task names are not those"
    : count === 1
    ? "its one task is not"
    : `none of its ${count} tasks is`;
  throw new TaskFileError(
    `is a report of another task file${of}: ${which} in ${
      printable(taskFile.file)
    }; refusing to ${use} from it`,
    { file: reportPath },
  );
}
