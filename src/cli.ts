/**
 * The command-line program: `dagrun [run] FILE [NAME...]`, `dagrun validate FILE`,
 * `dagrun graph FILE`, `dagrun schema`.
 *
 * @module
 */

import { Command, CommanderError, Option } from "./deps.ts";
import { checkTaskFile } from "./check.ts";
import { ExitCode, TaskFileError, UsageError } from "./errors.ts";
import { type HistoryLocation, historyLocation } from "./history.ts";
import { loadTaskFile, type TaskFile } from "./load.ts";
import { createSink, type TextSink } from "./output.ts";
import { createNdjsonFormatter } from "./format/ndjson.ts";
import { signalProcessGroups } from "./process_groups.ts";
import { registerExecutorModules, registerTaskFileExecutors } from "./plugins.ts";
import type { ExecutorRegistry } from "./registry.ts";
import { createDefaultRegistry, run } from "./run.ts";
import {
  type EvalExecutorOptions,
  type EvalPermissions,
  parseEvalPermissions,
  WORKER_OPTIONS_HINT,
} from "../executors/eval.ts";
import { isSandbox, workerOptionsEnabled } from "../executors/eval_permissions.ts";
import {
  createRunView,
  dryRun,
  printGraph,
  printSchema,
  selectSubset,
  type ViewFlags,
} from "./terminal.ts";
import type { RunEvent } from "./types.ts";
import { parseDuration } from "./duration.ts";
import { identify, readResumeReport, resumedTasks } from "./resume.ts";
import denoJson from "../deno.json" with { type: "json" };

/**
 * The program's version, from deno.json.
 *
 * @example
 * ```ts
 * import { VERSION } from "@dagrun/dagrun";
 *
 * console.log(`dagrun ${VERSION}`);
 * ```
 */
export const VERSION: string = denoJson.version;

/** What every command reading a task file takes. */
interface InputFlags {
  input?: string;
  schema?: string;
  executor?: string[];
}

interface RunFlags extends InputFlags {
  concurrency?: number;
  format: "human" | "ndjson";
  color: boolean;
  timeout?: number;
  retries?: number;
  report?: string;
  resume?: string;
  grace?: number;
  failFast?: boolean;
  history?: boolean;
}

interface RunOnlyFlags extends ViewFlags {
  evalIsolation: "pooled" | "fresh";
  evalPermissions: EvalPermissions;
  only?: string[];
  dryRun?: boolean;
  fromReport?: string;
}

/**
 * Runs the command line and resolves with the exit code; never throws for user errors.
 *
 * @example
 * ```ts
 * import { main } from "@dagrun/dagrun";
 *
 * const code = await main(["validate", "examples/input1.json"]);
 * ```
 */
export async function main(
  args: readonly string[],
  sink?: TextSink,
): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  // When our own stdout goes away (`dagrun x.json | head -1`), the run stops quietly.
  const outputClosed = new AbortController();
  sink ??= createSink({ onClosed: () => outputClosed.abort("output closed") });
  const program = buildProgram(sink, outputClosed.signal, (code) => exitCode = code);
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (error) {
    exitCode = reportError(error, sink);
  }
  sink.flush();
  return exitCode;
}

