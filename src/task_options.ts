/**
 * Task options in a task file — `timeout`, `retries`, `retryDelay`, `env`, `cwd`,
 * `allowFailure`, the top-level `defaults` giving them for every task, and `concurrency` —
 * turned into {@linkcode TaskSpec} fields after the schema has checked their types.
 *
 * Precedence, from strongest: the task's own value; the command line (`--timeout`,
 * `--retries`), which takes the place of the file's `defaults`; the file's `defaults`.
 * `env` objects merge instead, the task's variables over the defaults'.
 *
 * @module
 */

import { resolvePath } from "./paths.ts";
import { workingDirectoryProblem } from "./working_directory.ts";
import { isZeroDuration, parseDuration } from "./duration.ts";
import { quote, type SourcePosition, TaskFileError } from "./errors.ts";
import { printable } from "./format/printable.ts";
import type { TaskSpec } from "./types.ts";
import { utf8Length } from "./utf8_length.ts";
import { fitsOneArgument, MAX_ARGUMENT_BYTES } from "../executors/exec_argv.ts";

/** Whether the kernel limits one string of a process's environment (`MAX_ARG_STRLEN`). */
const LINUX = Deno.build.os === "linux";

/**
 * Defaults from the command line, taking the place of the file's `defaults` for these.
 *
 * @example
 * ```ts
 * import { loadTaskFile, type OptionOverrides } from "@dagrun/dagrun";
 *
 * const overrides: OptionOverrides = { timeoutMs: 90_000, retries: 2 };
 * await loadTaskFile("tasks.json", { overrides });
 * ```
 */
export interface OptionOverrides {
  /** `--timeout`, in milliseconds. */
  readonly timeoutMs?: number;
  /** `--retries`. */
  readonly retries?: number;
}

/** What {@linkcode buildTaskSpecs} needs besides the document. */
export interface OptionContext {
  /** The file, for messages. */
  readonly file: string;
  /** Directory `cwd` values resolve against. */
  readonly baseDir: string;
  /** Where a value of the document is. */
  readonly locate: (path: readonly (string | number)[]) => SourcePosition;
  /** Command-line defaults. */
  readonly overrides?: OptionOverrides | undefined;
}

type Options = Omit<TaskSpec, "name" | "type" | "arguments" | "dependencies">;
type Raw = Record<string, unknown>;

/**
 * Whether a task object sets one of the option fields (`timeout`, `retries`, `retryDelay`,
 * `env`, `cwd`, `allowFailure`). Each field is named, not looked up from a list: a constant key
 * is a fast property check, a variable one a slow generic lookup.
 */
export function hasOptionField(task: Raw): boolean {
  return "timeout" in task || "retries" in task || "retryDelay" in task || "env" in task ||
    "cwd" in task || "allowFailure" in task;
}

/**
 * The tasks of a schema-valid document as {@linkcode TaskSpec}s with their options resolved.
 *
 * @throws {TaskFileError} for a duration out of range, a bad variable name, or a `cwd` that is
 * not an existing directory.
 */
export function buildTaskSpecs(document: Raw, context: OptionContext): TaskSpec[] {
  const directories = new Map<string, string | undefined>();
  const defaults = {
    ...parseOptions(
      (document.defaults ?? {}) as Raw,
      ["defaults"],
      undefined,
      context,
      directories,
    ),
    ...definedOnly(context.overrides ?? {}),
  };
  const hasDefaults = Object.keys(defaults).length > 0;
  return (document.tasks as Raw[]).map((task, index): TaskSpec => {
    const spec: TaskSpec = {
      name: task.name as string,
      type: task.type as string,
      arguments: task.arguments,
      dependencies: (task.dependencies as string[] | undefined) ?? [],
    };
    // The common case, a task of the original schema and no defaults, stays a plain object.
    if (!hasDefaults && !hasOptionField(task)) return spec;
    const own = parseOptions(task, ["tasks", index], spec.name, context, directories);
    const env = defaults.env && own.env ? { ...defaults.env, ...own.env } : undefined;
    return { ...spec, ...defaults, ...own, ...(env ? { env } : {}) };
  });
}

