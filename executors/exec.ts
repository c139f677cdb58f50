/**
 * The `exec` executor: runs a task's arguments as a shell command through `sh -c`, or
 * directly when the command has no shell syntax at all (as make does).
 *
 * Each child gets its own process group (`detached`), so stopping a task stops everything
 * it started; stdin is null; stdout and stderr are passed on line by line while it runs.
 *
 * @module
 */

import { superviseChild, type SupervisedChild } from "../src/child.ts";
import { resolvePath } from "../src/paths.ts";
import { environmentVariable, isGranted } from "../src/permissions.ts";
import { spawnErrorReason } from "../src/errors.ts";
import {
  lookAtWorkingDirectory,
  spawnWorkingDirectoryProblem,
  workingDirectoryProblem,
} from "../src/working_directory.ts";
import { utf8Length } from "../src/utf8_length.ts";
import { addProcessGroup } from "../src/process_groups.ts";
import { checkedWaitMs } from "../src/suspension.ts";
import { fitsOneArgument, MAX_ARGUMENT_BYTES, plainWords, shellArguments } from "./exec_argv.ts";
import { NO_NUL_PATTERN } from "../src/schema_patterns.ts";
import { createPosixSpawner, type PosixSpawner } from "./posix_spawn.ts";
import type { Executor, ExecutorContext, TaskResult, TaskSpec } from "../src/types.ts";

/**
 * The shell that runs a command with shell syntax when none is given: POSIX's and make's, by
 * its path, so that its messages read `/bin/sh: 1: foo: not found` as make's do (looked up in
 * PATH, `sh` would be `/usr/bin/sh` where `/usr/bin` comes first).
 */
const DEFAULT_SHELL = "/bin/sh";

/** How long a cancelled task gets between SIGTERM and SIGKILL, in milliseconds. */
export const DEFAULT_GRACE_MS = 5_000;

/**
 * Options of {@linkcode createExecExecutor}.
 *
 * @example
 * ```ts
 * import { createExecExecutor, type ExecExecutorOptions } from "@dagrun/dagrun";
 *
 * const options: ExecExecutorOptions = { graceMs: 1000, shell: "bash" };
 * const exec = createExecExecutor(options);
 * ```
 */
export interface ExecExecutorOptions {
  /**
   * Milliseconds between SIGTERM and SIGKILL when a task is stopped: 0 or more, `Infinity`
   * for no SIGKILL (the run's `stopGraceMs` still gives the task up).
   *
   * @throws {RangeError} from {@linkcode createExecExecutor} for a negative number or NaN.
   */
  readonly graceMs?: number;
  /**
   * The shell: `/bin/sh` by default, as POSIX and make have it, so that its messages and `$0`
   * read `/bin/sh` whatever PATH says. A name without a `/` (`"bash"`) is looked up in PATH,
   * and `$0` is then the path it was found at.
   */
  readonly shell?: string;
  /**
   * Spawn commands without shell syntax through glibc's `posix_spawnp` over FFI when
   * allowed (Linux, `--allow-ffi`): much cheaper than `Deno.Command`'s `detached` spawn.
   * On by default; `Deno.Command` is used wherever it is not available.
   */
  readonly posixSpawn?: boolean;
  /**
   * On that path, a child that is the only task of its run running is waited for on the
   * main thread, so that a chain of short tasks goes without a thread hop per task; this is
   * how long, in milliseconds, the main thread may be held so before the event loop gets a
   * turn, and so how long timers and signals (Ctrl-C) may wait. 10 by default; 0 never holds
   * it, for programs that do other work in the same process.
   */
  readonly quickWaitMs?: number;
}

/**
 * Creates the `exec` executor.
 *
 * @example
 * ```ts
 * import { createExecExecutor } from "@dagrun/dagrun";
 *
 * const exec = createExecExecutor({ graceMs: 1000 });
 * ```
 */
