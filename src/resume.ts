/**
 * Resuming a run from an earlier run's NDJSON report (`--resume REPORT`).
 *
 * A report identifies its task file (`run_started`: absolute path and a hash of the task
 * names) and each task's definition (`task_started`, or `task_ended` of a resumed task: a
 * hash of type, arguments, env and cwd). A task is taken as done when it ended `ok` in the
 * report with the same definition hash and every task it depends on is taken as done too;
 * everything else runs. A report of another file is refused, by the rule `--from-report`
 * follows too.
 *
 * @module
 */

import { loadedCrypto } from "./deps.ts";
import { resolvePath } from "./paths.ts";
import {
  readReportText,
  refuseReportOfOtherFile,
  reportEvents,
  reportName,
} from "./report_lines.ts";
import { TaskFileError } from "./errors.ts";
import type { TaskFile } from "./load.ts";
import type { RunIdentity } from "./scheduler.ts";
import type { TaskSpec } from "./types.ts";

/**
 * What a report says about its run.
 *
 * @example
 * ```ts
 * import { readResumeReport, type ResumeReport } from "@dagrun/dagrun";
 *
 * const report: ResumeReport = await readResumeReport("last-run.ndjson");
 * report.done.size; // how many tasks ended ok
 * ```
 */
export interface ResumeReport {
  /** The report's path, for messages. */
  readonly path: string;
  /** The task file it ran (absolute path, or `<stdin>`). */
  readonly file: string;
  /** The hash of that file's task names. */
  readonly tasksHash: string;
  /** Tasks that ended `ok` (ran or resumed), with their definition hashes. */
  readonly done: ReadonlyMap<string, string>;
  /**
   * Every task the last run reports on (started, ended or skipped), to tell a report of
   * another task file; when absent, those of `done`.
   */
  readonly tasks?: ReadonlySet<string>;
}

/**
 * The identity of a task file for events: its absolute path, a hash of its task names (in
 * sorted order, so reordering tasks keeps it) and per task a hash of its definition.
 *
 * When `taskFile` is a subset of a file (`dagrun FILE NAME...`), pass the whole file as
 * `wholeFile`: the names hashed are all of the file's, so that the report of a subset and
 * that of a whole run name the same file, and resume each other at another path too.
 *
 * @example
 * ```ts
 * import { identify, loadTaskFile, readResumeReport, resumedTasks, run } from "@dagrun/dagrun";
 *
 * const taskFile = await loadTaskFile("tasks.json");
 * const identity = identify(taskFile);
 * const resumed = resumedTasks(taskFile, identity, await readResumeReport("last-run.ndjson"));
 * await run(taskFile, { identity, resumed });
 * ```
 */
export function identify(taskFile: TaskFile, wholeFile: TaskFile = taskFile): RunIdentity {
  // Asked once, not once per task: a task without a `cwd` runs in this one.
  const processDirectory = Deno.cwd();
  return {
    ...fileIdentity(taskFile, wholeFile),
    hashes: taskFile.tasks.map((task) => taskHash(task, processDirectory)),
  };
}

/**
 * The task file's part of {@linkcode identify}, as a report's `run_started` names it: its
 * absolute path (or `<stdin>`) and the hash of `wholeFile`'s task names; without hashing
 * every task's definition, which telling what file a report is of does not need. Needs
 * `loadCrypto()`.
 */
export function fileIdentity(
  taskFile: TaskFile,
  wholeFile: TaskFile = taskFile,
): Pick<RunIdentity, "file" | "tasksHash"> {
  const names = wholeFile.tasks.map((task) => task.name).sort();
  return {
    file: taskFile.file === "<stdin>" ? "<stdin>" : resolvePath(taskFile.file),
    tasksHash: hash(names.join("\n")),
  };
}

/**
 * A hash of what a task does: type, arguments, env and the directory it runs in (not timeouts
 * or retries). A task without a `cwd` runs in dagrun's own directory, `processDirectory`, so
 * that is its directory: `echo x > out` run from elsewhere writes another file, and is not done
 * by the first run.
 */
function taskHash(task: TaskSpec, processDirectory: string): string {
  const cwd = task.cwd ?? processDirectory;
  return hash(JSON.stringify([task.type, task.arguments, task.env ?? {}, cwd], sorted));
}

function hash(text: string): string {
  return loadedCrypto().createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** A JSON.stringify replacer writing object keys in sorted order, for stable hashes. */
function sorted(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0),
  );
}

