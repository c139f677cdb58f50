/**
 * The duration history, like ninja's `.ninja_log`: a small JSON file next to the task file,
 * `.dagrun_history.json`, holding per task file (by base name) and per task the duration
 * of its recent runs, which weights the critical-path priorities of the next run.
 *
 * ```json
 * { "version": 1, "files": { "tasks.json": { "build": 1520.4, "test": 310.2 } } }
 * ```
 *
 * It is a cache, never a source of truth: a missing, unreadable or corrupt file (or entry)
 * is ignored and rewritten, and it is replaced atomically (write, then rename) so that an
 * interrupted or concurrent run cannot leave half a file behind. A run killed between the
 * two (SIGKILL) leaves its temporary, `.dagrun_history.json.PID.tmp`; a later run removes it
 * once that process is gone. Runs that end together take turns: each merges its durations
 * into the file as it is then, under an advisory lock (flock) on it, so that none renames its
 * copy over another's records. A symbolic link is followed, and only a history is replaced
 * through one; a file over 32 MiB is not read, and none is written larger. A run that cannot
 * record says why (see {@linkcode recordHistory}).
 *
 * @module
 */

import { isMeasuredDuration } from "./duration.ts";
import { osErrorReason } from "./errors.ts";
import { isGranted } from "./permissions.ts";
import { stoppedByCancellation } from "./run_report.ts";
import type { RunReport } from "./types.ts";

/**
 * The history file's name, in the task file's directory.
 *
 * @example
 * ```ts
 * import { HISTORY_FILE_NAME } from "@dagrun/dagrun";
 * console.log(HISTORY_FILE_NAME); // ".dagrun_history.json"
 * ```
 */
export const HISTORY_FILE_NAME = ".dagrun_history.json";

const VERSION = 1;
/** Weight of the newest duration against the recorded one, so one noisy run moves it half-way. */
const NEWEST_WEIGHT = 0.5;
/** Task files remembered per directory; beyond it the file is not allowed to grow. */
const MAX_FILES = 64;
/**
 * The largest history read or written, in bytes: about a million records. A file larger is
 * not one a run wrote, and reading it (a 3 GB one took 20 s and 3 GB of memory, twice a run)
 * would cost more than its priorities could save.
 */
const MAX_BYTES = 32 * 1024 * 1024;

/**
 * Where a task file's history lives.
 *
 * @example
 * ```ts
 * import type { HistoryLocation } from "@dagrun/dagrun";
 * const location: HistoryLocation = { path: "ci/.dagrun_history.json", key: "tasks.json" };
 * ```
 */
export interface HistoryLocation {
  /** The history file's path. */
  readonly path: string;
  /** The key of the task file inside it: its base name. */
  readonly key: string;
  /**
   * Tasks of the file that this run leaves out (a subset was asked for): their records are
   * kept, where those of tasks no longer in the file are dropped.
   */
  readonly keep?: readonly string[];
}

/**
 * The history location of a task file: `.dagrun_history.json` in the same directory.
 *
 * @example
 * ```ts
 * import { historyLocation } from "@dagrun/dagrun";
 * historyLocation("ci/tasks.json"); // { path: "ci/.dagrun_history.json", key: "tasks.json" }
 * ```
 */
export function historyLocation(taskFile: string): HistoryLocation {
  const key = taskFile.slice(taskFile.lastIndexOf("/") + 1);
  return { path: inDirectory(directoryOf(taskFile), HISTORY_FILE_NAME), key };
}

type Files = Record<string, Record<string, number>>;

/**
 * A record without a prototype: the keys are task and file names, and a name such as
 * "toString" or "constructor" must find nothing rather than Object.prototype's function.
 */
function record<T>(): Record<string, T> {
  return Object.create(null);
}

/**
 * Reads the whole file as `{ key: { task: ms } }`, keeping only well-formed entries: empty
 * when there is no file or an empty one (a run's lock creates it), `undefined` when what is
 * there is not a history (corrupt, too large, not a regular file).
 */
function readFiles(path: string): Files | undefined {
  // Queried first: without permission to read it, Deno would prompt on a terminal.
  if (!isGranted({ name: "read", path })) return undefined;
  try {
    // Synchronously: a small file, read before a run starts or after it has ended, when the
    // asynchronous read's thread round trip (~0.3 ms of start-up) buys nothing.
    return filesIn(Deno.statSync(path), () => Deno.readTextFileSync(path));
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? record() : undefined;
  }
}