function buildProgram(
  sink: TextSink,
  outputClosed: AbortSignal,
  setExitCode: (code: number) => void,
) {
  const program = new Command("dagrun")
    .description(
      "Run a JSON or JSONC file of tasks with maximal concurrency, respecting dependencies.",
    )
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      "\n'dagrun FILE' is short for 'dagrun run FILE'; see 'dagrun run --help' for its options.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => sink.out(text),
      writeErr: (text) => sink.err(text),
      outputError: () => {}, // reported once, by reportError
    });

  // Options of every command that reads a task file; `optionsGroup` files what follows under
  // a heading.
  const addInputOptions = <Args extends unknown[]>(command: Command<Args>) =>
    command
      .optionsGroup("Input:")
      .option("--input <file>", "the task file (as in the original program)")
      .option("--schema <file>", "validate against this JSON Schema instead of dagrun's own")
      .option(
        "--executor <module>",
        "load executor plugins from MODULE, a path or URL (repeatable)",
        collect,
      );
  const addRunOptions = <Args extends unknown[]>(command: Command<Args>) =>
    addInputOptions(command)
      .optionsGroup("Running:")
      .option(
        "-j, --concurrency <n>",
        "run at most N tasks at once (default: the file's concurrency, else unlimited)",
        parsePositiveInteger,
      )
      .option(
        "--timeout <duration>",
        "time limit per task attempt, such as 90s or 1m30s, in place of the file's defaults " +
          "(a task's own timeout wins)",
        parseTimeout,
      )
      .option(
        "--retries <n>",
        "retry failed tasks N times, in place of the file's defaults (a task's own retries win)",
        parseRetries,
      )
      .option("--no-history", "neither read nor record task durations (.dagrun_history.json)")
      .optionsGroup("Output:")
      .addOption(
        new Option("--format <format>", "output format").choices(["human", "ndjson"] as const)
          .default("human" as const),
      )
      .option("--no-color", "never colour the output");

  addRunOptions(
    program.command("run", { isDefault: true })
      .description(
        "run the tasks of FILE ('-' for standard input), or only NAMEs and their dependencies",
      )
      .argument("[file]", "the task file, JSON or JSONC; '-' reads standard input")
      .argument("[names...]", "run only these tasks and what they depend on"),
  )
    .optionsGroup("Input:")
    .option(
      "--only <names>",
      "run only these tasks (comma list, repeatable) and what they depend on",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .optionsGroup("Running:")
    .option("--fail-fast", "at the first failure, stop the running tasks and skip the rest")
    .option(
      "--grace <duration>",
      "how long stopped tasks get between SIGTERM and SIGKILL: seconds or 500ms, 2s, 1m " +
        "(default: 5s)",
      (value: string) => parseDurationOption("grace", value),
    )
    .option("--resume <report>", "take tasks that were ok in an NDJSON report as done")
    .option("--dry-run", "print the order tasks would start in and the critical path; run nothing")
    .option("--from-report <file>", "with --dry-run: task durations from a previous NDJSON report")
    .optionsGroup("eval tasks:")
    .addOption(
      new Option("--eval-isolation <mode>", "eval tasks share warm workers, or get a fresh one")
        .choices(["pooled", "fresh"] as const).default("pooled" as const),
    )
    .option(
      "--eval-permissions <set>",
      "permissions of eval tasks: inherit, none, or a list such as read,env or net=example.com",
      parsePermissions,
      "inherit" as EvalPermissions,
    )
    .optionsGroup("Output:")
    .addOption(
      new Option("--output <mode>", "how task output is laid out (default: prefixed)")
        .choices(["prefixed", "grouped", "interleaved"] as const),
    )
    .option("--output-errors-only", "print only failed tasks' output (implies --output grouped)")
    .option("-q, --quiet", "print only the final report: no task output, no progress lines")
    .option("--report <file>", "also write the NDJSON event stream to FILE")
    .option("--report-html <file>", "write a self-contained HTML timeline of the run")
    .option(
      "--trace <file>",
      "write a Chrome trace-event JSON of the run (Perfetto, chrome://tracing)",
    )
    .action(async (file, names, flags) => {
      setExitCode(
        await runCommand(file, names, flags satisfies RunFlags & RunOnlyFlags, sink, outputClosed),
      );
    });

  addInputOptions(
    program.command("graph")
      .description("print the task graph of FILE as Graphviz DOT or Mermaid")
      .argument("[file]", "the task file; '-' reads standard input"),
  )
    .optionsGroup("Output:")
    .addOption(
      new Option("--format <format>", "graph format").choices(["dot", "mermaid"] as const)
        .default("dot" as const),
    )
    .option("--from-report <file>", "colour tasks by status from a previous NDJSON report")
    .action(async (file, flags) => {
      const { taskFile } = await loadChecked(file, flags satisfies InputFlags);
      await printGraph(taskFile, {
        format: flags.format,
        ...(flags.fromReport === undefined ? {} : { fromReport: flags.fromReport }),
      }, sink);
    });

  program.command("schema")
    .description("print the task-file JSON Schema, for editors")
    .action(() => printSchema(sink));

  addInputOptions(
    program.command("validate")
      .description("check FILE without running anything")
      .argument("[file]", "the task file; '-' reads standard input"),
  ).action(async (file, flags) => {
    const { taskFile } = await loadChecked(file, flags satisfies InputFlags);
    sink.out(`${taskFile.file}: ${taskFile.tasks.length} tasks, valid\n`);
  });

  return program;
}

