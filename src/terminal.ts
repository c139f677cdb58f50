/**
 * What `run` does beyond running: choosing the listeners of a run (formatter, status line,
 * HTML and trace recorders); `--only` is in `subset.ts`. `cli_commands.ts` only wires options
 * to these;
 * `--dry-run`, `graph` and `schema` are in `terminal_commands.ts`, loaded when used.
 *
 * @module
 */

import { importLate } from "./deps.ts";
import { UsageError } from "./errors.ts";
import { createHumanFormatter, type OutputMode } from "./format/human.ts";
import { createNdjsonFormatter } from "./format/ndjson.ts";
import type { TaskFile } from "./load.ts";
import { ERASE_LINE, type TextSink } from "./output.ts";
import { environmentVariable } from "./permissions.ts";
import { type ReportFiles, type ReportWriteFailure, writeReportFile } from "./report_files.ts";
import { now } from "./run_report.ts";
import type { RunEvent } from "./types.ts";

// The modules of --report-html and --trace, imported late (see importLate): in no other run.
type TimelineModule = typeof import("./format/timeline.ts");
type HtmlModule = typeof import("./format/html.ts");
type TraceModule = typeof import("./format/trace.ts");
type Timeline = import("./format/timeline.ts").Timeline;
/** The view options of `dagrun run`. */
export interface ViewFlags {
  /** `human` or `ndjson`. */
  readonly format: "human" | "ndjson";
  /** Whether colour is allowed at all (`--no-color` clears it). */
  readonly color: boolean;
  /** `--output`. */
  readonly output?: OutputMode;
  /** `--output-errors-only`. */
  readonly outputErrorsOnly?: boolean;
  /** `--quiet`. */
  readonly quiet?: boolean;
  /** `--report-html FILE`. */
  readonly reportHtml?: string;
  /** `--trace FILE`. */
  readonly trace?: string;
}

/** What listens to a run, and what is left to do once it has ended. */
export interface RunView {
  /** Receives every event. */
  readonly onEvent: (event: RunEvent) => void;
  /**
   * Writes the HTML report and the trace into their files, opened before the run (see
   * `openReportFiles`, whose `close` closes them); call after the run. Each is written even
   * when the other failed; resolves to those that failed (none: empty), for the caller to
   * name with any other report that failed (`reportWriteError`).
   */
  finish(files: Pick<ReportFiles, "fileOf">): ReportWriteFailure[];
  /**
   * When a second signal ends the run at once: writes the HTML report and the trace as the
   * run stands (see `TimelineRecorder.interruptedAt`), synchronously, before the process
   * exits. Each is written even when the other failed; returns those that failed, as
   * `finish` does.
   */
  abandon(files: Pick<ReportFiles, "fileOf">): ReportWriteFailure[];
  /** Erases the status line, if any (for an early exit). */
  stop(): void;
  /** Before the process is suspended (Ctrl-Z): erases the status line, flushes the output. */
  beforeSuspend(): void;
  /** Once it is continued: draws the status line again, in the foreground. */
  afterResume(): void;
}

/** A sink whose first write after {@linkcode CleanLineSink.interrupted} starts on a clean line. */
export interface CleanLineSink extends TextSink {
  /**
   * Ctrl-C was pressed: the terminal echoed `^C` where the cursor was, so the next text,
   * either stream's, starts by erasing that line.
   */
  interrupted(): void;
}

/**
 * Wraps the sink of a terminal (stdout one) so that the first line after Ctrl-C does not start
 * with the terminal's echoed `^C`. The status line erases its line before each write, which
 * takes the echo with it; but before the run begins (a plugin's `prepare()` pending, a FIFO
 * report waited on) or with `--quiet`, none is drawn, and `^CSkipped: h (cancelled)` would
 * show. The cursor is then at the start of a line (dagrun writes whole lines), so erasing
 * loses nothing. The erase goes to stdout, the terminal, even before text for stderr.
 *
 * @example
 * ```ts
 * import { cleanLineAfterInterrupt } from "./terminal.ts";
 * import { createSink } from "./output.ts";
 *
 * const sink = cleanLineAfterInterrupt(createSink());
 * sink.interrupted();
 * sink.out("Skipped: h (cancelled)\n"); // written after "\r\x1b[2K"
 * ```
 */
export function cleanLineAfterInterrupt(sink: TextSink): CleanLineSink {
  let echoed = false;
  const clean = () => {
    if (!echoed) return;
    echoed = false;
    sink.out(ERASE_LINE);
  };
  return {
    out: (text) => {
      clean();
      sink.out(text);
    },
    err: (text) => {
      clean();
      sink.err(text);
    },
    flush: () => sink.flush(),
    interrupted: () => echoed = true,
  };
}

/** Whether stdout is a terminal that takes escape sequences: not a pipe, not `TERM=dumb`. */
export function stdoutIsTerminal(): boolean {
  return Deno.stdout.isTerminal() && environmentVariable("TERM") !== "dumb";
}