/**
 * {@linkcode readFiles} of the history locked, through the open file and what its `fstat`
 * said (the lock checked both): neither the path stat'ed again nor the file opened again.
 */
function readLockedFiles(file: Deno.FsFile, info: Deno.FileInfo): Files | undefined {
  try {
    return filesIn(info, () => {
      // One byte more than its length, to see its end (the file is replaced by rename, never
      // written in place, so its length holds).
      const bytes = new Uint8Array(info.size + 1);
      let length = 0;
      for (let read; length < bytes.length && (read = file.readSync(bytes.subarray(length)));) {
        length += read;
      }
      if (length > info.size) throw new Error("it grew while it was read");
      return new TextDecoder().decode(bytes.subarray(0, length));
    });
  } catch {
    return undefined;
  }
}

/**
 * The history in a file of which `info` is the stat, its text read by `readText` (which may
 * throw, as may the parse): only a regular file (a FIFO's read would wait for a writer for
 * ever and hold the main thread, where even Ctrl-C is handled; a device would be read without
 * end) of at most {@linkcode MAX_BYTES}; an empty one (a run's lock creates it) holds nothing.
 */
function filesIn(info: Deno.FileInfo, readText: () => string): Files | undefined {
  if (!info.isFile || info.size > MAX_BYTES) return undefined;
  if (info.size === 0) return record();
  return filesOf(JSON.parse(readText()));
}

/** The well-formed entries of a parsed history; `undefined` when it is not one. */
function filesOf(parsed: unknown): Files | undefined {
  if (!isObject(parsed) || parsed.version !== VERSION || !isObject(parsed.files)) return undefined;
  const files: Files = record();
  for (const [key, tasks] of Object.entries(parsed.files)) {
    if (!isObject(tasks)) continue;
    const durations = record<number>();
    for (const [name, ms] of Object.entries(tasks)) {
      // Beyond a year a record is corrupt: it would outweigh every real one, and Infinity
      // would be written as null.
      if (isMeasuredDuration(ms)) durations[name] = ms;
    }
    files[key] = durations;
  }
  return files;
}

/**
 * Where the symbolic link at `path` leads (a dangling one too: its target is created), so
 * that the history is written there rather than over the link.
 */