/** Loads the task file and the plugins, then checks the file against every executor. */
async function loadChecked(
  file: string | undefined,
  flags: InputFlags & Partial<Pick<RunFlags, "timeout" | "retries" | "grace">>,
  evalOptions: EvalExecutorOptions = {},
): Promise<{ taskFile: TaskFile; registry: ExecutorRegistry }> {
  if (file !== undefined && flags.input !== undefined && file !== flags.input) {
    throw new UsageError(`Cannot take both FILE '${file}' and --input '${flags.input}'`);
  }
  const path = file ?? flags.input;
  if (path === undefined) throw new UsageError("Missing the task file: dagrun FILE");
  const schema = flags.schema === undefined ? undefined : await readSchema(flags.schema);
  const overrides = {
    ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
    ...(flags.retries === undefined ? {} : { retries: flags.retries }),
  };
  const taskFile = await loadTaskFile(path, { ...(schema ? { schema } : {}), overrides });
  const registry = createDefaultRegistry({
    ...(flags.grace === undefined ? {} : { graceMs: flags.grace }),
    eval: evalOptions,
  });
  await registerExecutorModules(registry, flags.executor ?? []);
  await registerTaskFileExecutors(taskFile, registry);
  checkTaskFile(taskFile, registry);
  return { taskFile, registry };
}

async function readSchema(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new TaskFileError(`cannot read schema: ${(error as Error).message}`, { file: path });
  }
  try {
    const schema = JSON.parse(text);
    if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
      throw new SyntaxError("a schema must be a JSON object");
    }
    return schema;
  } catch (error) {
    throw new TaskFileError(`invalid schema: ${(error as Error).message}`, { file: path });
  }
}

