/**
 * `resolve()` and `dirname()` of file paths without `node:path`, whose import costs several
 * milliseconds of start-up: POSIX rules, written out; on Windows, `node:path` itself.
 *
 * @module
 */

const windowsPath = Deno.build.os === "windows" ? await import("node:path") : undefined;

/**
 * Resolves paths as `node:path`'s `resolve()` does: from the last absolute one (else the
 * working directory), normalized, without a trailing slash.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./paths.ts";
 *
 * resolvePath("/srv/project", "sub/../tasks.json"); // "/srv/project/tasks.json"
 * ```
 */
export function resolvePath(...paths: string[]): string {
  if (windowsPath) return windowsPath.resolve(...paths);
  let start = paths.length - 1;
  while (start >= 0 && !paths[start]!.startsWith("/")) start--;
  const parts = start < 0 ? [Deno.cwd(), ...paths] : paths.slice(start);
  const segments: string[] = [];
  for (const part of parts) {
    for (const segment of part.split("/")) {
      if (segment === "" || segment === ".") continue;
      if (segment === "..") segments.pop();
      else segments.push(segment);
    }
  }
  return `/${segments.join("/")}`;
}

/**
 * The directory of a path that {@linkcode resolvePath} returned, as `node:path`'s `dirname()`
 * has it.
 *
 * @example
 * ```ts
 * import { directoryOf } from "./paths.ts";
 *
 * directoryOf("/srv/project/tasks.json"); // "/srv/project"
 * ```
 */
export function directoryOf(resolved: string): string {
  if (windowsPath) return windowsPath.dirname(resolved);
  const slash = resolved.lastIndexOf("/");
  return slash <= 0 ? "/" : resolved.slice(0, slash);
}

/**
 * Whether a path is absolute.
 *
 * @example
 * ```ts
 * import { isAbsolutePath } from "./paths.ts";
 *
 * isAbsolutePath("/srv"); // true
 * ```
 */
export function isAbsolutePath(path: string): boolean {
  return windowsPath ? windowsPath.isAbsolute(path) : path.startsWith("/");
}
