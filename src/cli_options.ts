/**
 * The command line's options as plain data: commander's program (`cli_program.ts`) is built
 * from this table, and so is the fast parser of the common case (`cli_fast.ts`), so the two
 * cannot drift apart. No `npm:` import here: this module loads on every run.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { isZeroDuration, parseDuration } from "./duration.ts";
import {
  type EvalPermissions,
  parseGrantedEvalPermissions,
} from "../executors/eval_permissions.ts";

/** One option: its commander flags (`-j, --concurrency <n>`) and how its value is taken. */
export interface OptionSpec {
  /** Commander's flags: an optional short flag, a long one, and `<value>` if it takes one. */
  readonly flags: string;
  /** The help text. */
  readonly description: string;
  /** The heading it is listed under in the help. */
  readonly group: string;
  /** Turns the text into the value; given the previous value for a repeated option. */
  readonly parse?: (value: string, previous: never) => unknown;
  /** The only values allowed. */
  readonly choices?: readonly string[];
  /** The value when the option is not given. */
  readonly default?: unknown;
}

/** Options of every command that reads a task file. */
export const INPUT_OPTIONS: readonly OptionSpec[] = [
  {
    group: "Input:",
    flags: "--input <file>",
    parse: once("--input"),
    description: "the task file (as in the original program)",
  },
  {
    group: "Input:",
    flags: "--schema <file>",
    parse: once("--schema"),
    description: "validate against this JSON Schema instead of dagrun's own",
  },
  {
    group: "Input:",
    flags: "--executor <module>",
    description: "load executor plugins from MODULE, a path or URL (repeatable)",
    parse: collect,
  },
];

/** Options of `run`, the default command, in the order of its help. */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  ...INPUT_OPTIONS,
  {
    group: "Running:",
    flags: "-j, --concurrency <n>",
    description: "run at most N tasks at once (default: the file's concurrency, else unlimited)",
    parse: (value: string) => parseCount("concurrency", value, 1),
  },
  {
    group: "Running:",
    flags: "--timeout <duration>",
    description: "time limit per task attempt, such as 90s or 1m30s, in place of the file's " +
      "defaults (a task's own timeout wins)",
    parse: parseTimeout,
  },
  {
    group: "Running:",
    flags: "--retries <n>",
    description:
      "retry failed tasks N times, in place of the file's defaults (a task's own retries win)",
    parse: (value: string) => parseCount("retries", value, 0),
  },
  {
    group: "Running:",
    flags: "--no-history",
    description: "neither read nor record task durations (.dagrun_history.json)",
  },
  {
    group: "Output:",
    flags: "--format <format>",
    description: "output format",
    choices: ["human", "ndjson"],
    default: "human",
  },
  { group: "Output:", flags: "--no-color", description: "never colour the output" },
  {
    group: "Input:",
    flags: "--only <names>",
    description: "run only these tasks (comma list, repeatable) and what they depend on",
    parse: collect,
  },
  {
    group: "Running:",
    flags: "--fail-fast",
    description: "at the first failure, stop the running tasks and skip the rest",
  },
  {
    group: "Running:",
    flags: "--grace <duration>",
    description: "how long stopped tasks get between SIGTERM and SIGKILL: seconds or 500ms, " +
      "2s, 1m (default: 5s)",
    parse: (value: string) => parseDurationOption("grace", value),
  },
  {
    group: "Running:",
    flags: "--resume <report>",
    parse: once("--resume"),
    description: "take tasks that were ok in an NDJSON report as done",
  },
  {
    group: "Running:",
    flags: "--dry-run",
    description: "print the order tasks would start in and the critical path; run nothing",
  },
  {
    group: "Running:",
    flags: "--from-report <file>",
    parse: once("--from-report"),
    description: "with --dry-run: task durations from a previous NDJSON report",
  },
  {
    group: "eval tasks:",
    flags: "--eval-isolation <mode>",
    description: "eval tasks share warm workers, or get a fresh one",
    choices: ["pooled", "fresh"],
    default: "pooled",
  },
  {
    group: "eval tasks:",
    flags: "--eval-permissions <set>",
    description:
      "permissions of eval tasks: inherit, none, or a list such as read,env or net=example.com",
    parse: parsePermissions,
    default: "inherit" as EvalPermissions,
  },
  {
    group: "Output:",
    flags: "--output <mode>",
    description: "how task output is laid out (default: prefixed)",
    choices: ["prefixed", "grouped", "interleaved"],
  },
  {
    group: "Output:",
    flags: "--output-errors-only",
    description: "print only failed tasks' output (implies --output grouped)",
  },
  {
    group: "Output:",
    flags: "-q, --quiet",
    description: "print only the final report: no task output, no progress lines",
  },
  {
    group: "Output:",
    flags: "--report <file>",
    parse: once("--report"),
    description: "also write the NDJSON event stream to FILE",
  },
  {
    group: "Output:",
    flags: "--report-html <file>",
    parse: once("--report-html"),
    description: "write a self-contained HTML timeline of the run",
  },
  {
    group: "Output:",
    flags: "--trace <file>",
    parse: once("--trace"),
    description: "write a Chrome trace-event JSON of the run (Perfetto, chrome://tracing)",
  },
];