export function createExecExecutor(options: ExecExecutorOptions = {}): Executor {
  const graceMs = checkedWaitMs("graceMs", options.graceMs, DEFAULT_GRACE_MS);
  const shell = options.shell ?? DEFAULT_SHELL;
  const fast = new FastSpawn(options.posixSpawn ?? true, options.quickWaitMs);
  return {
    type: "exec",
    // A command holding a NUL cannot be passed to a process: refused before the run.
    argumentsSchema: { type: "string", pattern: NO_NUL_PATTERN },
    run: (task, context) => runCommand(task, context, shell, graceMs, fast),
  };
}

async function runCommand(
  task: TaskSpec,
  context: ExecutorContext,
  shell: string,
  graceMs: number,
  fast: FastSpawn,
): Promise<TaskResult> {
  if (context.signal.aborted) return { ok: false, error: "interrupted" };
  // A task with a directory of its own gets a PWD that says so, as a shell would set it.
  const setPwd = task.cwd !== undefined;
  const spawned = await spawnCommand(task.arguments as string, context, shell, fast, setPwd);
  if ("error" in spawned) return spawned.error;
  return await superviseChild(spawned.child, context, graceMs);
}

/**
 * Starts a command in its own process group with piped output: directly when it is only
 * plain words (like make, saving a shell per task), through `sh -c` otherwise.
 */
async function spawnCommand(
  command: string,
  context: ExecutorContext,
  shell: string,
  fast: FastSpawn,
  setPwd: boolean,
): Promise<{ child: SupervisedChild } | { error: TaskResult }> {
  const words = plainWords(command);
  if (words) {
    const direct = await spawnDirect(words, context, fast, setPwd);
    if (direct) return direct;
    // Anything else (a script without `#!`, no permission): the shell knows what to do
    // and how to word it.
  }
  // A script cut into pieces gets its $0 as an argument: the path the shell would be run
  // from otherwise, for Deno.Command makes that its argv[0].
  const program = fitsOneArgument(command) ? shell : shellPath(shell, context);
  const args = shellArguments(program, command);
  try {
    return { child: spawn(program, args, context, setPwd) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/\(os error 7\)/.test(message)) {
      // A script is cut into pieces that fit: it can be too long only as a whole.
      const advice = ": save the script in a file and run that";
      return cannotStart(shell, tooLong(args, context, spawnErrorReason(message), advice));
    }
    // Checked when the run started, the directory may have gone since (an earlier task's
    // `rm -rf`): the task's, not the shell's, which Deno names.
    const directory = workingDirectoryProblem(context.cwd) ??
      spawnWorkingDirectoryProblem(message, context.cwd);
    if (directory !== undefined) {
      return { error: { ok: false, error: `cannot start: ${directory}` } };
    }
    return { error: { ok: false, error: `cannot start ${shell}: ${spawnErrorReason(message)}` } };
  }
}

/**
 * Why the kernel refused (E2BIG) to start a program with these arguments, `message` being
 * what the spawn said: one string longer than it takes (an argument or an environment
 * variable: a script is cut to fit, see `shellArguments`), or all of them together, which
 * `advice` follows.
 */
function tooLong(
  args: readonly string[],
  context: ExecutorContext,
  message: string,
  advice = "",
): string {
  const environment = environmentOf(context);
  for (const [name, value] of Object.entries(environment)) {
    const bytes = utf8Length(`${name}=${value}`);
    if (bytes > MAX_ARGUMENT_BYTES) {
      return `the environment variable ${name} is ${size(bytes)}, more than the kernel ` +
        `takes for one (128 KiB; ${message})`;
    }
  }
  const long = args.find((arg) => !fitsOneArgument(arg));
  if (long !== undefined) {
    return `an argument is ${size(utf8Length(long))}, more than the kernel takes for one ` +
      `(128 KiB; ${message})`;
  }
  const argumentBytes = args.reduce((sum, arg) => sum + utf8Length(arg) + 1, 0);
  const environmentBytes = Object.entries(environment)
    .reduce((sum, [name, value]) => sum + utf8Length(name) + utf8Length(value) + 2, 0);
  return `the arguments (${size(argumentBytes)}) and the environment ` +
    `(${size(environmentBytes)}) are more than the kernel takes together (about 2 MiB, a ` +
    `quarter of ulimit -s; ${message})${advice}`;
}

