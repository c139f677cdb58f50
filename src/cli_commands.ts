/**
 * What the commands of the command line do, once their arguments are parsed (by the fast
 * parser of `cli_fast.ts` or by commander in `cli_program.ts`).
 *
 * @module
 */

import { checkTaskFile, didYouMean } from "./check.ts";
import { COMMANDS } from "./cli_fast.ts";
import { importLate, loadCrypto, loadJsonc } from "./deps.ts";
import {
  emptyPathError,
  ExitCode,
  OutputError,
  quote,
  TaskFileError,
  UsageError,
  warn,
} from "./errors.ts";
import { type HistoryLocation, historyLocation } from "./history.ts";
import { loadTaskFile, type TaskFile } from "./load.ts";
import { createSink, ERASE_LINE, type TextSink } from "./output.ts";
import { createNdjsonFormatter } from "./format/ndjson.ts";
import { signalProcessGroups } from "./process_groups.ts";
import { listenForSuspend } from "./job_control.ts";
import { registerExecutorModules, registerTaskFileExecutors } from "./plugins.ts";
import type { ExecutorRegistry } from "./registry.ts";
import { createDefaultRegistry, runChecked } from "./run.ts";
import { indexTaskGraph, type TaskGraph } from "./task_graph.ts";
import {
  type EvalExecutorOptions,
  type EvalPermissions,
  WORKER_OPTIONS_HINT,
} from "../executors/eval.ts";
import { isSandbox, workerOptionsEnabled } from "../executors/eval_permissions.ts";
import { resolvePath } from "./paths.ts";
import { compileUserSchema } from "./schema_validation.ts";
import { loadAjvFor } from "./schema_compiler.ts";
import {
  openReportFiles,
  refuseReportPaths,
  type ReportFiles,
  ReportOpeningInterrupted,
  reportWriteError,
  type ReportWriteFailure,
} from "./report_files.ts";
import { printable } from "./format/printable.ts";
import { DEFAULT_GRACE_MS } from "../executors/exec.ts";
import { type EndingSignal, exitStatusOf, listenForEndingSignals } from "./ignored_signals.ts";
import {
  cleanLineAfterInterrupt,
  colorsWanted,
  createRunView,
  refuseConflictingViewFlags,
  stdoutIsTerminal,
  type ViewFlags,
} from "./terminal.ts";
import { refuseEmptyOnly, selectSubset } from "./subset.ts";
import type { RunEvent } from "./types.ts";
import type { WarningEvent } from "./event_types.ts";
import type { LoadWarning } from "./unknown_fields.ts";
import { now } from "./run_report.ts";
import { identify, readResumeReport, resumedTasks } from "./resume.ts";
import { InputReadInterrupted, readAs, readInputFile } from "./input_files.ts";
import { debugRequested, isGranted } from "./permissions.ts";

/** What every command reading a task file takes. */
export interface InputFlags {
  input?: string;
  schema?: string;
  executor?: string[];
}

