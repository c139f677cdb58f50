/**
 * The human formatter: `Started:`/`Ended :` lines, live task output prefixed with the task's
 * name, and a report table with a summary at the end.
 *
 * @module
 */

import type { RunEvent, RunReport, TaskReport, TerminalStatus } from "../types.ts";
import type { TextSink } from "../output.ts";
import { createGroupedWriter } from "./grouped.ts";
import { printable } from "./printable.ts";
import { stoppedByCancellation } from "../run_report.ts";
import { displayWidth } from "./display_width.ts";

/**
 * How task output is laid out:
 * - `prefixed`: each line as it comes, as `[NAME] line`;
 * - `grouped`: each task's output as one block when it ends, between its `Started:` and
 *   `Ended :` lines;
 * - `interleaved`: each line as it comes, unprefixed.
 *
 * @example
 * ```ts
 * import { createHumanFormatter, createSink, type OutputMode } from "@dagrun/dagrun";
 *
 * const output: OutputMode = "grouped";
 * const onEvent = createHumanFormatter(createSink(), { output });
 * ```
 */
export type OutputMode = "prefixed" | "grouped" | "interleaved";

/**
 * Options of {@linkcode createHumanFormatter}.
 *
 * @example
 * ```ts
 * import { createHumanFormatter, createSink, type HumanFormatOptions } from "@dagrun/dagrun";
 *
 * const options: HumanFormatOptions = { color: Deno.stdout.isTerminal() };
 * const onEvent = createHumanFormatter(createSink(), options);
 * ```
 */
export interface HumanFormatOptions {
  /** Colour the statuses; only sensible on a terminal. */
  readonly color?: boolean;
  /** How task output is laid out; `prefixed` by default. */
  readonly output?: OutputMode;
  /** With `grouped`: print only the output of tasks that failed. */
  readonly errorsOnly?: boolean;
  /** Print only the final report: no task output, no `Started:`/`Ended :`/`Skipped:` lines. */
  readonly quiet?: boolean;
}

/**
 * Creates a listener that writes the human view of a run to a sink.
 *
 * @example
 * ```ts
 * import { createHumanFormatter, createSink } from "@dagrun/dagrun";
 *
 * const onEvent = createHumanFormatter(createSink(), { color: false });
 * onEvent({ event: "task_started", task: "build", type: "exec", time: Date.now() });
 * ```
 */
export function createHumanFormatter(
  sink: TextSink,
  options: HumanFormatOptions = {},
): (event: RunEvent) => void {
  const paint = options.color ? colorize : (_status: TerminalStatus, text: string) => text;
  const mode = options.output ?? "prefixed";
  // Whether anything came before the report, which a blank line then sets it apart from: with
  // --quiet, or a run of no tasks, the report is all there is.
  let printedBefore = false;
  const written: TextSink = {
    out(text) {
      printedBefore = true;
      sink.out(text);
    },
    err(text) {
      printedBefore = true;
      sink.err(text);
    },
    flush: () => sink.flush(),
  };
  const grouped = mode === "grouped"
    ? createGroupedWriter(written, { errorsOnly: options.errorsOnly ?? false })
    : undefined;
  const quiet = options.quiet ?? false;
  return (event) => {
    if (quiet && event.event !== "run_ended") return;
    switch (event.event) {
      case "task_started":
        if (!grouped) written.out(`Started: ${printable(event.task)}\n`);
        break;
      case "output": {
        if (grouped) {
          grouped.output(event.task, event.stream, event.text);
          break;
        }
        // The text may hold several lines; each gets the prefix. So does what follows a
        // carriage return (a progress bar's `10%\r20%`), which a terminal writes over the
        // prefix: `[t] 10%\r[t] 20%` shows as `[t] 20%`, not `20%] 10%`.
        const prefix = mode === "interleaved" ? "" : `[${printable(event.task)}] `;
        let text = event.text.replaceAll("\n", "\n" + prefix);
        if (prefix !== "" && text.includes("\r")) text = text.replaceAll("\r", "\r" + prefix);
        const line = prefix + text + "\n";
        if (event.stream === "stdout") written.out(line);
        else written.err(line);
        break;
      }
      case "task_ended":
        if (event.resumed) written.out(`Resumed: ${printable(event.task)}\n`);
        else if (grouped) grouped.ended(event.task, event.status === "ok");
        else written.out(`Ended : ${printable(event.task)}\n`);
        break;
      case "task_retry": {
        const line = `Retry  : ${
          printable(event.task)
        } (attempt ${event.attempt}/${event.attempts}, after ${
          printable(event.error ?? "a failure")
        })`;
        // Grouped, in the task's block, between the output of the attempts it separates.
        if (grouped) grouped.output(event.task, "stdout", line);
        else written.out(`${line}\n`);
        break;
      }
      case "task_skipped":
        written.out(`Skipped: ${printable(event.task)} (${printable(event.reason)})\n`);
        break;
      case "run_ended":
        sink.out(printedBefore ? formatReport(event, paint) : reportText(event, paint));
        break;
    }
  };
}

