/**
 * What is wrong with a task's working directory, worded once for both times it is looked at:
 * when the task file is checked (with the file, the position and the task) and when a task
 * cannot start because an earlier task removed the directory since.
 *
 * @module
 */

import { osErrorReason } from "./errors.ts";
import { isGranted } from "./permissions.ts";

/**
 * Why `path` cannot be a working directory — `working directory /abs does not exist`,
 * `… is not a directory`, `… does not exist: /abs/file is not a directory` (a file on the
 * way), `… cannot be used: REASON` — or `undefined` when it can be, or when
 * dagrun may not look (no read permission for it: a spawn needs none, and decides).
 *
 * @example
 * ```ts
 * import { workingDirectoryProblem } from "./working_directory.ts";
 *
 * workingDirectoryProblem("/no/such/dir"); // "working directory /no/such/dir does not exist"
 * workingDirectoryProblem("/tmp"); // undefined
 * ```
 */
export function workingDirectoryProblem(path: string): string | undefined {
  const found = lookAtWorkingDirectory(path);
  return found === NOT_ALLOWED_TO_LOOK ? undefined : found;
}

/** What {@linkcode lookAtWorkingDirectory} returns when dagrun has no read permission there. */
export const NOT_ALLOWED_TO_LOOK: unique symbol = Symbol("not allowed to look");

/**
 * {@linkcode workingDirectoryProblem}, telling apart a directory dagrun may not look at
 * ({@linkcode NOT_ALLOWED_TO_LOOK}), for a caller that then leaves the wording to another
 * (the shell): the permission is queried once.
 */
export function lookAtWorkingDirectory(
  path: string,
): string | undefined | typeof NOT_ALLOWED_TO_LOOK {
  // Queried, never asked for: a request would stop the run at a prompt on a terminal.
  if (!isGranted({ name: "read", path })) return NOT_ALLOWED_TO_LOOK;
  try {
    if (Deno.statSync(path).isDirectory) return undefined;
    return notADirectory(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return doesNotExist(path);
    // A file on the way (`file/sub`): named, as `cd` would, rather than the path as a whole,
    // which is no file either.
    if (error instanceof Deno.errors.NotADirectory) {
      const file = fileOnTheWay(path);
      return file === undefined
        ? notADirectory(path)
        : `${doesNotExist(path)}: ${file} is not a directory`;
    }
    if (error instanceof Deno.errors.NotCapable) return undefined;
    return `working directory ${path} cannot be used: ${osErrorReason(error)}`;
  }
}

/**
 * The working directory's problem in the message of a spawn that failed, worded as
 * {@linkcode workingDirectoryProblem} words it, or `undefined` when the message is about
 * something else: Deno looks at the directory before it spawns, needing no permission for it,
 * where dagrun may not look itself (no read permission for it).
 */
export function spawnWorkingDirectoryProblem(message: string, path: string): string | undefined {
  if (/^Failed to spawn '.*?': No such cwd '/s.test(message)) return doesNotExist(path);
  if (/^Failed to spawn '.*?': cwd is not a directory '/s.test(message)) return notADirectory(path);
  return undefined;
}

/**
 * The first directory of an absolute `path` that is no directory (a file of that name), or
 * `undefined` when there is none or dagrun may not look (queried, never asked for).
 */
function fileOnTheWay(path: string): string | undefined {
  const parts = path.split("/");
  for (let end = 2; end < parts.length; end++) {
    const ancestor = parts.slice(0, end).join("/");
    if (!isGranted({ name: "read", path: ancestor })) return undefined;
    try {
      if (!Deno.statSync(ancestor).isDirectory) return ancestor;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function doesNotExist(path: string): string {
  return `working directory ${path} does not exist`;
}

function notADirectory(path: string): string {
  return `working directory ${path} is not a directory`;
}
