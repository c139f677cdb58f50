/**
 * `--dry-run`, `dagrun graph` and `dagrun schema`: loaded only by the runs that use them.
 *
 * @module
 */

import { criticalPathPriority } from "./critical_path.ts";
import { type HistoryLocation, readHistory } from "./history.ts";
import { formatGraph, type GraphFormat } from "./format/graph.ts";
import { formatPlan, planRun } from "./format/plan.ts";
import { readPreviousRun } from "./format/previous_report.ts";
import type { TaskFile } from "./load.ts";
import { fileIdentity } from "./resume.ts";
import { refuseReportOfOtherFile, reportName } from "./report_lines.ts";
import { loadCrypto } from "./deps.ts";
import type { TextSink } from "./output.ts";
import tasksSchema from "../schema/tasks.schema.json" with { type: "json" };

/**
 * `--dry-run`: prints the simulated order of starts; durations from `--from-report`.
 * `wholeFile` is the whole task file when `taskFile` is a subset of it (as for
 * `identify()`): a report of another subset is still one of this file.
 */
export async function dryRun(
  taskFile: TaskFile,
  options: { concurrency?: number; fromReport?: string; history?: HistoryLocation },
  sink: TextSink,
  wholeFile: TaskFile = taskFile,
): Promise<void> {
  // Durations from the report asked for, else from the history a real run would use.
  const durations = options.fromReport !== undefined
    ? (await previousRunOf(wholeFile, options.fromReport, "plan")).durations
    : options.history
    ? await readHistory(options.history)
    : undefined;
  // The same priority a real run computes: only a limit makes start order a choice.
  const priority = options.concurrency === undefined
    ? undefined
    : criticalPathPriority(taskFile.tasks, durations);
  const plan = await planRun(taskFile.tasks, {
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(durations && durations.size > 0 ? { durations } : {}),
    ...(priority ? { priority } : {}),
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
    : (await previousRunOf(taskFile, options.fromReport, "colour the graph")).statuses;
  sink.out(formatGraph(taskFile.tasks, options.format, statuses));
}

/** The report at `path`, refused when it is of another task file than `taskFile`. */
async function previousRunOf(taskFile: TaskFile, path: string, use: string) {
  const previous = await readPreviousRun(path);
  // Told as --resume tells it: by the path and the task names' hash `identify()` gives.
  await loadCrypto();
  const { file, tasksHash } = fileIdentity(taskFile);
  const names = taskFile.tasks.map((task) => task.name);
  refuseReportOfOtherFile(
    { ...previous, tasks: previous.statuses },
    reportName(path),
    { file, tasksHash, names },
    use,
  );
  return previous;
}

/** `dagrun schema`: the task-file JSON Schema, for editors. */
export function printSchema(sink: TextSink): void {
  sink.out(JSON.stringify(tasksSchema, null, 2) + "\n");
}