/** The environment a task's process gets: dagrun's, with the task's own variables over it. */
function environmentOf(context: ExecutorContext): Record<string, string> {
  // Not allowed to read it (queried: asking would prompt): only the task's own are known.
  const own = isGranted({ name: "env" }) ? Deno.env.toObject() : {};
  return { ...own, ...context.env };
}

/** A size in bytes, as KiB or MiB. */
function size(bytes: number): string {
  return bytes < 1024 * 1024
    ? `${Math.ceil(bytes / 1024)} KiB`
    : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Execs plain words without a shell; `undefined` when the shell should try instead. */
async function spawnDirect(
  words: string[],
  context: ExecutorContext,
  fast: FastSpawn,
  setPwd: boolean,
): Promise<{ child: SupervisedChild } | { error: TaskResult } | undefined> {
  const notFound = () => {
    // ENOENT may be the working directory's: leave that to the shell path to report, as when
    // dagrun may not look (the shell then says which it was).
    if (lookAtWorkingDirectory(context.cwd) !== undefined) return undefined;
    // Or the program's interpreter's: a script saved with CRLF endings asks for `/bin/sh\r`.
    const missing = missingInterpreter(words[0]!, context);
    if (missing !== undefined) return cannotRun(words[0]!, missing, context);
    return commandNotFound(words[0]!, context);
  };
  // posix_spawnp looks PATH up in our environment, so a task setting its own goes the
  // slow way.
  const spawner = context.env ? undefined : fast.acquire();
  if (spawner) {
    const child = await spawner(
      words,
      context.cwd,
      fast.othersRunning,
      () => fast.alone(context),
      setPwd,
    );
    if (typeof child !== "number") {
      child.status.finally(() => fast.release());
      return { child };
    }
    fast.release();
    return child === ENOENT ? notFound() : resourceFailure(child, words, context);
  }
  // Deno.Command looks the program up itself, and a relative PATH entry (`node_modules/.bin`,
  // `.`, an empty one) from dagrun's own directory: the shell looks from the task's.
  if (!words[0]!.includes("/") && hasRelativeEntry(searchPath(context))) {
    return undefined;
  }
  try {
    return { child: spawn(words[0]!, words.slice(1), context, setPwd) };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return notFound();
    if (error instanceof Deno.errors.NotCapable) return unlistedFailure(words[0]!, context);
    const message = error instanceof Error ? error.message : String(error);
    return resourceFailure(Number(/\(os error (\d+)\)/.exec(message)?.[1]), words, context);
  }
}

/**
 * The task's error when a spawn failed with `errno` because the system is out of descriptors
 * or processes, or the arguments are more than the kernel takes: the shell would fail alike,
 * and name itself. `undefined` for any other error: the shell tries, and words it.
 */
function resourceFailure(
  errno: number,
  words: readonly string[],
  context: ExecutorContext,
): { error: TaskResult } | undefined {
  const reason = RESOURCE_ERRORS[errno];
  if (reason === undefined) return undefined;
  return cannotStart(words[0]!, errno === E2BIG ? tooLong(words, context, reason) : reason);
}

const ENOENT = 2, E2BIG = 7;

/**
 * The errors of a spawn that say the system is out of something (or that the arguments are
 * more than it takes), worded as `spawnErrorReason` words Deno's message for them.
 */
const RESOURCE_ERRORS: Readonly<Record<number, string>> = {
  7: "argument list too long",
  11: "resource temporarily unavailable",
  12: "cannot allocate memory",
  23: "too many open files in system",
  24: "too many open files",
};

function cannotStart(program: string, reason: string): { error: TaskResult } {
  return { error: { ok: false, error: `cannot start ${program}: ${reason}` } };
}

/** The task's failure when there is no `program` to run: said on its stderr too, as a shell would. */
function commandNotFound(program: string, context: ExecutorContext): { error: TaskResult } {
  context.output("stderr", `${program}: command not found`);
  return { error: { ok: false, exitCode: 127, error: `command not found: ${program}` } };
}

/**
 * Why a program that exec said does not exist (ENOENT) cannot run, when it is there all the
 * same: the interpreter its `#!` line names, or (a binary) the dynamic loader it asks for, is
 * missing. `undefined` when there is no such program: it was not found.
 */
function missingInterpreter(program: string, context: ExecutorContext): string | undefined {
  for (const path of programPaths(program, context)) {
    // Queried, not asked for (a prompt would stop the run): where dagrun may not look, the
    // program is not found, as the shell will then say.
    if (!isGranted({ name: "read", path })) continue;
    const loaded = loadedWith(path, { executable: false });
    if (loaded === undefined || loaded === NO_FILE) continue;
    // The kernel said ENOENT of a file that is there: what it loads with is missing, even
    // where the file's header could not tell which.
    return loaded.path ? loadedWithNotFound(loaded) : "its dynamic loader was not found";
  }
  return undefined;
}

/**
 * The task's failure when a program dagrun may not spawn itself (an `--allow-run` list
 * without it, so the shell runs it instead) cannot run, worded as when dagrun spawns it: a
 * path to no file is not found; a `#!` script whose interpreter, or a binary whose dynamic
 * loader, is missing cannot run (the shell would only say `not found` of a file that is
 * there). `undefined` otherwise (the shell then runs it, or says why not), and where dagrun
 * may not look at the program or what it is loaded with.
 */
function unlistedFailure(
  program: string,
  context: ExecutorContext,
): { error: TaskResult } | undefined {
  for (const path of programPaths(program, context)) {
    if (!isGranted({ name: "read", path })) return undefined;
    // The one the shell would run: the first executable file found.
    const loaded = loadedWith(path, { executable: true });
    if (loaded === NO_FILE) {
      // A bare name is one Deno found in PATH (it reports one it cannot find as not found);
      // a path to nothing at all is not found, in a working directory that is there (a
      // dangling link neither: the shell says `not found` of it too).
      if (!program.includes("/")) continue;
      if (lookAtWorkingDirectory(context.cwd) !== undefined) return undefined;
      return commandNotFound(program, context);
    }
    if (loaded === undefined) continue;
    if (loaded.path === "") return undefined;
    // A relative one is looked for from the process's directory, as the kernel does.
    const loadedPath = resolvePath(context.cwd, loaded.path);
    if (!isGranted({ name: "read", path: loadedPath })) return undefined;
    try {
      Deno.statSync(loadedPath);
      return undefined;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return undefined;
    }
    return cannotRun(program, loadedWithNotFound(loaded), context);
  }
  return undefined;
}

/**
 * The paths a search for `program` tries, in order, as the shell's: the program itself from
 * the task's directory when it holds a `/`, else the program in each PATH entry (an empty
 * one is the task's directory).
 */
function programPaths(program: string, context: ExecutorContext): string[] {
  if (program.includes("/")) return [resolvePath(context.cwd, program)];
  return (searchPath(context) ?? "").split(":")
    .map((entry) => resolvePath(context.cwd, entry || ".", program));
}

/**
 * What the kernel loads to run a program: the interpreter a script's `#!` line names, or the
 * dynamic loader (ELF `PT_INTERP`) a binary names; `path` "" when the file names none (a
 * static binary, a file the kernel will not exec, a `#!` with no word after it).
 */
interface LoadedWith {
  readonly kind: "interpreter" | "dynamic loader";
  readonly path: string;
}

/** {@linkcode loadedWith}'s answer when there is nothing at all at the path. */
const NO_FILE = "no file";

/**
 * What the file at `path` is loaded with, from its first bytes. {@linkcode NO_FILE} when
 * there is nothing there; `undefined` when it is no file (with `executable`, no executable
 * one) or cannot be read.
 */
function loadedWith(
  path: string,
  { executable }: { executable: boolean },
): LoadedWith | typeof NO_FILE | undefined {
  try {
    const stat = Deno.statSync(path);
    if (!stat.isFile || (executable && ((stat.mode ?? 0) & 0o111) === 0)) return undefined;
    using file = Deno.openSync(path);
    // A page: a binary's program headers and the loader they name are in it, as a rule, so
    // that this one read is all a program that runs costs.
    const head = readAt(file, 0, 4096);
    if (head[0] === 0x23 && head[1] === 0x21) {
      // The kernel reads 256 bytes of a script, and takes the first word after `#!`, ended
      // by a space, a tab or the newline.
      const text = new TextDecoder().decode(head.subarray(2, 256));
      return { kind: "interpreter", path: /^[ \t]*([^ \t\n]*)/.exec(text)![1]! };
    }
    return { kind: "dynamic loader", path: elfInterpreter(file, head) };
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? NO_FILE : undefined;
  }
}

/**
 * The dynamic loader an ELF file names in its `PT_INTERP` program header, `head` being its
 * first bytes; "" for a file that is not ELF, or names none.
 */
function elfInterpreter(file: Deno.FsFile, head: Uint8Array): string {
  // "\x7fELF", then the class (1: 32-bit, 2: 64-bit) and the byte order (1: little-endian).
  const magic = head.length >= 64 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c &&
    head[3] === 0x46;
  if (!magic) return "";
  const wide = head[4] === 2, little = head[5] === 1;
  const header = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const word = (view: DataView, at: number) =>
    wide ? Number(view.getBigUint64(at, little)) : view.getUint32(at, little);
  const tableOffset = word(header, wide ? 0x20 : 0x1c);
  const entrySize = header.getUint16(wide ? 0x36 : 0x2a, little);
  const entries = header.getUint16(wide ? 0x38 : 0x2c, little);
  // A header no kernel would load (the table is never over 64 KiB): no loader to name.
  if (entrySize < (wide ? 56 : 32) || entrySize * entries > 65_536) return "";
  const table = readAt(file, tableOffset, entrySize * entries, head);
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let at = 0; at + entrySize <= table.length; at += entrySize) {
    if (view.getUint32(at, little) !== 3) continue; // PT_INTERP
    const offset = word(view, at + (wide ? 0x08 : 0x04));
    const size = word(view, at + (wide ? 0x20 : 0x10));
    // A path, NUL-terminated; the kernel takes no more than a page of it.
    const bytes = readAt(file, offset, Math.min(size, 4096), head);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
  }
  return "";
}

