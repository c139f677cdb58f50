/**
 * The whole command line through commander: help, version, every subcommand, every error
 * message. Loaded only when the fast parser (`cli_fast.ts`) declines the arguments, as commander
 * costs about 30 ms to load.
 *
 * @module
 */

import {
  Command,
  CommanderError,
  type CommandUnknownOpts,
  Option,
  type OptionValues,
} from "./deps/commander.ts";
import { ExitCode, UsageError } from "./errors.ts";
import type { TextSink } from "./output.ts";
import { printable } from "./format/printable.ts";
import { printGraph, printSchema } from "./terminal_commands.ts";
import {
  choiceParser,
  GRAPH_OPTIONS,
  INPUT_OPTIONS,
  type OptionSpec,
  RUN_OPTIONS,
} from "./cli_options.ts";
import {
  type InputFlags,
  loadChecked,
  notDoneOnInterrupt,
  reportError,
  runCommand,
  type RunCommandFlags,
  usageHint,
} from "./cli_commands.ts";

/**
 * Parses `args` with commander and runs the command; resolves with the exit code.
 *
 * @example
 * ```ts
 * import { createSink } from "./output.ts";
 * import { runProgram } from "./cli_program.ts";
 *
 * await runProgram(["--help"], { version: "0.1.0", sink: createSink(), outputClosed: new AbortController().signal });
 * ```
 */
export async function runProgram(
  args: readonly string[],
  context: ProgramContext,
): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(context, (code) => exitCode = code);
  // Commander answers `help NAME` for an unknown NAME with the general help and success. A
  // line asking for help anywhere (`help --help`, `help run -h`) gets it, as everywhere else.
  const [first, second] = args;
  const helpCommand = first === "help" &&
    !args.some((arg) => arg === "--help" || arg === "-h");
  if (
    helpCommand && second !== undefined && second !== "help" &&
    !program.commands.some((command) => command.name() === second)
  ) {
    return reportError(new UsageError(`Unknown command '${second}'`), context.sink);
  }
  // Commander's help command ignores what follows its command (`help schema x`): refused as the
  // command itself refuses an operand too many, by the help command's name.
  const extra = args[2];
  if (helpCommand && extra !== undefined) {
    return reportError(
      new UsageError(`Unexpected argument '${extra}': 'dagrun help' takes one command`),
      context.sink,
    );
  }
  // The command the arguments went to, `run` also when not named, for the hint after a usage
  // error: its help lists its options. No arguments at all: the general help, which lists the
  // commands, is the one to read.
  let command: CommandUnknownOpts | undefined;
  if (args.length > 0) {
    program.hook("preSubcommand", (_program, subcommand) => {
      command = subcommand;
    });
  }
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (error) {
    // Commander's errors that dagrun words as its own usage errors, as such.
    const given = command ?? program;
    const reworded = error instanceof CommanderError
      ? valueGivenToFlag(error, args, given) ?? unknownWithValue(error, given) ??
        excessArguments(error, given) ?? error
      : shortOptionWithEquals(error, args, given) ?? error;
    exitCode = reworded instanceof CommanderError
      ? reportCommanderError(reworded, context.sink, command?.name())
      : reportError(reworded, context.sink, command?.name());
  }
  return exitCode;
}

/** The options of `graph`. */
interface GraphFlags extends InputFlags {
  format: "dot" | "mermaid";
  fromReport?: string;
}

/** What the program needs from its caller. */
export interface ProgramContext {
  /** What `--version` prints. */
  readonly version: string;
  /** Where output goes. */
  readonly sink: TextSink;
  /** Aborted when standard output has gone away. */
  readonly outputClosed: AbortSignal;
  /** Runs `run` with its parsed arguments; {@linkcode runCommand} by default (tests replace it). */
  readonly run?: typeof runCommand;
}