/**
 * Reads an NDJSON report. When it holds several runs, the last counts; a line cut short (the
 * run was killed while writing it) is ignored, and so is the cut part of a line that the next
 * appended run's first event was glued to.
 *
 * @throws {TaskFileError} for an unreadable file or one that is not a resumable report.
 *
 * @example
 * ```ts
 * import { identify, loadTaskFile, readResumeReport, resumedTasks, run } from "@dagrun/dagrun";
 *
 * const taskFile = await loadTaskFile("tasks.json");
 * const identity = identify(taskFile);
 * const resumed = resumedTasks(taskFile, identity, await readResumeReport("last-run.ndjson"));
 * await run(taskFile, { identity, resumed });
 * ```
 */
export async function readResumeReport(from: string): Promise<ResumeReport> {
  const text = await readReportText(from);
  const path = reportName(from);
  let run: { file: string; tasksHash: string } | undefined;
  let started = new Map<string, string>();
  let done = new Map<string, string>();
  let tasks = new Set<string>();
  for (const { event, line } of reportEvents(text, path)) {
    if (typeof event.task === "string") tasks.add(event.task);
    if (event.event === "run_started") {
      if (typeof event.file !== "string" || typeof event.tasksHash !== "string") {
        throw new TaskFileError(
          "run_started has no file identity; only reports of dagrun runs that wrote NDJSON can be resumed from",
          { file: path, position: { file: path, line, column: 1 } },
        );
      }
      run = { file: event.file, tasksHash: event.tasksHash };
      started = new Map();
      done = new Map();
      tasks = new Set();
    } else if (event.event === "task_started" && typeof event.hash === "string") {
      started.set(event.task as string, event.hash);
    } else if (event.event === "task_ended" && event.status === "ok") {
      const hash = event.resumed ? event.hash : started.get(event.task as string);
      if (typeof hash === "string") done.set(event.task as string, hash);
    }
  }
  if (!run) {
    throw new TaskFileError("not a dagrun NDJSON report: it has no run_started event", {
      file: path,
    });
  }
  return { path, ...run, done, tasks };
}

/**
 * The names of the tasks to take as done: ok in the report with an unchanged definition,
 * and with every dependency taken as done. `wholeFile` is the task file `taskFile` was chosen
 * from (`--only`), when it was: whether the report is of this file is decided on all its tasks,
 * not on the ones chosen to run.
 *
 * @throws {TaskFileError} when the report is of another task file: neither its path nor its
 * task names match, and none of the tasks it reports on is in `wholeFile` (see
 * `refuseReportOfOtherFile`).
 *
 * @example
 * ```ts
 * import { identify, loadTaskFile, readResumeReport, resumedTasks, run } from "@dagrun/dagrun";
 *
 * const taskFile = await loadTaskFile("tasks.json");
 * const identity = identify(taskFile);
 * const resumed = resumedTasks(taskFile, identity, await readResumeReport("last-run.ndjson"));
 * await run(taskFile, { identity, resumed });
 * ```
 */
export function resumedTasks(
  taskFile: TaskFile,
  identity: RunIdentity,
  report: ResumeReport,
  wholeFile: TaskFile = taskFile,
): Set<string> {
  refuseReportOfOtherFile(
    { file: report.file, tasksHash: report.tasksHash, tasks: report.tasks ?? report.done },
    report.path,
    {
      file: identity.file,
      tasksHash: identity.tasksHash,
      names: wholeFile.tasks.map((task) => task.name),
    },
    "resume",
  );
  const tasks = taskFile.tasks;
  const indexByName = new Map(tasks.map((task, i) => [task.name, i]));
  const dependents: number[][] = tasks.map(() => []);
  const reruns = new Uint8Array(tasks.length);
  const stack: number[] = [];
  for (let i = 0; i < tasks.length; i++) {
    for (const dependency of tasks[i]!.dependencies) {
      dependents[indexByName.get(dependency)!]!.push(i);
    }
    if (report.done.get(tasks[i]!.name) !== identity.hashes[i]) {
      reruns[i] = 1;
      stack.push(i);
    }
  }
  // Whatever depends on a task that runs again runs again too: its inputs may change.
  while (stack.length > 0) {
    for (const dependent of dependents[stack.pop()!]!) {
      if (!reruns[dependent]) {
        reruns[dependent] = 1;
        stack.push(dependent);
      }
    }
  }
  const names = new Set<string>();
  for (let i = 0; i < tasks.length; i++) if (!reruns[i]) names.add(tasks[i]!.name);
  return names;
}
