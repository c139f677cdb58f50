/**
 * Recording a run for the reports drawn after it (HTML timeline, Chrome trace): when each
 * task started and ended, how, and the tail of its output.
 *
 * @module
 */

import type { OutputEvent, OutputStream, RunEvent, TaskSpec, TerminalStatus } from "../types.ts";
import { utf8Length } from "../utf8_length.ts";
import { pastEscapeSequence, restOfSequence, unfinishedSequenceAt } from "./ansi_html.ts";

/** Lines of output kept per task; the report is for looking, not for archiving logs. */
export const MAX_OUTPUT_LINES = 200;

/**
 * Bytes (UTF-8) of output kept per task, the lines and the newlines between them: the tail of
 * one 50 MB line must neither fill the page nor hold 13 MB of memory until the run ends.
 */
export const MAX_OUTPUT_BYTES = 64 * 1024;

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
  /**
   * The last lines of output: at most {@linkcode MAX_OUTPUT_LINES}, and of these the last
   * {@linkcode MAX_OUTPUT_BYTES} (joined by newlines; the first may have lost its start).
   */
  readonly output: OutputLine[];
  /** UTF-8 bytes of output left out before `output`, each line left out with its newline. */
  droppedBytes: number;
  /** Taken as done from an earlier run's report (`--resume`): it did not run. */
  resumed?: boolean;
}

/** A line of a task's output as the timeline keeps it. */
export interface OutputLine {
  /** The stream it was written to. */
  readonly stream: OutputStream;
  /** The line, without its newline. */
  readonly text: string;
  /**
   * Set when the line is a piece of a longer line, cut at 64 Ki characters (`MAX_LINE_LENGTH`),
   * whose next piece is the stream's next line (its `output` event said it `continues`): an
   * escape sequence may run on from one into the other.
   */
  readonly continues?: true;
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
  /**
   * The timeline of a run forced to end at `time` before `run_ended` (a second Ctrl-C):
   * the tasks still running are failed, `interrupted`, ending then; those never started are
   * skipped, `cancelled`. The recorded timeline is left as it is.
   */
  interruptedAt(time: number): Timeline;
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
    droppedBytes: 0,
  }));
  // Of each record with output: the bytes of it as shown (its lines and a newline after each),
  // and by stream the start of an escape sequence that a piece left out whole did not finish
  // (the rest, at the start of the stream's next line, is left out too).
  const outputs = new Map<
    TaskRecord,
    { kept: number; carried: Partial<Record<OutputStream, string>> }
  >();
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
        const record = byName.get(event.task)!;
        let output = outputs.get(record);
        if (!output) outputs.set(record, output = { kept: 0, carried: {} });
        output.kept = addOutput(record, event, output.kept, output.carried);
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
  return {
    onEvent,
    timeline: () => ({ start, end, tasks: records }),
    interruptedAt: (time) => ({
      start,
      end: Number.isNaN(end) ? time : end,
      tasks: records.map((record): TaskRecord =>
        record.status === "running"
          ? { ...record, status: "failed", end: time, detail: "interrupted" }
          : record.status === "pending"
          ? { ...record, status: "skipped", end: time, detail: "cancelled" }
          : record
      ),
    }),
  };
}

/**
 * Adds an output event's lines (one or many, whole: a block is never cut inside a line, but
 * a line longer than 64 Ki characters comes in pieces, each taken as a line, each alone in
 * its event, which says it `continues`) to `record`,
 * then leaves out its oldest lines, and the start of the oldest one kept, until the limits
 * hold; returns the bytes now kept, a newline after each line. `carried` holds, by stream,
 * the start of an escape sequence that a piece left out did not finish.
 * Only the tail of a block that may be kept is split into lines: a task printing 200 MB of
 * short lines would otherwise make an object of every one for the collector.
 */