/** The options of `run` shared with the library's run options. */
export interface RunFlags extends InputFlags {
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

/** The options only `run` has. */
export interface RunOnlyFlags extends ViewFlags {
  evalIsolation: "pooled" | "fresh";
  evalPermissions: EvalPermissions;
  only?: string[];
  dryRun?: boolean;
  fromReport?: string;
}

/** Every option of `run`, as commander hands them to its action. */
export type RunCommandFlags = RunFlags & RunOnlyFlags;

/**
 * Loads the task file and the plugins, then checks the file against every executor; with the
 * graph the check made.
 */
export async function loadChecked(
  file: string | undefined,
  flags: InputFlags & Partial<Pick<RunFlags, "timeout" | "retries" | "grace">>,
  evalOptions: EvalExecutorOptions = {},
  command?: "run" | "graph" | "validate",
): Promise<{ taskFile: TaskFile; registry: ExecutorRegistry; graph: TaskGraph }> {
  refusePathsNotRead({ FILE: file, ...flags });
  if (file !== undefined && flags.input !== undefined && file !== flags.input) {
    throw new UsageError(`Cannot take both FILE '${file}' and --input '${flags.input}'`);
  }
  const path = file ?? flags.input;
  if (path === undefined) {
    throw new UsageError(`Missing the task file: dagrun ${command ? `${command} ` : ""}FILE`);
  }
  if (command === undefined && file !== undefined) checkNotMistypedCommand(file);
  const schema = flags.schema === undefined ? undefined : await readSchema(flags.schema);
  const overrides = {
    ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
    ...(flags.retries === undefined ? {} : { retries: flags.retries }),
  };
  const taskFile = await loadTaskFile(path, { ...(schema ? { schema } : {}), overrides });
  for (const warning of taskFile.warnings ?? []) warn(warning);
  const registry = createDefaultRegistry({
    ...(flags.grace === undefined ? {} : { graceMs: flags.grace }),
    eval: evalOptions,
  });
  await registerExecutorModules(registry, flags.executor ?? []);
  await registerTaskFileExecutors(taskFile, registry);
  const graph = checkTaskFile(taskFile, registry);
  return { taskFile, registry, graph };
}

/** The files read before a run, by the option that names each. */
const READ_PATHS = [
  ["FILE", "The task file"],
  ["input", "--input"],
  ["schema", "--schema"],
  ["resume", "--resume"],
  ["fromReport", "--from-report"],
] as const;

/**
 * Refuses an empty path to a file to read (`dagrun "$FILE"` with the variable unset), as
 * `openReportFiles` refuses `--report ""`; and `-` for two of them (`dagrun - --resume -`):
 * standard input is read once.
 */
function refusePathsNotRead(given: Readonly<Record<string, unknown>>): void {
  for (const [key, option] of READ_PATHS) {
    if (given[key] === "") throw emptyPathError(option);
  }
  // A module to import, said by the command line alone: refused here rather than by the
  // plugin loader, which runs after the task file's load and its warnings.
  if ((given.executor as readonly string[] | undefined)?.includes("")) {
    throw new UsageError(`--executor needs a module path or URL, and "" is none`);
  }
  // FILE and --input name one file (both given, they must be the same).
  const fromStdin = ([
    ["the task file", given.FILE ?? given.input],
    ["--schema", given.schema],
    ["--resume", given.resume],
    ["--from-report", given.fromReport],
  ] as const).filter(([, path]) => path === "-").map(([what]) => what);
  if (fromStdin.length > 1) {
    throw new UsageError(`Cannot read both ${fromStdin.join(" and ")} from standard input (-)`);
  }
}

/**
 * Refuses a run of a missing file whose name is a command mistyped (`dagrun valdate x.json`
 * is a run of a file named `valdate`), naming the command: "no such file" alone would not say
 * what went wrong. A file of that name that exists is run, as asked.
 *
 * A command spelled right reaches here when an option comes before it (`dagrun -q validate
 * x.json`): a command is read as one only first, so this is a run of a file named `validate`,
 * and "did you mean the command validate" would answer the question with itself. After a
 * command named first (`dagrun run run`) the file is not looked at here: it is a file.
 */
function checkNotMistypedCommand(file: string): void {
  if (!/^[a-z]+$/.test(file)) return;
  const hint = didYouMean(file, COMMANDS);
  if (hint === "" && !COMMANDS.has(file)) return;
  try {
    Deno.lstatSync(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return;
    throw new UsageError(
      COMMANDS.has(file)
        ? `No task file ${quote(file)}: the command ${quote(file)} must come first, ` +
          `before any option ('dagrun ${file} ...')`
        : `No task file ${quote(file)}${hint.replace("did you mean", "did you mean the command")}`,
      { generalHelp: true },
    );
  }
}

/**
 * Refuses a task name that names no task but a task file (`dagrun s.json --input a.json`):
 * with `--input` naming the file, every operand is a task name, and "Unknown task" alone
 * would not say why a file was taken for one. A name "looks like a task file" when it ends in
 * `.json` or `.jsonc`, is `-`, or is an existing file.
 */
function refuseTaskFileAsName(taskFile: TaskFile, names: readonly string[], input: string): void {
  if (names.length === 0) return;
  const known = new Set(taskFile.tasks.map((task) => task.name));
  const file = names.find((name) => !known.has(name) && looksLikeTaskFile(name));
  if (file === undefined) return;
  throw new UsageError(
    `Unknown task ${quote(file)}: with --input naming the task file (${quote(input)}), ` +
      `every other argument is a task name; give the task file once, as FILE or with --input`,
  );
}

function looksLikeTaskFile(name: string): boolean {
  if (name === "-" || /\.jsonc?$/i.test(name)) return true;
  // Queried, never asked for: a request would stop the command at a prompt on a terminal.
  if (name === "" || !isGranted({ name: "read", path: name })) return false;
  try {
    return Deno.statSync(name).isFile;
  } catch {
    return false;
  }
}

async function readSchema(path: string): Promise<Record<string, unknown>> {
  // Bounded, as the task file is: /dev/zero is refused, not read until memory runs out.
  const { bytes } = await readAs("schema", path, () => readInputFile(path));
  const text = new TextDecoder().decode(bytes);
  let schema: unknown;
  try {
    schema = JSON.parse(text);
    if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
      throw new SyntaxError("a schema must be a JSON object");
    }
  } catch (error) {
    // One line: JSON.parse quotes the text it stopped at, newlines included.
    const message = (error as Error).message.replaceAll("\n", "\\n");
    throw new TaskFileError(`invalid schema: ${message}`, { file: path });
  }
  await loadAjvFor([schema]);
  compileUserSchema(schema as Record<string, unknown>, path);
  return schema as Record<string, unknown>;
}

/**
 * What each command had not done when a signal ended its wait for an input (a FIFO's writer,
 * standard input), said after the interruption: "nothing ran" would be odd for `validate`.
 */
const NOT_DONE = {
  run: "nothing ran",
  "dry-run": "no plan printed",
  graph: "no graph printed",
  validate: "nothing validated",
} as const;

/** A command that reads inputs, as {@linkcode notDoneOnInterrupt} names what it had not done. */
export type InputReadingCommand = keyof typeof NOT_DONE;

/** A command ended by a signal while it waited for an input, before it did its work. */
class CommandInterrupted extends Error {
  /** The exit status of the interrupted read: the signal's (130 for SIGINT, 143, 129). */
  readonly exitCode: number;