function linkTarget(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    // Dangling: one step, from the link's directory.
    const target = Deno.readLinkSync(path);
    return target.startsWith("/") ? target : inDirectory(directoryOf(path), target);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The recorded durations in milliseconds of a task file's tasks; empty when there is no
 * usable history.
 *
 * @example
 * ```ts
 * import { historyLocation, readHistory } from "@dagrun/dagrun";
 * const durations = await readHistory(historyLocation("tasks.json"));
 * durations.get("build"); // milliseconds, when "build" ran before
 * ```
 */
export function readHistory(location: HistoryLocation): Promise<Map<string, number>> {
  const files = readFiles(location.path) ?? record<Record<string, number>>();
  return Promise.resolve(new Map(Object.entries(files[location.key] ?? {})));
}

/**
 * Records the durations of the tasks that ran (ended `ok`, or `failed` by themselves) in a
 * report, blended with the recorded ones; tasks no longer in the file (neither in the report
 * nor in `location.keep`) are dropped. A task stopped by the run's cancellation is not a
 * task that ran: it ended with the cancellation's reason as its error (`interrupted`,
 * `--fail-fast`'s `cancelled: "lint" failed (fail-fast)`, or the reason of `signal`, the
 * signal the run was given). A failure to write never throws (a history is never worth
 * failing a run for): it resolves to why the durations were not recorded, in one line, for
 * a warning; to `undefined` when they were.
 *
 * @example
 * ```ts
 * import { historyLocation, recordHistory, run } from "@dagrun/dagrun";
 * const report = await run([{ name: "build", type: "exec", arguments: "true" }]);
 * const problem = await recordHistory(historyLocation("/tmp/tasks.json"), report);
 * if (problem) console.warn(problem); // "task durations not recorded in …: permission denied"
 * ```
 */
export async function recordHistory(
  location: HistoryLocation,
  report: RunReport,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const notRecorded = (reason: string) =>
    `task durations not recorded in ${location.path}: ${reason}`;
  // Queried, not requested: a request would prompt on a terminal once the run is over.
  const unpermitted = (dir: string) =>
    isGranted({ name: "write", path: dir }) && isGranted({ name: "read", path: dir })
      ? undefined
      : notRecorded(`no permission to read and write ${dir} (--allow-read, --allow-write)`);
  const directory = directoryOf(location.path);
  const problem = unpermitted(directory);
  if (problem) return problem;
  let temporary: string | undefined;
  let lock: Deno.FsFile | undefined;
  // The path of the history, when its lock created it (there was none).
  let created: string | undefined;
  try {
    const entry = lstatOrNull(location.path);
    // A link is followed (the history kept elsewhere, a CI cache say), not replaced: its
    // directory, where the temporaries are too, is the one to be allowed.
    const target = entry?.isSymlink ? linkTarget(location.path) : undefined;
    const targetDirectory = target === undefined ? directory : directoryOf(target);
    const targetProblem = targetDirectory === directory ? undefined : unpermitted(targetDirectory);
    if (targetProblem) return targetProblem;
    const path = target ?? location.path;
    temporary = `${path}.${Deno.pid}.tmp`;
    // The lstat above is the lock's first look at the path, when it is the path locked.
    const locked = await lockHistory(path, target === undefined ? entry : undefined);
    lock = locked?.file;
    if (locked?.created) created = path;
    // Read under the lock: another run may have recorded its durations since this one began.
    const read = locked ? readLockedFiles(locked.file, locked.info) : readFiles(path);
    // A task file named `.dagrun_history.json` (or linked to it) reads as no history:
    // replacing it, as a corrupt history is, would lose the task file. Only then looked at.
    if (
      read === undefined && sameFile(locked?.info ?? path, inDirectory(directory, location.key))
    ) {
      return notRecorded("it is the task file itself; left as it is");
    }
    if (read === undefined && target !== undefined) {
      // Replacing what a link leads to is only for a history: never another file.
      return notRecorded(`it links to ${target}, which is not a dagrun history; left as it is`);
    }
    // A history its owner made read-only (chmod a-w: a baseline kept for CI, say) is theirs
    // to keep, as make or ninja leave a file the user protected: not replaced by the rename,
    // which a writable directory would allow. Not one this run's lock created: read-only by
    // the umask alone (`umask 222`), it is dagrun's, empty, and would be left so for ever.
    if (created === undefined && isReadOnly(locked?.info ?? statOrNull(path))) {
      return notRecorded("it is read-only; left as it is");
    }
    const files = read ?? record<Record<string, number>>();
    const previous = files[location.key] ?? record<number>();
    const next = record<number>();
    const stopped = stoppedByCancellation(report, signal);
    for (const task of report.tasks) {
      const recorded = previous[task.name];
      // A stopped task's duration says nothing about how long it takes, nor does a resumed
      // one's (it did not run: its 0 would halve the record at each resume). The failure
      // that stopped a --fail-fast run is a failure like any other.
      const ran = (task.status === "ok" && !task.resumed) ||
        (task.status === "failed" && !stopped(task));
      if (ran) {
        const ms = recorded === undefined
          ? task.durationMs
          : recorded + NEWEST_WEIGHT * (task.durationMs - recorded);
        next[task.name] = Math.round(ms * 10) / 10;
      } else if (recorded !== undefined) {
        next[task.name] = recorded;
      }
    }
    for (const name of location.keep ?? []) {
      const recorded = previous[name];
      if (recorded !== undefined && !(name in next)) next[name] = recorded;
    }
    delete files[location.key];
    const keys = Object.keys(files);
    for (const key of keys.slice(0, Math.max(0, keys.length - MAX_FILES + 1))) delete files[key];
    files[location.key] = next;
    const bytes = withinMaxBytes(files, location.key);
    removeStaleTemporaries(path);
    // Synchronous: the async form loads Deno's web streams (≈ 2 ms) for one small write.
    Deno.writeFileSync(temporary, bytes);
    await Deno.rename(temporary, path);
    return undefined;
  } catch (error) {
    // A read-only directory, a full disk, a directory in the way: run without a history next
    // time, and say so.
    if (temporary !== undefined) await Deno.remove(temporary).catch(() => {});
    // Nor is the empty file the lock created left behind, when there was no history before:
    // removed while still locked, so no other run has written into it or renamed over it.
    if (created && lock) removeIfEmptyAt(lock, created);
    return notRecorded(osErrorReason(error));
  } finally {
    // After the rename, the lock is on the file replaced: runs waiting on it see that and
    // lock the new one.
    lock?.close();
  }
}

/**
 * The file's bytes, the least recently recorded task files left out until they are at most
 * {@linkcode MAX_BYTES}, which a run reads; throws when `key`'s records alone are more.
 */
function withinMaxBytes(files: Files, key: string): Uint8Array {
  for (;;) {
    const bytes = new TextEncoder().encode(JSON.stringify({ version: VERSION, files }) + "\n");
    if (bytes.length <= MAX_BYTES) return bytes;
    const oldest = Object.keys(files).find((other) => other !== key);
    if (oldest === undefined) {
      throw new Error(`the records of ${key} alone would exceed ${MAX_BYTES / 2 ** 20} MiB`);
    }
    delete files[oldest];
  }
}

/** The directory of a file's path. */
function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : path.slice(0, slash) || "/";
}