/**
 * Whether dagrun colours its output: allowed (`color`, which `--no-color` clears), on a
 * terminal, and without `NO_COLOR`. Eval tasks keep Deno's console colours exactly then.
 */
export function colorsWanted(color: boolean, isTerminal: boolean = stdoutIsTerminal()): boolean {
  return color && isTerminal && !environmentVariable("NO_COLOR");
}

/**
 * Refuses view options that contradict each other (`--output-errors-only` with `--output
 * prefixed`) or the format (`--quiet` with `--format ndjson`). The command line calls it
 * before the task file is loaded, so that the mistake is said alone, not after the file's
 * warnings; {@linkcode createRunView} calls it again.
 *
 * @throws {UsageError} naming the options.
 */
export function refuseConflictingViewFlags(flags: ViewFlags): void {
  if (flags.outputErrorsOnly && flags.output !== undefined && flags.output !== "grouped") {
    throw new UsageError(
      `Cannot use --output-errors-only with --output ${flags.output}: it needs grouped output`,
    );
  }
  if (flags.format === "ndjson") {
    // They shape the human view; NDJSON would print every event all the same.
    const humanOnly = flags.quiet
      ? "--quiet"
      : flags.outputErrorsOnly
      ? "--output-errors-only"
      : flags.output === undefined
      ? undefined
      : `--output ${flags.output}`;
    if (humanOnly !== undefined) {
      throw new UsageError(
        `Cannot use ${humanOnly} with --format ndjson: it applies to the human view only`,
      );
    }
  }
}

/**
 * Builds the listeners of a run from its flags. The status line is drawn only when stdout is
 * a terminal (and not `TERM=dumb`), for the human format, without `--quiet`. The status line
 * and the timeline recorder are loaded only for the runs that use them. `colors` is
 * {@linkcode colorsWanted}'s answer, passed by a caller that already has it.
 */
export async function createRunView(
  taskFile: TaskFile,
  flags: ViewFlags,
  sink: TextSink,
  isTerminal: boolean = stdoutIsTerminal(),
  colors: boolean = colorsWanted(flags.color, isTerminal),
): Promise<RunView> {
  refuseConflictingViewFlags(flags);
  const listeners: ((event: RunEvent) => void)[] = [];
  let stop = () => {};
  let beforeSuspend = () => sink.flush();
  let afterResume = () => {};
  if (flags.format === "ndjson") {
    listeners.push(createNdjsonFormatter(sink));
  } else {
    let formatterSink = sink;
    if (isTerminal && !flags.quiet) {
      const { createStatusLine } = await import("./format/status_line.ts");
      const status = createStatusLine(sink);
      formatterSink = status.sink;
      listeners.push(status.onEvent); // before the formatter: run_ended erases it first
      stop = status.stop;
      beforeSuspend = status.suspend;
      afterResume = status.resume;
    }
    listeners.push(createHumanFormatter(formatterSink, {
      color: colors,
      output: flags.outputErrorsOnly ? "grouped" : flags.output ?? "prefixed",
      errorsOnly: flags.outputErrorsOnly ?? false,
      quiet: flags.quiet ?? false,
    }));
  }
  // Loaded now, only for the runs that write them (all at once: each is a load of its own): a
  // second Ctrl-C draws them at once, with no time to import anything.
  const [timeline, html, trace] = flags.reportHtml === undefined && flags.trace === undefined
    ? []
    : await Promise.all([
      importLate<TimelineModule>(new URL("../src/format/timeline.ts", import.meta.url)),
      flags.reportHtml === undefined
        ? undefined
        : importLate<HtmlModule>(new URL("../src/format/html.ts", import.meta.url)),
      flags.trace === undefined
        ? undefined
        : importLate<TraceModule>(new URL("../src/format/trace.ts", import.meta.url)),
    ]);
  const recorder = timeline?.createTimelineRecorder(taskFile.tasks);
  if (recorder) listeners.push(recorder.onEvent);
  const reports = [
    {
      option: "--report-html",
      path: flags.reportHtml,
      render: html && ((run: Timeline) => html.renderHtmlReport(run, taskFile.file)),
    },
    {
      option: "--trace",
      path: flags.trace,
      render: trace && ((run: Timeline) => JSON.stringify(trace.toTraceEvents(run)) + "\n"),
    },
  ];
  // Each is written even when another failed (a full disk under one path only); all that
  // failed are named at the end, together with --report's.
  const writeReports = (run: Timeline, files: Pick<ReportFiles, "fileOf">) => {
    const failures: ReportWriteFailure[] = [];
    for (const { option, path, render } of reports) {
      const file = files.fileOf(option);
      if (render === undefined || path === undefined || file === undefined) continue;
      try {
        writeReportFile(file, render(run));
      } catch (error) {
        failures.push({ path, error });
      }
    }
    return failures;
  };
  return {
    onEvent: (event) => {
      for (const listener of listeners) listener(event);
    },
    stop,
    beforeSuspend,
    afterResume,
    finish: (files) => recorder ? writeReports(recorder.timeline(), files) : [],
    abandon: (files) => recorder ? writeReports(recorder.interruptedAt(now()), files) : [],
  };
}