async function runCommand(
  file: string | undefined,
  names: string[],
  flags: RunFlags & RunOnlyFlags,
  sink: TextSink,
  outputClosed: AbortSignal,
) {
  if (file !== undefined && flags.input !== undefined && file !== flags.input) {
    // With --input naming the file, every positional argument is a task name.
    [file, names] = [undefined, [file, ...names]];
  }
  if (isSandbox(flags.evalPermissions) && workerOptionsEnabled() === false) {
    // Deno would end the process at the first sandboxed worker: say so in one line, first.
    sink.err(`dagrun: ${WORKER_OPTIONS_HINT}\n`);
    return ExitCode.InvalidInput;
  }
  const { taskFile: loaded, registry } = await loadChecked(file, flags, {
    isolation: flags.evalIsolation,
    permissions: flags.evalPermissions,
    colors: flags.color && Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"),
  });
  const taskFile = selectSubset(loaded, names, flags.only);
  if (flags.fromReport !== undefined && !flags.dryRun) {
    throw new UsageError("Cannot use --from-report without --dry-run when running tasks");
  }
  if (flags.dryRun) {
    const concurrency = flags.concurrency ?? taskFile.concurrency;
    await dryRun(taskFile, {
      ...(concurrency === undefined ? {} : { concurrency }),
      ...historyOption(taskFile, flags),
      ...(flags.fromReport === undefined ? {} : { fromReport: flags.fromReport }),
    }, sink);
    return ExitCode.Ok;
  }
  const view = createRunView(taskFile, flags, sink);
  // Hashing every task costs about a microsecond each: only when the events are kept.
  const identity = flags.format === "ndjson" || flags.report !== undefined ||
      flags.resume !== undefined
    ? identify(taskFile)
    : undefined;
  // Read before the report is opened: `--resume r.ndjson --report r.ndjson` is fine.
  const resumed = flags.resume === undefined
    ? undefined
    : resumedTasks(taskFile, identity!, await readResumeReport(flags.resume));
  const report = flags.report === undefined ? undefined : openReport(flags.report);
  const controller = new AbortController();
  const stopOnClosedOutput = () => controller.abort("output closed");
  outputClosed.addEventListener("abort", stopOnClosedOutput, { once: true });
  let interruptedBy: Deno.Signal | undefined;
  const onSignal = (signal: Deno.Signal) => () => {
    if (interruptedBy) {
      // A second signal: the user will not wait for the grace period.
      signalProcessGroups("SIGKILL");
      view.stop();
      sink.flush();
      Deno.exit(128 + SIGNAL_NUMBERS[signal]);
    }
    interruptedBy = signal;
    controller.abort("interrupted");
  };
  const listeners = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) => {
    const listener = onSignal(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  const onEvent = report
    ? (event: RunEvent) => {
      view.onEvent(event);
      report.onEvent(event);
    }
    : view.onEvent;
  try {
    const result = await run(taskFile, {
      onEvent,
      registry,
      signal: controller.signal,
      ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
      ...(identity ? { identity } : {}),
      ...(resumed ? { resumed } : {}),
      ...(flags.failFast ? { failFast: true } : {}),
      ...historyOption(taskFile, flags, loaded),
    });
    await view.finish();
    if (interruptedBy) return 128 + SIGNAL_NUMBERS[interruptedBy];
    // As a program killed by SIGPIPE would, without the noise.
    if (outputClosed.aborted) return 128 + 13;
    return result.ok ? ExitCode.Ok : ExitCode.TaskFailed;
  } finally {
    outputClosed.removeEventListener("abort", stopOnClosedOutput);
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    report?.close();
  }
}

/**
 * The durations history of a task file, unless `--no-history`; none for standard input. A
 * subset keeps the records of the tasks it leaves out of `loaded`, the whole file.
 */
function historyOption(
  taskFile: TaskFile,
  flags: RunFlags,
  loaded: TaskFile = taskFile,
): { history?: HistoryLocation } {
  if (flags.history === false || taskFile.file === "<stdin>") return {};
  const location = historyLocation(taskFile.file);
  if (taskFile.tasks.length === loaded.tasks.length) return { history: location };
  const running = new Set(taskFile.tasks.map((task) => task.name));
  const keep = loaded.tasks.map((task) => task.name).filter((name) => !running.has(name));
  return { history: { ...location, keep } };
}

/** The NDJSON report file of `--report`, written as the events come. */
function openReport(path: string) {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new TaskFileError(`cannot write report: ${(error as Error).message}`, { file: path });
  }
  const sink = createSink({ stdout: file, stderr: file });
  return {
    onEvent: createNdjsonFormatter(sink),
    close: () => {
      sink.flush();
      file.close();
    },
  };
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<Deno.Signal, number>;

/**
 * Parses a duration option: seconds (`5`, `0.5`) or a duration (`500ms`, `2s`, `1m30s`), in
 * milliseconds.
 *
 * @throws {UsageError} naming the option for anything else.
 */
export function parseDurationOption(option: string, value: string): number {
  try {
    return parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
  } catch (error) {
    throw new UsageError(
      `Invalid ${option}: ${(error as Error).message.replace(/^must be/, "expected")}`,
    );
  }
}

function parseTimeout(value: string): number {
  const ms = parseDurationOption("timeout", value);
  if (ms === 0) throw new UsageError("Invalid timeout: expected more than zero, received '0'");
  return ms;
}

function parsePermissions(value: string): EvalPermissions {
  try {
    return parseEvalPermissions(value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseRetries(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw new UsageError(`Invalid retries: expected a non-negative integer, received '${value}'`);
  }
  return number;
}

/** Commander's way to take an option more than once. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...previous ?? [], value];
}

function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`Invalid concurrency: expected a positive integer, received '${value}'`);
  }
  return number;
}

function reportError(error: unknown, sink: TextSink): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") {
      return ExitCode.Ok;
    }
    if (error.code === "commander.help") return ExitCode.Ok;
    const message = error.message.replace(/^error: /, "");
    sink.err(`dagrun: ${message}\nTry 'dagrun --help' for usage.\n`);
    return ExitCode.InvalidInput;
  }
  if (error instanceof UsageError) {
    sink.err(`dagrun: ${error.message}\nTry 'dagrun --help' for usage.\n`);
    return error.exitCode;
  }
  if (error instanceof TaskFileError) {
    sink.err(`dagrun: ${error.message}\n`);
    return error.exitCode;
  }
  // Our own bug: still one line, with a pointer to the details.
  sink.err(`dagrun: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (Deno.env.get("DAGRUN_DEBUG")) sink.err(`${(error as Error)?.stack ?? ""}\n`);
  return 70;
}