/** Commander's program, whose commands call back with their exit code. */
export function buildProgram(
  { version, sink, outputClosed, run = runCommand }: ProgramContext,
  setExitCode: (code: number) => void,
): Command {
  const program = new Command("dagrun")
    .description(
      "Run a JSON or JSONC file of tasks with maximal concurrency, respecting dependencies.",
    )
    .version(version, "-V, --version")
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      "\n'dagrun FILE' is short for 'dagrun run FILE'; see 'dagrun run --help' for its\noptions.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => sink.out(text),
      writeErr: (text) => sink.err(text),
      outputError: () => {}, // reported once, by reportError
    });

  addOptions<RunCommandFlags, [string | undefined, string[]]>(
    program.command("run", { isDefault: true })
      .description(
        "run the tasks of FILE ('-' for standard input), or only NAMEs and their dependencies",
      )
      .argument("[file]", "the task file, JSON or JSONC; '-' reads standard input")
      .argument("[names...]", "run only these tasks and what they depend on"),
    RUN_OPTIONS,
  ).action(async (file, names, flags, command) => {
    // Named (`dagrun run run`), every operand is the file or a task: none is a command out
    // of place. A command is one only first (after `--` too), so the program's first operand.
    const named = command.parent?.args[0] === "run" ? "run" : undefined;
    setExitCode(await run(file, names, flags, sink, outputClosed, named));
  });

  addOptions<GraphFlags, [string | undefined]>(
    program.command("graph")
      .description("print the task graph of FILE as Graphviz DOT or Mermaid")
      .argument("[file]", "the task file; '-' reads standard input"),
    GRAPH_OPTIONS,
  ).action((file, flags) =>
    notDoneOnInterrupt("graph", async () => {
      const { taskFile } = await loadChecked(file, flags, {}, "graph");
      await printGraph(taskFile, {
        format: flags.format,
        ...(flags.fromReport === undefined ? {} : { fromReport: flags.fromReport }),
      }, sink);
    })
  );

  program.command("schema")
    .description("print the task-file JSON Schema, for editors")
    .action(() => printSchema(sink));

  addOptions<InputFlags, [string | undefined]>(
    program.command("validate")
      .description("check FILE without running anything")
      .argument("[file]", "the task file; '-' reads standard input"),
    INPUT_OPTIONS,
  ).action((file, flags) =>
    notDoneOnInterrupt("validate", async () => {
      const { taskFile } = await loadChecked(file, flags, {}, "validate");
      const count = taskFile.tasks.length;
      sink.out(`${taskFile.file}: ${count} ${count === 1 ? "task" : "tasks"}, valid\n`);
    })
  );

  return program as unknown as Command;
}

/**
 * Adds the options of a table to a command, each under its heading; `Flags` says what the
 * table makes of them, which commander's types cannot infer from data.
 */
function addOptions<Flags, Args extends unknown[]>(
  command: Command<Args>,
  options: readonly OptionSpec[],
): Command<Args, Flags & OptionValues> {
  for (const spec of options) {
    const option = new Option(spec.flags, spec.description);
    if (spec.choices) {
      // The choices for the help; the check, in the words of every other option's.
      option.choices(spec.choices);
      option.argParser(choiceParser(optionName(spec.flags), spec.choices));
    }
    if (spec.default !== undefined) option.default(spec.default);
    if (spec.parse) option.argParser(spec.parse as (value: string, previous: unknown) => unknown);
    command.optionsGroup(spec.group).addOption(option);
  }
  return command as unknown as Command<Args, Flags & OptionValues>;
}

/** An option's name in messages, as the table's parsers name theirs: `--eval-isolation <mode>` → `eval-isolation`. */
function optionName(flags: string): string {
  return /--([\w-]+)/.exec(flags)![1]!;
}

/**
 * The refusal of a value given to an option that takes none, which commander reports as an
 * unknown option: `--no-history=x` whole, and `-q=1` as what is left of it after `-q`
 * (`-=1`, each letter after a short flag read as another flag). `undefined` for any other
 * error.
 */
function valueGivenToFlag(
  error: CommanderError,
  args: readonly string[],
  command: CommandUnknownOpts,
): UsageError | undefined {
  if (error.code !== "commander.unknownOption") return undefined;
  const unknown = /^error: unknown option '(.*)'/s.exec(error.message)?.[1];
  if (unknown === undefined) return undefined;
  let name: string, value: string;
  const long = /^(--[^=]+)=(.*)$/s.exec(unknown);
  if (long) {
    name = long[1]!;
    value = long[2]!;
  } else if (unknown.startsWith("-=")) {
    const rest = unknown.slice(1);
    const group = args.find((arg) =>
      /^-[^-]/.test(arg) && arg.length > unknown.length && arg.endsWith(rest)
    );
    if (group === undefined) return undefined;
    name = `-${group[group.length - unknown.length]}`;
    value = rest.slice(1);
  } else {
    return undefined;
  }
  // As getopt_long refuses it: commander would call the option unknown, then suggest the very
  // option given. The fast parser declines such a line, so this is the one wording.
  return takesNoValue(name, command)
    ? new UsageError(`Option '${name}' takes no value, received '${value}'`)
    : undefined;
}

/**
 * An unknown option given a value (`--formt=dot`) with commander's suggestion for its name
 * alone: commander compares the whole `--formt=dot` with the option names, too far from any to
 * suggest one. The option is named as given, value and all, and the suggestion is the name
 * alone (`unknown option '--formt=dot' (did you mean --format?)`), as cargo's (clap's) tip
 * names `--release` for `--relase=x`. `undefined` for any other error.
 */
function unknownWithValue(
  error: CommanderError,
  command: CommandUnknownOpts,
): CommanderError | undefined {
  if (error.code !== "commander.unknownOption") return undefined;
  // Commander's suggestion for the whole, if any, is dropped: it compares the value too, so
  // that its suggestion for `--retry=1` would be `--retries` alone, where the name `--retry`
  // is as near to `--report`; the suggestion made below is the name's.
  const given = /^error: unknown option '((--[^=]+)=.*?)'(?:\n\(Did you mean [^\n]*\))?$/s
    .exec(error.message);
  if (!given) return undefined;
  const [, whole, name] = given as unknown as [string, string, string];
  // Commander's own suggestion, from its `unknownOption` (untyped, as commander marks it
  // internal; the version is pinned), which throws, as `exitOverride` has it, with the message.
  let suggestion = "";
  try {
    (command as unknown as { unknownOption(flag: string): void }).unknownOption(name);
  } catch (named) {
    if (!(named instanceof CommanderError) || named.code !== error.code) throw named;
    suggestion = named.message.slice(`error: unknown option '${name}'`.length);
  }
  return new CommanderError(
    error.exitCode,
    error.code,
    `error: unknown option '${whole}'${suggestion}`,
  );
}

