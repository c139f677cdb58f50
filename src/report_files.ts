/**
 * The files a run writes its reports to (`--report`, `--report-html`, `--trace`), opened
 * together before anything runs: a path that cannot be written stops the run before its first
 * task, not after its last, and the reports land where their paths pointed when the run
 * started, whatever directory a task moves the process to meanwhile.
 *
 * @module
 */

import { TaskFileError } from "./errors.ts";

/**
 * Opens each path for writing, then empties them all. Either every file is open, or none is
 * and the error names the path that failed: the files opened before it are closed, those it
 * created removed, and none that existed was emptied.
 *
 * @throws {TaskFileError} `cannot write report: …`, naming the path.
 */
export function openReportFiles(paths: readonly string[]): Deno.FsFile[] {
  const opened: { file: Deno.FsFile; path: string; created: boolean }[] = [];
  for (const path of paths) {
    const created = !exists(path);
    try {
      opened.push({ file: Deno.openSync(path, { write: true, create: true }), path, created });
    } catch (error) {
      for (const each of opened) {
        each.file.close();
        if (each.created) removeQuietly(each.path);
      }
      throw new TaskFileError(`cannot write report: ${(error as Error).message}`, { file: path });
    }
  }
  for (const { file } of opened) file.truncateSync(0);
  return opened.map(({ file }) => file);
}

/** Writes the whole text to a report file and closes it. */
export function writeReportFile(file: Deno.FsFile, path: string, text: string): void {
  try {
    const bytes = new TextEncoder().encode(text);
    for (let written = 0; written < bytes.length;) {
      written += file.writeSync(bytes.subarray(written));
    }
  } catch (error) {
    throw new TaskFileError(`cannot write report: ${(error as Error).message}`, { file: path });
  } finally {
    file.close();
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already, or not ours to remove: the error that matters is the open's.
  }
}