  constructor(interrupted: InputReadInterrupted, command: InputReadingCommand) {
    super(`${interrupted.message}; ${NOT_DONE[command]}`, { cause: interrupted });
    this.name = "CommandInterrupted";
    this.exitCode = interrupted.exitCode;
  }
}

/**
 * Runs `body`, the work of `command`; a signal that ends its wait for an input is reported
 * (by {@linkcode reportError}) with what `command` had not done: `…; nothing validated`.
 */
export async function notDoneOnInterrupt<T>(
  command: InputReadingCommand,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw error instanceof InputReadInterrupted ? new CommandInterrupted(error, command) : error;
  }
}

/**
 * `dagrun run`: loads, checks and runs the tasks; resolves with the exit code. `command` is
 * `"run"` when the command line names it (`dagrun run FILE`), `undefined` for `dagrun FILE`.
 */
export function runCommand(
  file: string | undefined,
  names: string[],
  flags: RunFlags & RunOnlyFlags,
  sink: TextSink,
  outputClosed: AbortSignal,
  command?: "run",
): Promise<number> {
  return notDoneOnInterrupt(
    flags.dryRun ? "dry-run" : "run",
    () => runTasks(file, names, flags, sink, outputClosed, command),
  );
}

/**
 * Refuses the options of `run` that contradict each other or name no file to write, by the
 * command line alone: checked before the task file is loaded (a file with warnings would
 * print them before the usage error), in the order the run met them when they were checked
 * later.
 *
 * @throws {UsageError} naming the options.
 */
function refuseConflictingRunFlags(flags: RunFlags & RunOnlyFlags): void {
  refuseEmptyOnly(flags.only ?? []);
  if (flags.fromReport !== undefined && !flags.dryRun) {
    throw new UsageError("Cannot use --from-report without --dry-run when running tasks");
  }
  if (flags.resume !== undefined && flags.dryRun) {
    // The plan would silently ignore it, report unread.
    throw new UsageError(
      "Cannot use --resume with --dry-run: the plan does not resume (--from-report takes a report's durations)",
    );
  }
  const reports = {
    "--report": flags.report,
    "--report-html": flags.reportHtml,
    "--trace": flags.trace,
  };
  if (flags.dryRun) {
    // The plan is text, and nothing runs to report on: these would be ignored without a word.
    const ignored = flags.format === "ndjson"
      ? "--format ndjson"
      : Object.entries(reports).find(([, path]) => path !== undefined)?.[0];
    if (ignored !== undefined) {
      throw new UsageError(
        `Cannot use ${ignored} with --dry-run: the plan is printed as text, and nothing runs to report on`,
      );
    }
    return;
  }
  refuseConflictingViewFlags(flags);
  refuseReportPaths(reports);
}