/** Whether a file's mode lets no one write it; `false` without modes (Windows) or a file. */
function isReadOnly(info: Deno.FileInfo | null): boolean {
  return info !== null && info.isFile && info.mode !== null && (info.mode & 0o222) === 0;
}

/** The file at `path`, links followed; `null` when it cannot be stat'ed (missing, say). */
function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}

/** `name` in `directory`: the root's files are `/name`, not `//name`. */
function inDirectory(directory: string, name: string): string {
  return directory === "/" ? `/${name}` : `${directory}/${name}`;
}

/**
 * How long a run waits for the others recording at the same moment. Each holds the lock for
 * the time of a read and a write of a small file; a run waiting longer waits on one that was
 * stopped (Ctrl-Z) while it held it, and gives up rather than hang.
 */
const LOCK_WAIT_MS = 5_000;
/** The longest pause between two tries to take the lock. */
const LOCK_RETRY_MAX_MS = 50;

/**
 * Takes the exclusive advisory lock (flock) on the history file at `path`, creating it empty
 * when there is none: runs recording at once then merge one after the other. The kernel
 * drops a lock with its holder's process, so a killed run leaves no stale lock. The file
 * locked must still be the one at `path` (another run may have renamed its copy over it
 * meanwhile, and holding the lock of a replaced file excludes nobody): else it is locked
 * anew. Resolves to `undefined` when there is nothing to lock (something other than a regular
 * file is at `path`: it is replaced as before) or the file system has no locks; throws when
 * another run held the lock for {@linkcode LOCK_WAIT_MS}. `entry` is the caller's
 * {@linkcode lstatOrNull} of `path`, when it made one: the first try makes no other.
 */
