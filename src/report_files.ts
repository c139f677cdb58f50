/**
 * The files a run writes its reports to (`--report`, `--report-html`, `--trace`), opened
 * together before anything runs: a path that cannot be written stops the run before its first
 * task, not after its last, and the reports land where their paths pointed when the run
 * started, whatever directory a task moves the process to meanwhile.
 *
 * @module
 */

import { emptyPathError, osErrorReason, OutputError, TaskFileError, UsageError } from "./errors.ts";
import { isGranted } from "./permissions.ts";
import { resolvePath } from "./paths.ts";

/** The report files of a run, open: emptied when it begins, removed if it never does. */
export interface ReportFiles {
  /** The file of an option, when a path was given for it. */
  fileOf(option: string): Deno.FsFile | undefined;
  /**
   * Empties the files (the regular ones: a device or a pipe, `/dev/null` say, has nothing to
   * empty) the first time it is called: call it when the run begins, so that a run that never
   * does leaves them as they were.
   */
  begin(): void;
  /**
   * Closes them all, once written; when the run never began, also removes those the opening
   * created. Later calls do nothing.
   */
  close(): void;
}

/**
 * The wait for a report file to open (a FIFO's, which opens once a reader opens it) was ended
 * by the `signal` given to {@linkcode openReportFiles}: the files opened before it are closed
 * and those the opening created removed.
 */
export class ReportOpeningInterrupted extends Error {
  /** Builds the error for the report file at `path`. */
  constructor(readonly path: string) {
    super(`interrupted while waiting for a reader to open ${path}`);
    this.name = "ReportOpeningInterrupted";
  }
}

/**
 * Refuses a report path that is no file to write, by its text alone: an empty one, or `-`.
 * The command line calls it before the task file is loaded, so that such a mistake is said
 * alone, not after the file's warnings; {@linkcode openReportFiles} calls it again.
 *
 * @throws {UsageError} for an empty path, or `-`.
 */
export function refuseReportPaths(paths: Readonly<Record<string, string | undefined>>): void {
  for (const [option, path] of Object.entries(paths)) {
    // Deno would say "No such file or directory", naming no path.
    if (path === "") throw emptyPathError(option);
    // Not standard output, as `-` is where dagrun reads: it would be a file named "-".
    if (path === "-") {
      const events = option === "--report"
        ? "; --format ndjson writes the events to standard output"
        : "";
      throw new UsageError(
        `${option} writes a file, and "-" is not standard output here (./- names a file "-")${events}`,
      );
    }
  }
}

/**
 * Opens the path given for each option (`{ "--trace": "t.json" }`; undefined for none) for
 * writing, without emptying any yet. Either every file is open, or none is and the error
 * names the path that failed: the files opened before it are closed and those it created
 * removed. A path naming one of the run's own files (`{ "the task file": "tasks.json" }`),
 * or the same file as another report, is refused first: it would be overwritten. A FIFO's
 * open waits for its reader without holding the event loop, so that signals are heard:
 * `signal`, aborted, ends the wait.
 *
 * @throws {TaskFileError} `cannot write report: …`, naming the path.
 * @throws {UsageError} for an empty path, or `-`.
 * @throws {ReportOpeningInterrupted} when `signal` ends a wait for a reader.
 */