/**
 * The final report: one row per task, then a summary line, after a blank line that sets it
 * apart from what was printed before it.
 *
 * @example
 * ```ts
 * import { formatReport, run } from "@dagrun/dagrun";
 *
 * const report = await run([{ name: "a", type: "exec", arguments: "true" }]);
 * console.log(formatReport(report)); // the table and summary the CLI prints
 * ```
 */
export function formatReport(
  report: RunReport,
  paint: (status: TerminalStatus, text: string) => string = (_status, text) => text,
): string {
  return "\n" + reportText(report, paint);
}

/** The report of {@linkcode formatReport}, without the blank line before it. */
function reportText(
  report: RunReport,
  paint: (status: TerminalStatus, text: string) => string,
): string {
  const header = ["TASK", "TYPE", "STATUS", "DURATION", "DETAILS"];
  const rows = report.tasks.map((task) => [
    printable(task.name),
    printable(task.type),
    task.status,
    task.status === "skipped" || task.resumed ? "-" : formatDuration(task.durationMs),
    printable(details(task)),
  ]);
  // Columns as the terminal counts them (a CJK name takes two per character); a loop, not
  // Math.max(...rows), whose arguments overflow the stack past about 100,000 tasks.
  const widths = header.map((title) => title.length);
  for (const row of rows) {
    for (let column = 0; column < row.length; column++) {
      widths[column] = Math.max(widths[column]!, displayWidth(row[column]!));
    }
  }
  const render = (cells: string[], status?: TerminalStatus) =>
    cells.map((cell, column) => {
      const padded = column === cells.length - 1
        ? cell
        : cell + " ".repeat(widths[column]! - displayWidth(cell));
      return column === 2 && status ? paint(status, padded) : padded;
    }).join("  ").trimEnd();
  // No tasks (an empty "tasks" list): the summary alone, not a table's header over nothing.
  const table = rows.length === 0
    ? []
    : [render(header), ...rows.map((row, i) => render(row, report.tasks[i]!.status)), ""];
  return [...table, summary(report)].join("\n") + "\n";
}

function details(task: TaskReport): string {
  const attempts = task.attempts ? ` (${task.attempts} attempts)` : "";
  if (task.status === "skipped") return task.reason ?? "";
  if (task.status === "failed") {
    return `${task.allowed ? "allowed to fail: " : ""}${task.error ?? ""}${attempts}`;
  }
  if (task.resumed) return "resumed: ok in the earlier run";
  return attempts ? `ok after ${task.attempts} attempts` : "";
}

/** The summary line: counts, wall time and the first failure. */
export function summary(report: RunReport): string {
  const { ok, failed, skipped, allowed } = report.counts;
  const total = ok + failed + skipped;
  const resumed = report.tasks.reduce((n, task) => task.resumed ? n + 1 : n, 0);
  let text =
    `${total} ${total === 1 ? "task" : "tasks"}: ${ok} ok${
      resumed ? ` (${resumed} resumed)` : ""
    }, ${failed} failed${allowed ? ` (${allowed} allowed)` : ""}, ` +
    `${skipped} skipped in ${formatDuration(report.durationMs)}`;
  // The root cause first: a failure that fails the run, else an allowed one; and of those,
  // one that failed by itself before a task the cancellation stopped (listed earlier, maybe).
  const stopped = stoppedByCancellation(report);
  const failures = report.tasks.filter((task) => task.status === "failed" && !task.allowed);
  const firstFailure = failures.find((task) => !stopped(task)) ?? failures[0];
  const firstAllowed = report.tasks.find((task) => task.status === "failed" && task.allowed);
  const failure = firstFailure ?? firstAllowed;
  if (failure) {
    text += `; ${firstFailure ? "first failure" : "allowed failure"}: ${printable(failure.name)}${
      failure.error ? ` (${printable(failure.error)})` : ""
    }`;
  }
  if (report.cancelled) text += "; cancelled";
  return text;
}

/**
 * `850ms`, `1.25s`, `2m05s`. The unit is chosen after rounding, so that a duration just below
 * the next unit reads in that unit (`1.00s`, `1m00s`), never as `1000ms`, `60.00s` or `1m60s`.
 */
export function formatDuration(milliseconds: number): string {
  const wholeMs = Math.round(milliseconds);
  if (wholeMs < 1000) return `${wholeMs}ms`;
  const hundredths = Math.round(milliseconds / 10);
  if (hundredths < 6000) return `${(hundredths / 100).toFixed(2)}s`;
  const seconds = Math.round(milliseconds / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

const COLORS: Record<TerminalStatus, number> = { ok: 32, failed: 31, skipped: 33 };

function colorize(status: TerminalStatus, text: string): string {
  return `\x1b[${COLORS[status]}m${text}\x1b[39m`;
}
