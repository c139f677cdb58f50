/**
 * dagrun: run a graph of tasks with maximal concurrency while respecting dependencies.
 *
 * Use it from a terminal (`deno run -A mod.ts tasks.json`), as a compiled binary, or as a
 * library, imported from a checkout, from JSR as `@dagrun/dagrun`, or by URL
 * (`https://HOST/dagrun/mod.ts`): it needs no configuration of yours, as every third-party
 * module is pinned with a full `npm:` specifier.
 *
 * - {@linkcode run} validates and runs tasks and resolves with the {@linkcode RunReport};
 *   {@linkcode runEvents} yields the same run as an async iterable of {@linkcode RunEvent}s.
 * - {@linkcode loadTaskFile} reads a JSON/JSONC task file, {@linkcode validate} checks tasks
 *   without running them, and errors are {@linkcode TaskFileError}s naming file, line, column
 *   and task.
 * - {@linkcode ExecutorRegistry} maps task types to {@linkcode Executor}s: write a plugin by
 *   implementing that interface, and load plugin modules with
 *   {@linkcode registerExecutorModules} (what `--executor` does).
 * - {@linkcode createHumanFormatter} and {@linkcode createNdjsonFormatter} print events as the
 *   command line does.
 *
 * @example Run tasks and read the report
 * ```ts
 * import { run } from "@dagrun/dagrun";
 *
 * const report = await run([
 *   { name: "build", type: "exec", arguments: "echo building" },
 *   { name: "test", type: "eval", arguments: "console.log(1 + 1)", dependencies: ["build"] },
 * ]);
 * console.log(report.ok, report.counts); // true { ok: 2, failed: 0, skipped: 0 }
 * ```
 *
 * @example Follow a run event by event
 * ```ts
 * import { runEvents } from "@dagrun/dagrun";
 *
 * for await (const event of runEvents([{ name: "hi", type: "exec", arguments: "echo hi" }])) {
 *   console.log(JSON.stringify(event));
 * }
 * ```
 *
 * @example A plugin, loaded with `dagrun --executor ./shout.ts tasks.json`
 * ```ts
 * import type { Executor } from "@dagrun/dagrun";
 *
 * export default {
 *   type: "shout",
 *   argumentsSchema: { type: "string" },
 *   run: (task, context) => {
 *     context.output("stdout", String(task.arguments).toUpperCase());
 *     return Promise.resolve({ ok: true });
 *   },
 * } satisfies Executor;
 * ```
 *
 * @module
 */

export { createDefaultRegistry, run, validate } from "./src/run.ts";
export type { DefaultRegistryOptions, RunOptions, TaskInput } from "./src/run.ts";
export { DEFAULT_MAX_BUFFERED_OUTPUT, runEvents } from "./src/events.ts";
export type { RunEventsOptions, RunEventStream } from "./src/events.ts";
export { loadTaskFile, parseTaskFile } from "./src/load.ts";
export type { JsonPathSegment, LoadOptions, TaskFile } from "./src/load.ts";
export type { LoadWarning } from "./src/unknown_fields.ts";
export { ExecutorRegistry } from "./src/registry.ts";
export type { RegisterOptions } from "./src/registry.ts";
export {
  importExecutors,
  registerExecutorModules,
  registerTaskFileExecutors,
} from "./src/plugins.ts";
export type { ExecutorModuleOptions, ModuleLoadOptions } from "./src/plugins.ts";
export { forEachLine, MAX_LINE_LENGTH } from "./src/lines.ts";
export { schedule } from "./src/scheduler.ts";
export type { RunIdentity, ScheduleOptions } from "./src/scheduler.ts";
export type { OptionOverrides } from "./src/task_options.ts";
export { parseDuration } from "./src/duration.ts";
export { identify, readResumeReport, resumedTasks } from "./src/resume.ts";
export type { ResumeReport } from "./src/resume.ts";
export { criticalPathPriority } from "./src/critical_path.ts";
export { HISTORY_FILE_NAME, historyLocation, readHistory, recordHistory } from "./src/history.ts";
export type { HistoryLocation } from "./src/history.ts";
export { ExitCode, OutputError, TaskFileError, UsageError } from "./src/errors.ts";
export type { SourcePosition } from "./src/errors.ts";
export { createHumanFormatter, formatReport } from "./src/format/human.ts";
export type { HumanFormatOptions, OutputMode } from "./src/format/human.ts";
export { createNdjsonFormatter } from "./src/format/ndjson.ts";
export { createSink } from "./src/output.ts";
export type { SinkOptions, SyncWriter, TextSink } from "./src/output.ts";
export { main, VERSION } from "./src/cli.ts";
export { createExecExecutor } from "./executors/exec.ts";
export type { ExecExecutorOptions } from "./executors/exec.ts";
export { createEvalExecutor, parseEvalPermissions } from "./executors/eval.ts";
export type { EvalExecutorOptions, EvalIsolation, EvalPermissions } from "./executors/eval.ts";
export type * from "./src/types.ts";

import { runCommandLine } from "./src/bin.ts";

if (import.meta.main) await runCommandLine(Deno.args);