export async function openReportFiles(
  paths: Readonly<Record<string, string | undefined>>,
  ownFiles: Readonly<Record<string, string | undefined>> = {},
  signal?: AbortSignal,
): Promise<ReportFiles> {
  refuseReportPaths(paths);
  const given = Object.entries(paths).filter((entry): entry is [string, string] =>
    entry[1] !== undefined
  );
  // Queried once per path, for every look at it below: Deno would prompt on a terminal for
  // a path it may not read.
  const reports = given.map(([option, path]) => ({
    option,
    path,
    readable: isGranted({ name: "read", path }),
  }));
  const taken = new Map<string, string>();
  // Nothing to compare without a report: no real path asked for (a syscall each, and a
  // permission prompt on a terminal for a path Deno may not read).
  if (reports.length > 0) {
    for (const [holder, path] of Object.entries(ownFiles)) {
      if (path !== undefined) {
        taken.set(identityOf(path, isGranted({ name: "read", path })), holder);
      }
    }
  }
  for (const { option, path, readable } of reports) {
    const identity = identityOf(path, readable);
    const holder = taken.get(identity);
    if (holder !== undefined) {
      throw new TaskFileError(
        `cannot write report: it is ${holder}; ${option} would overwrite it`,
        {
          file: path,
        },
      );
    }
    taken.set(identity, `the file of ${option}`);
  }
  const opened = new Map<string, { file: Deno.FsFile; path: string; created: boolean }>();
  let begun = false, closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const { file, path, created } of opened.values()) {
      file.close();
      if (!begun && created) removeQuietly(path);
    }
  };
  // Only with a report to compare: the first stat of a process costs ≈ 0.3 ms of start-up.
  const streams = reports.length === 0 ? [] : standardStreams();
  const devices = deviceFacts();
  for (const { option, path, readable } of reports) {
    let opening: { file: Deno.FsFile; created: boolean };
    try {
      opening = await openForWriting(path, readable, signal);
    } catch (error) {
      close();
      if (error instanceof ReportOpeningInterrupted) throw error;
      // Opening a socket fails with a bare "no such device or address" (ENXIO), which would
      // not tell why.
      const socket = readable && statQuietly(path)?.isSocket === true;
      const reason = socket ? "it is a socket, not a file" : osErrorReason(error);
      throw new TaskFileError(`cannot write report: ${reason}`, { file: path });
    }
    const { file } = opening;
    opened.set(option, { file, path, created: opening.created });
    // An open file's stat asks for read access to its path, in Deno: queried, as a request
    // would stop the run at a prompt on a terminal (and fail it without one). Where the
    // report may be written but not read, these checks cannot be made: it is written as is.
    if (!readable) continue;
    // Looked at once, for every check below.
    const info = file.statSync();
    const terminal = info.isCharDevice === true && file.isTerminal();
    const stream = streams.find((stream) => isSameFile(stream.info, info, terminal));
    if (stream !== undefined) {
      close();
      throw new TaskFileError(
        `cannot write report: it is ${stream.name}; ${option} would be mixed into what dagrun prints there`,
        { file: path },
      );
    }
    const unfit = unfitForReport(info, terminal, devices);
    if (unfit !== undefined) {
      close();
      throw new TaskFileError(`cannot write report: ${unfit}`, { file: path });
    }
  }
  return {
    fileOf: (option) => opened.get(option)?.file,
    begin() {
      if (begun) return;
      begun = true;
      for (const { file, path } of opened.values()) {
        try {
          emptyIfRegular(file);
        } catch (error) {
          throw new TaskFileError(`cannot write report: ${osErrorReason(error)}`, {
            file: path,
          });
        }
      }
    },
    close,
  };
}

/** A report file that could not be written (a full disk, say): its path, and the system's error. */
export interface ReportWriteFailure {
  /** The path given for the report. */
  readonly path: string;
  /** What the write threw. */
  readonly error: unknown;
}

/**
 * Writes the whole text into a report file (left open: `ReportFiles.close` closes it).
 *
 * @throws the system's error (a full disk, say), for {@linkcode reportWriteError}.
 */
export function writeReportFile(file: Deno.FsFile, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let written = 0; written < bytes.length;) {
    written += file.writeSync(bytes.subarray(written));
  }
}

/**
 * The error of the report files that could not be written, in the order given: every one is
 * named, on one line, as a full disk fails them all at once and the user must learn of each
 * (`h.html: cannot write report: …` for one; `cannot write reports: h.html: …; t.json: …`).
 */
export function reportWriteError(failures: readonly ReportWriteFailure[]): OutputError {
  if (failures.length === 1) {
    const [{ path, error }] = failures as [ReportWriteFailure];
    return new OutputError(`${path}: cannot write report: ${osErrorReason(error)}`);
  }
  const each = failures.map(({ path, error }) => `${path}: ${osErrorReason(error)}`);
  return new OutputError(`cannot write reports: ${each.join("; ")}`);
}