/**
 * An operand more than the command takes, worded as dagrun's usage errors are, naming the
 * first one too many (commander's `too many arguments for 'validate'. Expected 1 argument but
 * got 2: a.json, b.` lists them all, joined by commas that a path may hold too): a second task
 * file as a second `--input` is, `Cannot take more than one task file: 'a.json', then 'b'`.
 */
function excessArguments(
  error: CommanderError,
  command: CommandUnknownOpts,
): UsageError | undefined {
  if (error.code !== "commander.excessArguments") return undefined;
  const taken = command.registeredArguments.length;
  const [first] = command.args;
  const extra = command.args[taken];
  if (extra === undefined) return undefined;
  return new UsageError(
    taken === 0
      ? `Unexpected argument '${extra}': 'dagrun ${command.name()}' takes no arguments`
      : `Cannot take more than one task file: '${first}', then '${extra}'`,
  );
}

/**
 * The refusal of a short option's value written after `=` (`-j=2`), with how to write it: as
 * getopt's, a short option's value is what follows the letter, `=2` here, and "received '=2'"
 * alone would not say why. `undefined` for any other error. The fast parser declines a value
 * it cannot parse, so this is the one wording.
 */
function shortOptionWithEquals(
  error: unknown,
  args: readonly string[],
  command: CommandUnknownOpts,
): UsageError | undefined {
  if (!(error instanceof UsageError)) return undefined;
  for (const arg of args) {
    if (arg === "--") break;
    const given = /^(-[^-])=(.+)$/s.exec(arg);
    if (!given) continue;
    const [, name, value] = given as unknown as [string, string, string];
    if (!error.message.endsWith(`, received '=${value}'`) || takesNoValue(name, command)) continue;
    // Only when the value itself is one the option takes: `-j=x` has the value to mend first.
    if (!valueTaken(name, value, command)) continue;
    return new UsageError(`${error.message} (write ${name} ${value} or ${name}${value})`);
  }
  return undefined;
}

/** Whether the option `name` (`-j`) of `command` or of the program takes `value`. */
function valueTaken(name: string, value: string, command: CommandUnknownOpts): boolean {
  const option = findOption(name, command);
  if (!option) return false;
  try {
    option.parseArg?.(value, undefined as never);
    return true;
  } catch {
    return false;
  }
}

/** Whether `name` (`--quiet`, `-q`) is a flag of `command` or of the program, taking no value. */
function takesNoValue(name: string, command: CommandUnknownOpts): boolean {
  // Commander's help option is not among a command's options.
  if (name === "--help" || name === "-h") return true;
  const option = findOption(name, command);
  return option !== undefined && !option.required && !option.optional;
}

/** The option `name` (`--quiet`, `-q`) of `command`, else of the nearest command above it. */
function findOption(name: string, command: CommandUnknownOpts): Option | undefined {
  for (let at: CommandUnknownOpts | null = command; at; at = at.parent) {
    const option = at.options.find((option) => option.long === name || option.short === name);
    if (option) return option;
  }
  return undefined;
}

function reportCommanderError(
  error: CommanderError,
  sink: TextSink,
  command: string | undefined,
): number {
  if (
    error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
    error.code === "commander.help"
  ) {
    return ExitCode.Ok;
  }
  sink.err(`dagrun: ${commanderMessage(error)}\n${usageHint(command)}`);
  return ExitCode.InvalidInput;
}

/**
 * A commander error on one line, worded as dagrun's own: capitalized, its suggestion, which
 * commander puts on a line of its own (`(Did you mean --no-color?)`), joins the error's, and a
 * missing value is said as `Missing value for option '--grace <duration>'`. What the user typed
 * (an unknown option or command, quoted raw by commander) is escaped as in every usage error
 * (`printable`): a newline in it is shown, not a break of the line, and an escape sequence
 * does not reach the terminal.
 */
function commanderMessage(error: CommanderError): string {
  const message = error.message.replace(/^error: /, "");
  const missing = /^option '(.+)' argument missing$/.exec(message);
  if (missing) return printable(`Missing value for option '${missing[1]}'`);
  // Capitalized as dagrun's own usage errors are (`Invalid …`, `Cannot take …`), so that no
  // usage error reads otherwise whichever parser or check found it: `Unknown option '-j'`.
  // Commander's only line breaks are before its suggestions; any other is the user's.
  const line = printable(message.replace(/\n\(Did you mean /g, " (did you mean "));
  return line.charAt(0).toUpperCase() + line.slice(1);
}
