/**
 * dagrun: run a graph of tasks with maximal concurrency while respecting dependencies.
 *
 * Use it from a terminal (`deno run -A mod.ts tasks.json`), as a compiled binary, or as a
 * library:
 *
 * ```ts
 * import { run } from "./mod.ts";
 * const report = await run([
 *   { name: "build", type: "exec", arguments: "echo building" },
 *   { name: "test", type: "eval", arguments: "console.log(1 + 1)", dependencies: ["build"] },
 * ]);
 * console.log(report.ok, report.counts);
 * ```
 *
 * @module
 */

export { createDefaultRegistry, run, validate } from "./src/run.ts";
export type { DefaultRegistryOptions, RunOptions, TaskInput } from "./src/run.ts";
export { loadTaskFile, parseTaskFile } from "./src/load.ts";
export type { JsonPathSegment, LoadOptions, TaskFile } from "./src/load.ts";
export { ExecutorRegistry } from "./src/registry.ts";
export type { RegisterOptions } from "./src/registry.ts";
export { schedule } from "./src/scheduler.ts";
export type { RunIdentity, ScheduleOptions } from "./src/scheduler.ts";
export type { OptionOverrides } from "./src/task_options.ts";
export { parseDuration } from "./src/duration.ts";
export { identify, readResumeReport, resumedTasks } from "./src/resume.ts";
export type { ResumeReport } from "./src/resume.ts";
export { ExitCode, TaskFileError, UsageError } from "./src/errors.ts";
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

import { main } from "./src/cli.ts";

if (import.meta.main) {
  // Exit explicitly: a worker spinning in a busy loop survives terminate() in this Deno and
  // would otherwise keep the process alive after the report.
  Deno.exit(await main(Deno.args));
}