/** dagrun's standard output and error, as far as they can be looked at. */
function standardStreams(): { name: string; info: Deno.FileInfo }[] {
  const streams = [];
  for (
    const [name, path] of [
      ["dagrun's standard output", "/dev/stdout"],
      ["dagrun's standard error", "/dev/stderr"],
    ]
  ) {
    // Queried, never asked for: with read access only where tasks need it, asking would stop
    // the run at a prompt on a terminal (and the report is then not looked at for this).
    if (!isGranted({ name: "read", path: path! })) continue;
    // Not there when closed, or on a system without /dev/stdout: nothing a report could be
    // mixed into.
    const info = statQuietly(path!);
    if (info !== undefined) streams.push({ name: name!, info });
  }
  return streams;
}

/**
 * Whether an open report file (its `info`, and whether it is a `terminal`) is `stream`'s
 * file, where dagrun's own output goes: a regular file (the report would write over it from
 * its own offset), a pipe or a terminal. Not a device that keeps nothing, `/dev/null` say.
 */
function isSameFile(stream: Deno.FileInfo, info: Deno.FileInfo, terminal: boolean): boolean {
  if (info.dev !== stream.dev || info.ino === null || info.ino !== stream.ino) return false;
  return !info.isCharDevice || terminal;
}

/**
 * Why an open file (its `info`, and whether it is a `terminal`) cannot take a report, though
 * it opened for writing: the report is written when the run ends, and a write failing then
 * would lose it after everything ran. A report goes into a file that keeps what is written, a
 * pipe, a terminal or `/dev/null`; refused are a block device (a disk: the report would write
 * over its data), any other character device (`/dev/full` refuses every write, `/dev/zero`
 * drops it all without being meant to), and a file of the kernel's interface filesystems
 * (`/proc/version`, `/sys/…`), whose files are settings and readings, not storage: most
 * refuse a write, the rest take it as a command.
 */
function unfitForReport(
  info: Deno.FileInfo,
  terminal: boolean,
  devices: DeviceFacts,
): string | undefined {
  if (info.isBlockDevice) return "it is a block device (a disk), not a file";
  if (info.isCharDevice) {
    if (terminal) return undefined;
    // Where /dev/null cannot be looked at, no device can be told from it: none is refused.
    const nullRdev = devices.nullDevice();
    if (nullRdev === undefined || info.rdev === nullRdev) return undefined;
    return "it is a device that is neither a terminal nor /dev/null";
  }
  if (info.isFile) {
    const type = devices.kernelFilesystemOf(info.dev);
    if (type !== undefined) {
      return `it is a file of the kernel's ${type} filesystem, which does not keep what is written`;
    }
  }
  return undefined;
}

/** What a report file is judged against: the same for every file of a run. */
interface DeviceFacts {
  /** The device number of /dev/null; undefined where it cannot be looked at. */
  nullDevice(): number | null | undefined;
  /**
   * The type of the kernel interface filesystem holding files of device number `dev` (Linux
   * `st_dev`); undefined for another filesystem, or where the mounts cannot be read (another
   * system): there, no file is refused for its filesystem.
   */
  kernelFilesystemOf(dev: number): string | undefined;
}

/** The facts, each looked at when a report file first needs it, then kept for the others. */
function deviceFacts(): DeviceFacts {
  let nullRdev: { rdev: number | null | undefined } | undefined;
  let kernelMounts: ReadonlyMap<string, string> | undefined;
  return {
    nullDevice: () => (nullRdev ??= { rdev: nullDevice() }).rdev,
    kernelFilesystemOf: (dev) => (kernelMounts ??= kernelMountsByDevice()).get(deviceName(dev)),
  };
}

/** The device number of /dev/null; undefined where it cannot be looked at. */
function nullDevice(): number | null | undefined {
  if (!isGranted({ name: "read", path: "/dev/null" })) return undefined;
  return statQuietly("/dev/null")?.rdev;
}

/**
 * Filesystems whose files are the kernel's interfaces rather than storage. (devtmpfs is not
 * one: its devices are judged as devices, and a regular file there is kept.)
 */
const KERNEL_FILESYSTEMS = new Set([
  "proc",
  "sysfs",
  "cgroup",
  "cgroup2",
  "debugfs",
  "tracefs",
  "securityfs",
  "configfs",
  "bpf",
  "pstore",
  "efivarfs",
  "fusectl",
  "binfmt_misc",
  "selinuxfs",
  "hugetlbfs",
]);