/** {@linkcode runCommand}'s work, which it wraps to name what an interrupted read left undone. */
async function runTasks(
  ...[file, names, flags, sink, outputClosed, command]: Parameters<typeof runCommand>
): Promise<number> {
  if (file !== undefined && flags.input !== undefined && file !== flags.input) {
    // With --input naming the file, every positional argument is a task name, as every
    // operand is a target after make's -f.
    [file, names] = [undefined, [file, ...names]];
  }
  // The configuration files that may enable worker options may be JSONC.
  if (isSandbox(flags.evalPermissions)) await loadJsonc();
  if (isSandbox(flags.evalPermissions) && workerOptionsEnabled() === false) {
    // Deno would end the process at the first sandboxed worker: say so in one line, first.
    sink.err(`dagrun: ${WORKER_OPTIONS_HINT}\n`);
    return ExitCode.InvalidInput;
  }
  // Before the load: a mistake in the options is said alone, not after the file's warnings.
  refuseConflictingRunFlags(flags);
  // Asked once: the eval output's colours and the run's view are decided by the same answers.
  const isTerminal = stdoutIsTerminal();
  const colors = colorsWanted(flags.color, isTerminal);
  const { taskFile: loaded, registry, graph: loadedGraph } = await loadChecked(file, flags, {
    isolation: flags.evalIsolation,
    permissions: flags.evalPermissions,
    // As dagrun's own output is coloured (TERM=dumb was missed here: eval output was).
    colors,
  }, command);
  if (flags.input !== undefined) refuseTaskFileAsName(loaded, names, flags.input);
  const taskFile = selectSubset(loaded, names, flags.only);
  if (flags.dryRun) {
    const { dryRun } = await importLate<TerminalCommands>(
      new URL("../src/terminal_commands.ts", import.meta.url),
    );
    const concurrency = flags.concurrency ?? taskFile.concurrency;
    await dryRun(
      taskFile,
      {
        ...(concurrency === undefined ? {} : { concurrency }),
        ...historyOption(taskFile, flags),
        ...(flags.fromReport === undefined ? {} : { fromReport: flags.fromReport }),
      },
      sink,
      loaded,
    );
    return ExitCode.Ok;
  }
  // On a terminal, the human view's first line after Ctrl-C erases the echoed `^C` first.
  const screen = isTerminal && flags.format !== "ndjson"
    ? cleanLineAfterInterrupt(sink)
    : undefined;
  const runSink: TextSink = screen ?? sink;
  const view = await createRunView(taskFile, flags, runSink, isTerminal, colors);
  // Hashing every task costs about a microsecond each: only when the events are kept.
  const keepEvents = flags.format === "ndjson" || flags.report !== undefined ||
    flags.resume !== undefined;
  if (keepEvents) await loadCrypto();
  const identity = keepEvents ? identify(taskFile, loaded) : undefined;
  // Read before the report is opened: `--resume r.ndjson --report r.ndjson` is fine.
  const resumed = flags.resume === undefined
    ? undefined
    : resumedTasks(taskFile, identity!, await readResumeReport(flags.resume), loaded);
  // Nor may a report be a file of the run's own: the history is renamed over its path at the
  // end.
  const history = historyOption(taskFile, flags, loaded).history;
  const controller = new AbortController();
  const stopOnClosedOutput = () => controller.abort("output closed");
  outputClosed.addEventListener("abort", stopOnClosedOutput, { once: true });
  let interruptedBy: EndingSignal | undefined;
  // Whether the run has begun (its report files emptied), for a second signal's exit.
  let begun = false;
  // Opened once the signals are listened to: a FIFO's open waits for its reader, and Ctrl-C
  // must end that wait as it ends the run.
  let reports: ReportFiles | undefined;
  let report: ReturnType<typeof ndjsonReport> | undefined;
  const onSignal = (signal: EndingSignal) => {
    if (signal === "SIGINT") screen?.interrupted();
    if (interruptedBy) {
      // A second signal: the user will not wait for the grace period.
      signalProcessGroups("SIGKILL");
      view.stop();
      if (begun) {
        // The timeline and the trace as the run stands, rather than the empty files the
        // run's beginning left: tasks still running drawn as interrupted. Every report that
        // could not be written is named, --report's too.
        const failures = view.abandon(reports!);
        report?.flush();
        const unwritten = unwrittenReports(report, failures);
        if (unwritten) reportError(unwritten, runSink);
      }
      report?.flush();
      runSink.flush();
      // Not begun (a plugin still preparing): the files it created are removed, as when
      // the run never begins.
      reports?.close();
      Deno.exit(exitStatusOf(signal));
    }
    interruptedBy = signal;
    controller.abort("interrupted");
  };
  const stopListening = listenForEndingSignals(onSignal);
  // Listened for from the first task's start, once its line is out and its process spawned:
  // until then a stop has nothing to stop but dagrun (its default action), and the check
  // costs ≈ 1 ms (first calls of the permission query and of stat) that would otherwise
  // delay the first spawn.
  let stopListeningForSuspend: (() => void) | undefined;
  let suspendListenerQueued = false;
  try {
    // All at once, last before the run: a path that cannot be written stops it before it
    // starts.
    try {
      reports = await openReportFiles({
        "--report": flags.report,
        "--report-html": flags.reportHtml,
        "--trace": flags.trace,
      }, {
        "the task file": taskFile.file === "<stdin>" ? undefined : taskFile.file,
        "the duration history": history?.path,
      }, controller.signal);
    } catch (error) {
      if (!(error instanceof ReportOpeningInterrupted)) throw error;
      // Nothing ran and no file is left: one line, and the signal's exit status.
      if (interruptedBy) {
        runSink.err(`dagrun: ${printable(error.message)}; nothing ran\n`);
        return exitStatusOf(interruptedBy);
      }
      return closedOutputExitCode(outputClosed);
    }
    const opened = reports;
    const reportFile = opened.fileOf("--report");
    report = reportFile && ndjsonReport(reportFile, flags.report!);
    const deliver = (event: RunEvent) => {
      view.onEvent(event);
      report?.onEvent(event);
    };
    const onEvent = (event: RunEvent) => {
      if (event.event === "run_started") {
        // Emptied when the run begins, its first event: one that never does (a plugin's
        // prepare() failed) leaves them as they were.
        opened.begin();
        begun = true;
        deliver(event);
        // The load's warnings, already on stderr, go into the events too, right after the
        // first: a program reading the NDJSON (or --report) learns that a task's misspelled
        // field was ignored, where run_started stays the first line as readers of a report
        // expect.
        for (const warning of loaded.warningDetails ?? []) deliver(warningEvent(warning));
        return;
      }
      deliver(event);
      if (!suspendListenerQueued && event.event === "task_started") {
        suspendListenerQueued = true;
        // The executor spawns the task in the turn that emits this event: a microtask runs
        // right after, before any I/O (a timer would let the task's output come first). It
        // always runs before the `finally` below: microtasks run in order, and the run can
        // only end in one queued after this.
        queueMicrotask(() => stopListeningForSuspend = listenForSuspend(view));
      }
    };
    // A subset of a checked file is valid (it takes every dependency along): only its graph
    // is new.
    const graph = taskFile === loaded ? loadedGraph : indexTaskGraph(taskFile.tasks);
    const result = await runChecked(taskFile, graph, registry, {
      onEvent,
      signal: controller.signal,
      ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
      ...(identity ? { identity } : {}),
      ...(resumed ? { resumed } : {}),
      ...(flags.failFast ? { failFast: true } : {}),
      // Past exec's grace and its SIGKILL: only a task that ignores being stopped is given up.
      stopGraceMs: (flags.grace ?? DEFAULT_GRACE_MS) + 5_000,
      ...(history ? { history } : {}),
    });
    const failures = view.finish(opened);
    report?.flush();
    // Every report that could not be written, on one line (a full disk fails them all); a
    // signal that ended the run keeps its exit status, as for standard output in main().
    const unwritten = unwrittenReports(report, failures);
    if (interruptedBy) {
      if (unwritten) reportError(unwritten, runSink);
      return exitStatusOf(interruptedBy);
    }
    if (unwritten) throw unwritten;
    // Another failure to write is reported by main().
    if (outputClosed.aborted) return closedOutputExitCode(outputClosed);
    return result.ok ? ExitCode.Ok : ExitCode.TaskFailed;
  } finally {
    outputClosed.removeEventListener("abort", stopOnClosedOutput);
    stopListening();
    stopListeningForSuspend?.();
    report?.flush();
    reports?.close();
  }
}