/** The top-level `concurrency`, when the document sets it. */
export function fileConcurrency(document: Raw): number | undefined {
  return typeof document.concurrency === "number" ? document.concurrency : undefined;
}

function parseOptions(
  raw: Raw,
  path: (string | number)[],
  task: string | undefined,
  context: OptionContext,
  directories: Map<string, string | undefined>,
): Options {
  const fail = (field: string, detail: string, ...within: string[]): never => {
    throw new TaskFileError(detail, {
      file: context.file,
      position: context.locate([...path, field, ...within]),
      task: task === undefined ? undefined : task === "" ? `#${(path[1] as number) + 1}` : task,
    });
  };
  const field = (name: string) => task === undefined ? `"defaults.${name}"` : `"${name}"`;
  const duration = (name: string): number | undefined => {
    const value = raw[name] as number | string | undefined;
    if (value === undefined) return undefined;
    try {
      return parseDuration(value);
    } catch (error) {
      return fail(name, `${field(name)} ${(error as Error).message}`);
    }
  };
  const options: { -readonly [K in keyof Options]: Options[K] } = {};
  const timeoutMs = duration("timeout");
  if (timeoutMs !== undefined) {
    // Zero however written ("0", "0s", "0ms") is said as the number 0 is (the schema's
    // "must be > 0"); a duration above zero that rounds to none (0.0001 s) is not whole
    // milliseconds.
    if (timeoutMs === 0) {
      fail(
        "timeout",
        `${field("timeout")} ${
          isZeroDuration(raw.timeout as number | string) ? "must be > 0" : "must be at least 1ms"
        }`,
      );
    }
    options.timeoutMs = timeoutMs;
  }
  if (raw.retries !== undefined) options.retries = raw.retries as number;
  const retryDelayMs = duration("retryDelay");
  if (retryDelayMs !== undefined) options.retryDelayMs = retryDelayMs;
  if (raw.allowFailure !== undefined) options.allowFailure = raw.allowFailure as boolean;
  if (raw.env !== undefined) {
    const env = raw.env as Record<string, string>;
    for (const [name, value] of Object.entries(env)) {
      if (name === "" || /[=\0]/.test(name)) {
        fail("env", `${field("env")} has an invalid variable name ${quote(name)}`);
      }
      if (value.includes("\0")) fail("env", `${field("env")} variable ${quote(name)} holds a NUL`);
      // Linux takes no longer string into a process's environment (MAX_ARG_STRLEN): refused
      // here, with its place, rather than when the task starts, after the tasks before it ran.
      if (LINUX && !fitsOneArgument(`${name}=${value}`)) {
        fail(
          "env",
          `${field("env")} variable ${quote(name)} is too long: name=value is ` +
            `${utf8Length(`${name}=${value}`).toLocaleString("en-US")} bytes, more than Linux ` +
            `takes for one (${MAX_ARGUMENT_BYTES.toLocaleString("en-US")} bytes; 128 KiB with ` +
            `its NUL)`,
          name,
        );
      }
    }
    options.env = env;
  }
  if (raw.cwd !== undefined) {
    // No path holds a NUL: said as the env check says it, not as the stat call's error,
    // which repeated the path with the NUL in it.
    if ((raw.cwd as string).includes("\0")) fail("cwd", `${field("cwd")} holds a NUL`);
    const cwd = resolvePath(context.baseDir, raw.cwd as string);
    if (!directories.has(cwd)) directories.set(cwd, workingDirectoryProblem(cwd));
    const problem = directories.get(cwd);
    // Worded as a task that finds it gone when it starts is: "… working directory /abs does not
    // exist", after the value as written.
    // The path printable here, as the quoted value is: the printing of the whole message
    // would escape the quoted value a second time.
    if (problem) fail("cwd", `${field("cwd")} ${quote(raw.cwd as string)}: ${printable(problem)}`);
    options.cwd = cwd;
  }
  return options;
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
