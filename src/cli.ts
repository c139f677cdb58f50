/**
 * The command-line program: `dagrun [run] FILE`, `dagrun validate FILE`.
 *
 * @module
 */

import { Command, CommanderError, Option } from "./deps.ts";
import { checkTaskFile } from "./check.ts";
import { ExitCode, TaskFileError, UsageError } from "./errors.ts";
import { createHumanFormatter } from "./format/human.ts";
import { createNdjsonFormatter } from "./format/ndjson.ts";
import { historyLocation } from "./history.ts";
import { loadTaskFile, type TaskFile } from "./load.ts";
import { createSink, type TextSink } from "./output.ts";
import { createDefaultRegistry, run } from "./run.ts";
import type { RunEvent } from "./types.ts";
import denoJson from "../deno.json" with { type: "json" };

/** The program's version, from deno.json. */
export const VERSION: string = denoJson.version;

interface RunFlags {
  input?: string;
  schema?: string;
  concurrency?: number;
  format: "human" | "ndjson";
  color: boolean;
  history: boolean;
}

/**
 * Runs the command line and resolves with the exit code; never throws for user errors.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const code = await main(["validate", "examples/input1.json"]);
 * ```
 */
export async function main(
  args: readonly string[],
  sink: TextSink = createSink(),
): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(sink, (code) => exitCode = code);
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (error) {
    exitCode = reportError(error, sink);
  }
  sink.flush();
  return exitCode;
}

function buildProgram(sink: TextSink, setExitCode: (code: number) => void) {
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

  const addRunOptions = <Args extends unknown[]>(command: Command<Args>) =>
    command
      .option("--input <file>", "the task file (as in the original program)")
      .option("--schema <file>", "validate against this JSON Schema instead of dagrun's own")
      .option(
        "-j, --concurrency <n>",
        "run at most N tasks at once (default: unlimited)",
        parsePositiveInteger,
      )
      .addOption(
        new Option("--format <format>", "output format").choices(["human", "ndjson"] as const)
          .default("human" as const),
      )
      .option("--no-color", "never colour the output")
      .option("--no-history", "neither read nor record task durations (.dagrun_history.json)");

  addRunOptions(
    program.command("run", { isDefault: true })
      .description("run the tasks of FILE ('-' for standard input)")
      .argument("[file]", "the task file, JSON or JSONC; '-' reads standard input"),
  ).action(async (file, flags) => {
    setExitCode(await runCommand(file, flags satisfies RunFlags, sink));
  });

  addRunOptions(
    program.command("validate")
      .description("check FILE without running anything")
      .argument("[file]", "the task file; '-' reads standard input"),
  ).action(async (file, flags) => {
    const taskFile = await loadChecked(file, flags satisfies RunFlags);
    sink.out(`${taskFile.file}: ${taskFile.tasks.length} tasks, valid\n`);
  });

  return program;
}

async function loadChecked(file: string | undefined, flags: RunFlags): Promise<TaskFile> {
  if (file !== undefined && flags.input !== undefined && file !== flags.input) {
    throw new UsageError(`Cannot take both FILE '${file}' and --input '${flags.input}'`);
  }
  const path = file ?? flags.input;
  if (path === undefined) throw new UsageError("Missing the task file: dagrun FILE");
  const schema = flags.schema === undefined ? undefined : await readSchema(flags.schema);
  const taskFile = await loadTaskFile(path, schema ? { schema } : {});
  checkTaskFile(taskFile, createDefaultRegistry());
  return taskFile;
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

async function runCommand(file: string | undefined, flags: RunFlags, sink: TextSink) {
  const taskFile = await loadChecked(file, flags);
  const controller = new AbortController();
  let interruptedBy: Deno.Signal | undefined;
  const onSignal = (signal: Deno.Signal) => () => {
    if (interruptedBy) Deno.exit(128 + SIGNAL_NUMBERS[signal]); // a second signal: stop now
    interruptedBy = signal;
    controller.abort("interrupted");
  };
  const listeners = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) => {
    const listener = onSignal(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  const color = flags.color && Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
  const onEvent: (event: RunEvent) => void = flags.format === "ndjson"
    ? createNdjsonFormatter(sink)
    : createHumanFormatter(sink, { color });
  try {
    const report = await run(taskFile, {
      onEvent,
      signal: controller.signal,
      ...(flags.concurrency === undefined ? {} : { concurrency: flags.concurrency }),
      ...(flags.history && file !== "-" && taskFile.file !== "<stdin>"
        ? { history: historyLocation(taskFile.file) }
        : {}),
    });
    if (interruptedBy) return 128 + SIGNAL_NUMBERS[interruptedBy];
    return report.ok ? ExitCode.Ok : ExitCode.TaskFailed;
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<Deno.Signal, number>;

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