function addOutput(
  record: TaskRecord,
  { stream, text, continues }: OutputEvent,
  kept: number,
  carried: Partial<Record<OutputStream, string>>,
): number {
  // Where the block's last lines, up to the limits, begin: bytes are at least characters.
  let start = text.length + 1, lines = 0;
  while (start > 0 && lines < MAX_OUTPUT_LINES && text.length - start < MAX_OUTPUT_BYTES) {
    start = start >= 2 ? text.lastIndexOf("\n", start - 2) + 1 : 0;
    lines++;
  }
  if (start > 0) record.droppedBytes += utf8Length(text.slice(0, start));
  const first = record.output.length;
  for (const line of (start > 0 ? text.slice(start) : text).split("\n")) {
    record.output.push(continues ? { stream, text: line, continues } : { stream, text: line });
    kept += utf8Length(line) + 1;
  }
  const sequence = carried[stream];
  if (sequence !== undefined) {
    // The rest of a sequence begun in a piece left out: left out as well, unless it went
    // with the block's start.
    delete carried[stream];
    if (start === 0) kept -= leaveOutRestOfSequence(record, first, stream, sequence, carried);
  }
  let leftOut = 0;
  // The newline after the last line is not shown: the limit is on what is.
  while (record.output.length - leftOut > MAX_OUTPUT_LINES || kept - 1 > MAX_OUTPUT_BYTES) {
    const oldest = record.output[leftOut]!;
    const bytes = utf8Length(oldest.text);
    // What would be shown without it and its newline; -1 for nothing at all.
    const rest = kept - 1 - bytes - 1;
    if (record.output.length - leftOut > MAX_OUTPUT_LINES || rest >= MAX_OUTPUT_BYTES - 1) {
      record.droppedBytes += bytes + 1;
      kept -= bytes + 1;
      leftOut++;
      if (oldest.continues) kept -= leaveOutUnfinished(record, leftOut, oldest, carried);
      continue;
    }
    // Its end fills what is left: the page shows the last MAX_OUTPUT_BYTES, however long
    // the lines.
    // Nor may it begin inside an escape sequence, whose rest would show as text.
    const tail = utf8Tail(oldest.text, MAX_OUTPUT_BYTES - rest - 1);
    const end = oldest.text.slice(
      pastEscapeSequence(oldest.text, oldest.text.length - tail.length),
    );
    const cut = bytes - utf8Length(end);
    record.droppedBytes += cut;
    kept -= cut;
    record.output[leftOut] = { ...oldest, text: end };
    // Cut inside a sequence it leaves unfinished, it keeps nothing of it (end is empty).
    if (oldest.continues && end === "") {
      kept -= leaveOutUnfinished(record, leftOut + 1, oldest, carried);
    }
    break;
  }
  if (leftOut > 0) record.output.splice(0, leftOut);
  return kept;
}

/**
 * After the piece `piece` of a long line is left out, leaves out the rest of an escape
 * sequence it did not finish (see {@linkcode leaveOutRestOfSequence}); returns the bytes
 * left out.
 */
function leaveOutUnfinished(
  record: TaskRecord,
  from: number,
  piece: OutputLine,
  carried: Partial<Record<OutputStream, string>>,
): number {
  const sequence = unfinishedSequenceAt(piece.text);
  return sequence === undefined
    ? 0
    : leaveOutRestOfSequence(record, from, piece.stream, sequence, carried);
}

/**
 * Leaves out the rest of `sequence`, an escape sequence begun in a piece of a long line that
 * was left out, from the start of `stream`'s next line (at or after `from`), and while it runs
 * through a whole piece, from the next one's too; when the line it goes on in has not come
 * yet, keeps what is unfinished of it in `carried` for that line. Returns the bytes left out.
 */
function leaveOutRestOfSequence(
  record: TaskRecord,
  from: number,
  stream: OutputStream,
  sequence: string,
  carried: Partial<Record<OutputStream, string>>,
): number {
  let bytes = 0;
  for (let i = from;; i++) {
    if (i === record.output.length) {
      carried[stream] = sequence;
      break;
    }
    const line = record.output[i]!;
    if (line.stream !== stream) continue;
    const rest = restOfSequence(sequence, line.text);
    const cut = rest === -1 ? line.text.length : rest;
    bytes += utf8Length(line.text.slice(0, cut));
    record.output[i] = { ...line, text: line.text.slice(cut) };
    if (rest !== -1 || !line.continues) break;
    sequence = unfinishedSequenceAt(sequence + line.text)!;
  }
  record.droppedBytes += bytes;
  return bytes;
}

/** The longest end of `text` of at most `limit` bytes in UTF-8, not cut inside a character. */
function utf8Tail(text: string, limit: number): string {
  let start = text.length, bytes = 0;
  while (start > 0) {
    let from = start - 1;
    const code = text.charCodeAt(from);
    let size = code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    if (isLowSurrogate(code) && from > 0) {
      const high = text.charCodeAt(from - 1);
      if (high >= 0xd800 && high <= 0xdbff) [from, size] = [from - 1, 4];
    }
    if (bytes + size > limit) break;
    bytes += size;
    start = from;
  }
  return text.slice(start);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
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