/**
 * The exit code of a run that `outputClosed` stopped: as a program killed by SIGPIPE would
 * (128 + 13), without the noise; a failure to write for another reason (a full disk) is
 * {@linkcode ExitCode.OutputFailed}.
 */
function closedOutputExitCode(outputClosed: AbortSignal): number {
  return outputClosed.reason instanceof OutputError ? ExitCode.OutputFailed : 128 + 13;
}

/** A warning of the load as an event. */
function warningEvent(warning: LoadWarning): WarningEvent {
  return {
    event: "warning",
    ...(warning.task === undefined ? {} : { task: warning.task }),
    message: warning.message,
    time: now(),
  };
}

/**
 * The durations history of a task file, unless `--no-history`; none for standard input or
 * another stream (`fromStream`). A subset keeps the records of the tasks it leaves out of
 * `loaded`, the whole file.
 */
function historyOption(
  taskFile: TaskFile,
  flags: RunFlags,
  loaded: TaskFile = taskFile,
): { history?: HistoryLocation } {
  if (flags.history === false || taskFile.fromStream) return {};
  // Absolute: written when the run ends, by when a task may have changed the directory.
  const location = historyLocation(resolvePath(taskFile.file));
  if (taskFile.tasks.length === loaded.tasks.length) return { history: location };
  const running = new Set(taskFile.tasks.map((task) => task.name));
  const keep = loaded.tasks.map((task) => task.name).filter((name) => !running.has(name));
  return { history: { ...location, keep } };
}