/**
 * The types of the kernel interface filesystems mounted, by device (`MAJOR:MINOR`), read
 * from /proc/self/mountinfo; none where it cannot be read.
 */
function kernelMountsByDevice(): Map<string, string> {
  const kernelMounts = new Map<string, string>();
  if (Deno.build.os !== "linux" || !isGranted({ name: "read", path: "/proc/self/mountinfo" })) {
    return kernelMounts;
  }
  let mounts: string;
  try {
    mounts = Deno.readTextFileSync("/proc/self/mountinfo");
  } catch {
    return kernelMounts;
  }
  for (const line of mounts.split("\n")) {
    // ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - TYPE SOURCE SUPER-OPTIONS
    const fields = line.split(" ");
    const device = fields[2];
    const type = fields[fields.indexOf("-", 6) + 1];
    if (device === undefined || kernelMounts.has(device)) continue;
    if (type !== undefined && KERNEL_FILESYSTEMS.has(type)) kernelMounts.set(device, type);
  }
  return kernelMounts;
}

/** A device number (Linux `st_dev`) as /proc/self/mountinfo writes it: `MAJOR:MINOR`. */
function deviceName(dev: number): string {
  // glibc's encoding of a dev_t: major in bits 8–19 and 44–63, minor in 0–7 and 20–43.
  const high = Math.floor(dev / 2 ** 32);
  const low = dev % 2 ** 32;
  const major = (((low >>> 8) & 0xfff) | ((high >>> 12) << 12)) >>> 0;
  const minor = ((low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) << 20)) >>> 0;
  return `${major}:${minor}`;
}

/**
 * What tells two paths of one file apart from two files: the real path where it exists and
 * may be read (`readable`, queried by the caller).
 */
function identityOf(path: string, readable: boolean): string {
  if (!readable) return resolvePath(path);
  try {
    return Deno.realPathSync(path);
  } catch {
    return resolvePath(path);
  }
}

/**
 * Opens `path` for writing, telling whether this open created the file (an exclusive create
 * first): a run that never begins removes only what it created. Known without a stat, which
 * would ask for read access to a path dagrun may only write (`readable` says whether it may).
 */
async function openForWriting(
  path: string,
  readable: boolean,
  signal: AbortSignal | undefined,
): Promise<{ file: Deno.FsFile; created: boolean }> {
  try {
    return { file: Deno.openSync(path, { write: true, createNew: true }), created: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  // There already (or a dangling link, whose target this creates: the link stays, as before).
  const options = { write: true, create: true };
  if (readable && statQuietly(path)?.isFifo !== true) {
    return { file: Deno.openSync(path, options), created: false };
  }
  // A FIFO (or what cannot be looked at, which may be one): its open waits for a reader, for
  // ever if none comes. Off the main thread, so that a signal is heard meanwhile.
  return { file: await abortable(Deno.open(path, options), path, signal), created: false };
}

/**
 * The stat of `path` (followed, as an open follows it), or `undefined` where it cannot be
 * looked at (gone, a dangling link). Read permission for it is the caller's to query first:
 * Deno would prompt on a terminal for a path it may not read.
 */
function statQuietly(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The file `opening` opens, unless `signal` is aborted first: then rejects with
 * {@linkcode ReportOpeningInterrupted}, and closes the file should the open complete later.
 */
function abortable(
  opening: Promise<Deno.FsFile>,
  path: string,
  signal: AbortSignal | undefined,
): Promise<Deno.FsFile> {
  if (signal === undefined) return opening;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(new ReportOpeningInterrupted(path));
      opening.then((file) => file.close(), () => {});
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    opening.then(
      (file) => {
        signal.removeEventListener("abort", onAbort);
        resolve(file);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Empties an open report file when it is a regular one. A pipe, a terminal or `/dev/null` has
 * nothing to empty, and their `ftruncate` fails with EINVAL, which says so without a stat
 * (one that would ask for read access to the path).
 */
function emptyIfRegular(file: Deno.FsFile): void {
  try {
    file.truncateSync(0);
  } catch (error) {
    if (!/\(os error 22\)/.test(error instanceof Error ? error.message : "")) throw error;
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already, or not ours to remove: the error that matters is the open's.
  }
}