async function lockHistory(
  path: string,
  entry?: Deno.FileInfo | null,
): Promise<{ file: Deno.FsFile; info: Deno.FileInfo; created: boolean } | undefined> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let pause = 1;; pause = Math.min(2 * pause, LOCK_RETRY_MAX_MS)) {
    // Never opened otherwise: opening a FIFO may wait for a writer for ever.
    if (entry === undefined) entry = lstatOrNull(path);
    if (entry !== null && !entry.isFile) return undefined;
    const { file, created } = openToLock(path, entry === null);
    entry = undefined; // a later try looks again
    let locked: boolean;
    try {
      locked = file.tryLockSync(true);
    } catch {
      file.close();
      return undefined; // no locks here (some network file systems): as before, unlocked
    }
    const info = locked ? heldFileAt(file, path) : undefined;
    if (info) return { file, info, created };
    file.close();
    if (!locked) {
      if (Date.now() >= deadline) {
        throw new Error(`another run held it locked for ${LOCK_WAIT_MS / 1000} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * Opens `path` to lock it, creating it when missing; read-only when it may not be written.
 * Tells whether this open created it: tried exclusively first when the caller's look found
 * nothing there (`missing`), so that a failed write removes only a file no one had before.
 */
function openToLock(path: string, missing: boolean): { file: Deno.FsFile; created: boolean } {
  if (missing) {
    try {
      return {
        file: Deno.openSync(path, { read: true, write: true, createNew: true }),
        created: true,
      };
    } catch (error) {
      // Created by another run meanwhile, or a read-only directory: opened as any other.
      if (
        !(error instanceof Deno.errors.AlreadyExists) &&
        !(error instanceof Deno.errors.PermissionDenied)
      ) throw error;
    }
  }
  return { file: openExistingToLock(path), created: false };
}

/** {@linkcode openToLock}'s open when the file is not known to be missing. */
function openExistingToLock(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true, write: true, create: true });
  } catch (error) {
    // A read-only history is still locked, read, and left as it is (a warning); with none,
    // the directory is read-only, which is the error to tell.
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    try {
      return Deno.openSync(path, { read: true });
    } catch {
      throw error;
    }
  }
}

/**
 * Removes the history at `path`, which the run's lock created, when it is still the file
 * locked (`lock`) and empty: nothing could be written into it (a full disk), and an empty
 * history is litter. Anything else there is left as it is.
 */
function removeIfEmptyAt(lock: Deno.FsFile, path: string): void {
  try {
    const info = heldFileAt(lock, path);
    if (info !== undefined && info.size === 0) Deno.removeSync(path);
  } catch {
    // Gone, or not ours to remove: the warning says why nothing was recorded.
  }
}

/**
 * Whether `a` and `b` (links followed) are one file; `false` when either cannot be stat'ed.
 * `a` may be given stat'ed already (the locked history's), not to stat it twice.
 */
function sameFile(a: string | Deno.FileInfo, b: string): boolean {
  try {
    const [first, second] = [typeof a === "string" ? Deno.statSync(a) : a, Deno.statSync(b)];
    // Without inode numbers (Windows) there is no telling: taken as different files.
    return first.ino !== null && first.ino === second.ino && first.dev === second.dev;
  } catch {
    return false;
  }
}

/** The `lstat` of `path` (a link itself, not followed); `null` when there is nothing there. */
function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * The `fstat` of the open `file` when it is the one `path` names now (and not one renamed
 * over since); `undefined` when it is not.
 */
function heldFileAt(file: Deno.FsFile, path: string): Deno.FileInfo | undefined {
  const held = file.statSync();
  const current = lstatOrNull(path);
  if (current === null) return undefined;
  // Without inode numbers (Windows) there is no telling: taken as the same.
  if (held.ino === null || current.ino === null) return held;
  return held.ino === current.ino && held.dev === current.dev ? held : undefined;
}

/**
 * Age past which a temporary cannot be a live run's: a run renames its own a moment after
 * writing it. It guards the runs this process cannot see, whose PIDs are not in its /proc (a
 * container sharing the directory, another machine on a network file system), and /proc
 * mounted with `hidepid`.
 */
const STALE_TEMPORARY_MS = 60_000;

/**
 * Removes the temporaries (`PATH.PID.tmp`, exactly) that runs killed between their write and
 * their rename left beside the history at `path` (in a directory the caller may read and
 * write), when their process is gone: never a live run's, which is about to rename it.
 * Whether a process lives is read from /proc (Linux), which Deno opens only to a program with
 * every permission (as the command line runs); none is asked for, and elsewhere or without
 * them nothing is removed. A dead run's PID reused by a live process leaves its temporary in
 * place, as does a zombie's; both are rare and cost a few bytes. Synchronous, as the write
 * after it: a directory listing and a few stats.
 */
function removeStaleTemporaries(path: string): void {
  const dir = directoryOf(path);
  const prefix = `${path.slice(path.lastIndexOf("/") + 1)}.`;
  let canTell: boolean | undefined;
  try {
    for (const entry of Deno.readDirSync(dir)) {
      const { name } = entry;
      if (!entry.isFile || !name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
      const digits = name.slice(prefix.length, -".tmp".length);
      if (!/^[1-9][0-9]{0,9}$/.test(digits) || Number(digits) === Deno.pid) continue;
      // Asked once, and only when there is a candidate: most runs find none.
      canTell ??= procfsShowsProcesses();
      if (!canTell) return;
      removeIfStale(`${dir}/${name}`, Number(digits));
    }
  } catch {
    // The directory cannot be listed: the history's own write tells whether it is usable.
  }
}

/** Removes the temporary of process `pid` when it is old and the process is gone. */
function removeIfStale(temporary: string, pid: number): void {
  try {
    const modified = Deno.lstatSync(temporary).mtime?.getTime();
    if (modified === undefined || Date.now() - modified < STALE_TEMPORARY_MS) return;
    if (processExists(pid) === false) Deno.removeSync(temporary);
  } catch {
    // Removed by another run meanwhile, or not ours to remove: left.
  }
}

/**
 * Whether /proc can be read and shows this process, so that a PID missing there is gone.
 * Deno refuses /proc (NotCapable, not a prompt) below `--allow-all`, even with read access
 * to it; that access is checked first all the same, as without it Deno may prompt on a
 * terminal.
 */
function procfsShowsProcesses(): boolean {
  if (Deno.build.os !== "linux" || !isGranted({ name: "read", path: "/proc" })) return false;
  return processExists(Deno.pid) === true;
}

/**
 * Whether a process `pid` exists, from /proc; `undefined` when that cannot be told. Not
 * `Deno.kill()`: it needs the run permission, and no signal is harmless to every process
 * (SIGCONT resumes a stopped one; SIGWINCH, SIGURG and SIGCHLD reach handlers).
 */
function processExists(pid: number): boolean | undefined {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? false : undefined;
  }
}