/**
 * The error naming every report file that could not be written: `--report`'s first, then
 * those of `failures` (`--report-html`, `--trace`); `undefined` when all were written.
 */
function unwrittenReports(
  report: ReturnType<typeof ndjsonReport> | undefined,
  failures: readonly ReportWriteFailure[],
): OutputError | undefined {
  const ndjson = report?.failure();
  const all = ndjson === undefined ? failures : [ndjson, ...failures];
  return all.length === 0 ? undefined : reportWriteError(all);
}

/**
 * The `--report` file's writer: the NDJSON report, written into its file as the events come.
 * A write that fails (a full disk) stops its writing, not the run: `failure()` then says what
 * went wrong, for the end of the run.
 */
function ndjsonReport(file: Deno.FsFile, path: string) {
  let failure: ReportWriteFailure | undefined;
  const sink = createSink({
    stdout: file,
    stderr: file,
    onClosed: (error) => failure = { path, error },
  });
  return {
    onEvent: createNdjsonFormatter(sink),
    flush: () => sink.flush(),
    failure: () => failure,
  };
}

/**
 * The line after a usage error: where to read the usage of `command`, or of dagrun as a whole.
 *
 * @example
 * ```ts
 * import { usageHint } from "./cli_commands.ts";
 *
 * usageHint("validate"); // "Try 'dagrun validate --help' for usage.\n"
 * ```
 */
export function usageHint(command?: string): string {
  return `Try 'dagrun ${command === undefined ? "" : `${command} `}--help' for usage.\n`;
}

/** `--dry-run`'s module, imported late (see importLate): in no other run. */
type TerminalCommands = typeof import("./terminal_commands.ts");

/**
 * Reports an error of a command on one line; resolves with the exit code. A usage error is
 * followed by a hint naming the help of `command`, the command in use (`run`, `validate`…),
 * as that help lists its options; the general help without one.
 */
export function reportError(error: unknown, sink: TextSink, command?: string): number {
  // One line, whatever a path or a value in it holds: a file named with a newline or an
  // escape sequence must neither break the line nor drive the terminal.
  if (error instanceof UsageError) {
    sink.err(
      `dagrun: ${printable(error.message)}\n${usageHint(error.generalHelp ? undefined : command)}`,
    );
    return error.exitCode;
  }
  if (error instanceof TaskFileError || error instanceof OutputError) {
    sink.err(`dagrun: ${printable(error.message)}\n`);
    return error.exitCode;
  }
  // Ctrl-C while an input FIFO waited for its writer: as for a report FIFO's reader, with what
  // the command had not done.
  if (error instanceof CommandInterrupted || error instanceof InputReadInterrupted) {
    // The terminal echoed Ctrl-C as `^C` where the cursor was (a read of the terminal itself
    // ends there): the line goes in its place, as a report FIFO's does.
    const read = error instanceof CommandInterrupted ? error.cause as InputReadInterrupted : error;
    if (read.signal === "SIGINT" && stdoutIsTerminal()) sink.out(ERASE_LINE);
    sink.err(`dagrun: ${printable(error.message)}\n`);
    return error.exitCode;
  }
  // Our own bug: still one line, with a pointer to the details.
  sink.err(
    `dagrun: internal error: ${
      printable(error instanceof Error ? error.message : String(error))
    }\n`,
  );
  if (debugRequested()) sink.err(`${(error as Error)?.stack ?? ""}\n`);
  return 70;
}