/**
 * Up to `length` bytes of `file` from `offset`: fewer at its end. Taken from `head`, the
 * file's first bytes read already, when it holds them all.
 */
function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
  head?: Uint8Array,
): Uint8Array {
  if (head && offset + length <= head.length) return head.subarray(offset, offset + length);
  file.seekSync(offset, Deno.SeekMode.Start);
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const read = file.readSync(buffer.subarray(filled));
    if (read === null || read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

function loadedWithNotFound(loaded: LoadedWith): string {
  return `its ${loaded.kind} ${JSON.stringify(loaded.path)} was not found`;
}

/**
 * The task's failure when `program` is there but cannot run, for `reason`; said on its
 * stderr too, where the shell would have said it.
 */
function cannotRun(program: string, reason: string, context: ExecutorContext): {
  error: TaskResult;
} {
  context.output("stderr", `${program}: ${reason}`);
  return { error: { ok: false, exitCode: 126, error: `cannot run ${program}: ${reason}` } };
}

/**
 * The path `Deno.Command` would run `shell` from, found as it finds it (the `which` crate):
 * relative to the task's directory when it holds a `/`; else the first PATH entry that has it
 * as an executable file, joined as Rust's `Path::join` joins (no `/` after an empty entry or
 * one ending in `/`; `~` at its start is dagrun's HOME). A relative entry is looked in from
 * dagrun's own directory, and the path stays relative, as the spawn's `argv[0]` does. As given
 * when none has it (the spawn then says why).
 */
function shellPath(shell: string, context: ExecutorContext): string {
  if (shell.includes("/")) return resolvePath(context.cwd, shell);
  for (const entry of (searchPath(context) ?? "").split(":")) {
    const path = inPathEntry(entry, shell);
    // Queried, not asked for (a prompt would stop the run): where dagrun may not look, the
    // shell is run by its name, as when no entry has it.
    if (!isGranted({ name: "read", path })) return shell;
    try {
      const stat = Deno.statSync(path);
      if (stat.isFile && ((stat.mode ?? 0) & 0o111) !== 0) return path;
    } catch {
      // Not in this directory.
    }
  }
  return shell;
}

/**
 * The path of `name` in a PATH entry as the `which` crate makes it: `~` at the entry's start is
 * dagrun's HOME (when known; the path is then normalized), and the name is joined as Rust's
 * `Path::join` joins, without a `/` after an empty entry or one ending in `/`.
 */
function inPathEntry(entry: string, name: string): string {
  if (/^~(\/|$)/.test(entry)) {
    // Not allowed to read it (queried: asking would prompt): looked in as written (the
    // spawn, which Deno's permissions do not hold back there, would put HOME in).
    const home = environmentVariable("HOME");
    if (home) return `${home}${entry.slice(1)}/`.replace(/\/+/g, "/") + name;
  }
  return entry === "" || entry.endsWith("/") ? `${entry}${name}` : `${entry}/${name}`;
}

/** Whether a PATH has an entry that is not absolute (an empty one means the directory). */
function hasRelativeEntry(path: string | undefined): boolean {
  return path !== undefined && path.split(":").some((entry) => !entry.startsWith("/"));
}

/**
 * The PATH a task's program is looked up in: the task's own, else dagrun's; none without the
 * permission to read dagrun's (Deno.Command reads it anyway).
 */
function searchPath(context: ExecutorContext): string | undefined {
  if (context.env?.PATH !== undefined) return context.env.PATH;
  // Queried, not asked for: a request would stop the run at a prompt on a terminal. Once: a
  // task that sets variables of its own but not PATH asks at every spawn.
  pathReadable ??= isGranted({ name: "env", variable: "PATH" });
  return pathReadable ? Deno.env.get("PATH") : undefined;
}

/** Whether dagrun may read its own PATH, queried at the first spawn that looks at it. */
let pathReadable: boolean | undefined;

/**
 * The posix_spawn path, loaded on first use (it costs a `dlopen`), with a bound on the
 * children it has running (each holds three descriptors). Past the bound, `Deno.Command`
 * it is.
 */
class FastSpawn {
  static readonly MAX_RUNNING = 128;
  #spawner: PosixSpawner | undefined | null = null;
  #running = 0;

  constructor(readonly enabled: boolean, readonly quickWaitMs: number | undefined) {}

  acquire(): PosixSpawner | undefined {
    if (!this.enabled || this.#running >= FastSpawn.MAX_RUNNING) return undefined;
    if (this.#spawner === null) {
      this.#spawner = createPosixSpawner(
        this.quickWaitMs === undefined ? {} : { quickWaitMs: this.quickWaitMs },
      );
    }
    if (this.#spawner) this.#running++;
    return this.#spawner;
  }

  release(): void {
    this.#running--;
  }

  /** Whether other children of this path are running besides the one being started. */
  get othersRunning(): boolean {
    return this.#running > 1;
  }

  /**
   * Whether a child of this path may be waited for on the main thread: in a chain of tasks
   * every thread hop is latency, but the main thread may only be held while no other task
   * of the run needs it.
   */
  alone(context: ExecutorContext): boolean {
    return this.#running === 1 && this.quickWaitMs !== 0 && context.runningTasks?.() === 1;
  }
}

// Deno resolves a relative program (`./build.sh`) against `cwd`, as the shell would.
function spawn(
  program: string,
  args: string[],
  context: ExecutorContext,
  setPwd: boolean,
): Deno.ChildProcess {
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
    cwd: context.cwd,
    ...(context.env || setPwd
      ? { env: { ...context.env, ...(setPwd ? { PWD: context.cwd } : {}) } }
      : {}),
  }).spawn();
  // Recorded at once, not when the task's code gets to supervise it: an error thrown in
  // between ends the process, which kills only the groups recorded.
  addProcessGroup(child.pid);
  return child;
}