/** Options of `graph`, in the order of its help. */
export const GRAPH_OPTIONS: readonly OptionSpec[] = [
  ...INPUT_OPTIONS,
  {
    group: "Output:",
    flags: "--format <format>",
    description: "graph format",
    choices: ["dot", "mermaid"],
    default: "dot",
  },
  {
    group: "Output:",
    flags: "--from-report <file>",
    parse: once("--from-report"),
    description: "colour tasks by status from a previous NDJSON report",
  },
];

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
    // parseDuration's words complete a sentence about a field of the file (`must be …, not
    // "x"`); an option's value is shown as every option's is (`expected …, received 'x'`).
    const expected = (error as Error).message.replace(/^must be/, "expected")
      .replace(/, not .*$/s, "");
    throw new UsageError(`Invalid ${option}: ${expected}, received '${value}'`);
  }
}

/**
 * The parser of an option taking one of `choices`: commander's own refusal
 * (`option '--output <mode>' argument 'x' is invalid. Allowed choices are …`) is worded
 * unlike every other option's.
 *
 * @throws {UsageError} `Invalid output: expected prefixed, grouped or interleaved, received 'x'`.
 */
export function choiceParser(
  option: string,
  choices: readonly string[],
): (value: string) => string {
  return (value) => {
    if (choices.includes(value)) return value;
    const listed = choices.length < 2
      ? choices.join("")
      : `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
    throw new UsageError(`Invalid ${option}: expected ${listed}, received '${value}'`);
  };
}

function parseTimeout(value: string): number {
  const ms = parseDurationOption("timeout", value);
  if (ms === 0) {
    // Zero as the task file's "timeout" says it; above zero, durations are whole
    // milliseconds: 0.0001 rounds to none.
    const expected = isZeroDuration(value) ? "a duration > 0" : "at least 1ms";
    throw new UsageError(`Invalid timeout: expected ${expected}, received '${value}'`);
  }
  return ms;
}

/**
 * `--eval-permissions`: checked whole before anything runs, as Deno checks the permissions
 * only when the first eval worker is made, and ends a run that already started then.
 */
function parsePermissions(value: string): EvalPermissions {
  try {
    return parseGrantedEvalPermissions(value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses a whole number of at least `least` (0 or 1), naming the option otherwise. */
function parseCount(option: string, value: string, least: 0 | 1): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < least) {
    const expected = least === 0 ? "a non-negative integer" : "a positive integer";
    throw new UsageError(`Invalid ${option}: expected ${expected}, received '${value}'`);
  }
  return number;
}

/**
 * The parser of an option naming one file: given twice with two paths (`--input a.json
 * --input b.json`), the first would be dropped without a word, a file not read or a report
 * not written; the same path twice is one.
 */
function once(option: string): (value: string, previous: string | undefined) => string {
  return (value, previous) => {
    if (previous !== undefined && previous !== value) {
      throw new UsageError(`Cannot take ${option} twice: '${previous}', then '${value}'`);
    }
    return value;
  };
}

/** An option taken more than once: every value, in order. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...previous ?? [], value];
}
