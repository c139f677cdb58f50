/**
 * What the `run`, `graph` and `schema` commands do beyond running: choosing the listeners of
 * a run (formatter, status line, HTML and trace recorders), `--dry-run`, `--only`, graph
 * export and printing the schema. `cli.ts` only wires options to these.
 *
 * @module
 */

import { TaskFileError, UsageError } from "./errors.ts";
import { formatGraph, type GraphFormat } from "./format/graph.ts";
import { renderHtmlReport } from "./format/html.ts";
import { createHumanFormatter, type OutputMode } from "./format/human.ts";
import { createNdjsonFormatter } from "./format/ndjson.ts";
import { formatPlan, planRun } from "./format/plan.ts";
import { readPreviousRun } from "./format/previous_report.ts";
import { createStatusLine } from "./format/status_line.ts";
import { createTimelineRecorder } from "./format/timeline.ts";
import { toTraceEvents } from "./format/trace.ts";
import type { TaskFile } from "./load.ts";
import type { TextSink } from "./output.ts";
import { parseNameList, selectTasks } from "./subset.ts";
import type { RunEvent } from "./types.ts";
import tasksSchema from "../schema/tasks.schema.json" with { type: "json" };

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
  /** Writes the report files; call after the run. */
  finish(): Promise<void>;
  /** Erases the status line, if any (for an early exit). */
  stop(): void;
}

/**
 * Builds the listeners of a run from its flags. The status line is drawn only when stdout is
 * a terminal (and not `TERM=dumb`), for the human format, without `--quiet`.
 */
export function createRunView(
  taskFile: TaskFile,
  flags: ViewFlags,
  sink: TextSink,
  isTerminal: boolean = Deno.stdout.isTerminal() && Deno.env.get("TERM") !== "dumb",
): RunView {
  if (flags.outputErrorsOnly && flags.output !== undefined && flags.output !== "grouped") {
    throw new UsageError(
      `Cannot use --output-errors-only with --output ${flags.output}: it needs grouped output`,
    );
  }
  const listeners: ((event: RunEvent) => void)[] = [];
  let stop = () => {};
  if (flags.format === "ndjson") {
    listeners.push(createNdjsonFormatter(sink));
  } else {
    let formatterSink = sink;
    if (isTerminal && !flags.quiet) {
      const status = createStatusLine(sink);
      formatterSink = status.sink;
      listeners.push(status.onEvent); // before the formatter: run_ended erases it first
      stop = status.stop;
    }
    listeners.push(createHumanFormatter(formatterSink, {
      color: flags.color && isTerminal && !Deno.env.get("NO_COLOR"),
      output: flags.outputErrorsOnly ? "grouped" : flags.output ?? "prefixed",
      errorsOnly: flags.outputErrorsOnly ?? false,
      quiet: flags.quiet ?? false,
    }));
  }
  const recorder = flags.reportHtml !== undefined || flags.trace !== undefined
    ? createTimelineRecorder(taskFile.tasks)
    : undefined;
  if (recorder) listeners.push(recorder.onEvent);
  return {
    onEvent: (event) => {
      for (const listener of listeners) listener(event);
    },
    stop,
    async finish() {
      if (!recorder) return;
      const timeline = recorder.timeline();
      if (flags.reportHtml !== undefined) {
        await writeReport(flags.reportHtml, renderHtmlReport(timeline, taskFile.file));
      }
      if (flags.trace !== undefined) {
        await writeReport(flags.trace, JSON.stringify(toTraceEvents(timeline)) + "\n");
      }
    },
  };
}

async function writeReport(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (error) {
    throw new TaskFileError(`cannot write report: ${(error as Error).message}`, { file: path });
  }
}

/**
 * Narrows a task file to the named tasks (positional names and `--only` values) and their
 * dependencies; returns it unchanged when no name is given.
 *
 * @throws {UsageError} for unknown names, with close matches.
 */
export function selectSubset(
  taskFile: TaskFile,
  names: readonly string[],
  only: readonly string[] = [],
): TaskFile {
  const wanted = [...names, ...parseNameList(only)];
  if (wanted.length === 0) return taskFile;
  return { ...taskFile, tasks: selectTasks(taskFile.tasks, wanted) };
}

/** `--dry-run`: prints the simulated order of starts; durations from `--from-report`. */
export async function dryRun(
  taskFile: TaskFile,
  options: { concurrency?: number; fromReport?: string },
  sink: TextSink,
): Promise<void> {
  const durations = options.fromReport === undefined
    ? undefined
    : (await readPreviousRun(options.fromReport)).durations;
  const plan = await planRun(taskFile.tasks, {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(durations ? { durations } : {}),
  });
  sink.out(formatPlan(plan, options.concurrency));
}

/** `dagrun graph`: the graph as DOT or Mermaid, coloured by a previous report if given. */
export async function printGraph(
  taskFile: TaskFile,
  options: { format: GraphFormat; fromReport?: string },
  sink: TextSink,
): Promise<void> {
  const statuses = options.fromReport === undefined
    ? undefined
    : (await readPreviousRun(options.fromReport)).statuses;
  sink.out(formatGraph(taskFile.tasks, options.format, statuses));
}

/** `dagrun schema`: the task-file JSON Schema, for editors. */
export function printSchema(sink: TextSink): void {
  sink.out(JSON.stringify(tasksSchema, null, 2) + "\n");
}
