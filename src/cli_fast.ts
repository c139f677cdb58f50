/**
 * A parser for the common command line, `dagrun FILE [NAME...]` with `run`'s options, over the
 * same option table as commander's program (`cli_options.ts`). Loading commander costs about
 * 30 ms, twice what the rest of a small run takes to start; this parser gives exactly the
 * options commander would, or declines (returns `undefined`) and leaves the arguments to
 * commander: help, version, subcommands, anything unusual and every error.
 *
 * @module
 */

import { type OptionSpec, RUN_OPTIONS } from "./cli_options.ts";
import type { RunCommandFlags } from "./cli_commands.ts";

/** A `run` command line the fast parser took. */
export interface FastRun {
  /** The task file, if given. */
  readonly file: string | undefined;
  /** Task names after the file. */
  readonly names: string[];
  /** The options, as commander's `opts()` would have them. */
  readonly flags: RunCommandFlags;
}

/** An option of the table, as the parser needs it. */
interface FastOption {
  readonly spec: OptionSpec;
  /** The key in the options object. */
  readonly key: string;
  /** Whether it takes a value. */
  readonly takesValue: boolean;
  /** The value a flag without a value sets: `false` for `--no-x`, else `true`. */
  readonly flagValue: boolean;
}

const byName = new Map<string, FastOption>();
const defaults: Record<string, unknown> = {};
for (const spec of RUN_OPTIONS) {
  const match = /^(?:-(\w), )?--([\w-]+)( <\w+>)?$/.exec(spec.flags);
  if (!match) throw new Error(`cannot read the flags ${spec.flags}`);
  const [, short, long, value] = match;
  const negated = long!.startsWith("no-");
  const key = camelCase(negated ? long!.slice(3) : long!);
  const option = { spec, key, takesValue: value !== undefined, flagValue: !negated };
  byName.set(`--${long}`, option);
  if (short) byName.set(`-${short}`, option);
  if (negated) defaults[key] = true;
  if (spec.default !== undefined) defaults[key] = spec.default;
}

/** Words commander reads as a command when they come first. */
export const COMMANDS: ReadonlySet<string> = new Set([
  "run",
  "graph",
  "schema",
  "validate",
  "help",
]);

/**
 * Parses a `run` command line, or returns `undefined` for anything it does not fully handle,
 * to be given to commander unchanged.
 *
 * @example
 * ```ts
 * import { parseRunFast } from "./cli_fast.ts";
 *
 * parseRunFast(["tasks.json", "-j", "4"])?.flags.concurrency; // 4
 * parseRunFast(["--help"]); // undefined: commander's job
 * ```
 */
export function parseRunFast(args: readonly string[]): FastRun | undefined {
  const flags: Record<string, unknown> = { ...defaults };
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length < 2 || !arg.startsWith("-")) {
      if (operands.length === 0 && COMMANDS.has(arg)) return undefined;
      operands.push(arg);
      continue;
    }
    // `--name=value`, `--name value`, `-j4`, `-j 4`, `-q`; nothing else (`--`, `-qj4`, ...).
    const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = equals !== -1
      ? arg.slice(0, equals)
      : arg.startsWith("--")
      ? arg
      : arg.slice(0, 2);
    const option = byName.get(name);
    if (!option) return undefined;
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else if (name !== arg) value = arg.slice(2); // a short option's attached value
    if (!option.takesValue) {
      if (value !== undefined) return undefined;
      flags[option.key] = option.flagValue;
      continue;
    }
    value ??= args[++i];
    // A missing value, or one that looks like an option: commander's business. A lone `-` is
    // standard input (`--resume -`), which commander takes as the value as this does.
    if (value === undefined || value === "" || (value.startsWith("-") && value !== "-")) {
      return undefined;
    }
    const parsed = parseValue(option, value, flags[option.key]);
    if (parsed === DECLINE) return undefined;
    flags[option.key] = parsed;
  }
  if (operands.length === 0) return undefined;
  const [file, ...names] = operands;
  return { file, names, flags: flags as unknown as RunCommandFlags };
}

const DECLINE = Symbol("decline");

/** The option's value, or {@linkcode DECLINE} for one commander must report. */
function parseValue(option: FastOption, value: string, previous: unknown): unknown {
  const { choices, parse } = option.spec;
  if (choices && !choices.includes(value)) return DECLINE;
  if (!parse) return value;
  try {
    return parse(value, previous as never);
  } catch {
    return DECLINE;
  }
}

function camelCase(name: string): string {
  return name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
}
