/**
 * The events of an NDJSON report, read line by line as `--resume` and `--from-report` read
 * them, including the report of a run that was killed while writing a line.
 *
 * @module
 */

import { TaskFileError } from "./errors.ts";
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
 * next run's first event is glued to the cut line, and is read without it.
 *
 * @throws {TaskFileError} naming `file` and the line, for any other line that is not a JSON
 * object with an `event` string.
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
