/**
 * Loading executor plugins: modules whose default export is an executor or an array of them,
 * named with `--executor MODULE` or in a task file's `"executors"` map.
 *
 * Every failure is a {@linkcode TaskFileError} naming the module (and, for the task file's map,
 * its position), so the command line reports it on one line with exit status 2 before
 * anything runs.
 *
 * @module
 */

import { quote, type SourcePosition, TaskFileError } from "./errors.ts";
import { checkedWaitMs } from "./suspension.ts";
import type { TaskFile } from "./load.ts";
import type { ExecutorRegistry } from "./registry.ts";
import type { Executor } from "./types.ts";

/** The loading itself, imported once a plugin is named (most runs name none). */
const loader = () => import("./plugin_loader.ts");

/**
 * Options of {@linkcode importExecutors} and {@linkcode registerExecutorModules}.
 *
 * @example
 * ```ts
 * import type { ExecutorModuleOptions } from "@dagrun/dagrun";
 *
 * const options: ExecutorModuleOptions = { baseDir: "/srv/plugins" };
 * ```
 */
export interface ExecutorModuleOptions extends ModuleLoadOptions {
  /** Directory a relative path resolves against; the working directory by default. */
  readonly baseDir?: string;
}

/**
 * How long loading a plugin module may take: the option of every function that loads them,
 * {@linkcode registerTaskFileExecutors} and `run()` (for a task file's `"executors"`)
 * included.
 *
 * @example
 * ```ts
 * import type { ModuleLoadOptions } from "@dagrun/dagrun";
 *
 * const options: ModuleLoadOptions = { loadTimeoutMs: 5_000 };
 * ```
 */
export interface ModuleLoadOptions {
  /**
   * How long loading one module may take, in milliseconds, before it fails as not loaded
   * (a server that never answers, a top-level `await` that never settles); 60,000 by default,
   * `Infinity` for no limit. A negative number or `NaN` is a `RangeError`.
   */
  readonly loadTimeoutMs?: number;
}

/**
 * Checks a `loadTimeoutMs` before anything is loaded: a negative one would fail every load at
 * once, and `NaN` would be no limit.
 *
 * @throws {TypeError} for one that is not a number; `RangeError` for one below 0 or
 * `NaN`.
 */
export function checkLoadTimeout(loadTimeoutMs: number | undefined): void {
  // The default is the loader's own; only a given value needs checking.
  if (loadTimeoutMs !== undefined) checkedWaitMs("loadTimeoutMs", loadTimeoutMs, 0);
}

/**
 * Imports a plugin module and returns its executors: its default export, an executor or an
 * array of them. `specifier` is a URL (`https:`, `file:`, `npm:`, ...) or a path, relative
 * to `baseDir`.
 *
 * @example
 * ```ts
 * import { importExecutors } from "@dagrun/dagrun";
 *
 * const [http] = await importExecutors("./executors/http.ts");
 * http?.type; // "http"
 * ```
 *
 * @throws {TaskFileError} naming the module when it cannot be loaded or exports no executor.
 * @throws {RangeError} for a `loadTimeoutMs` below 0 or `NaN`.
 */
export async function importExecutors(
  specifier: string,
  options: ExecutorModuleOptions = {},
): Promise<Executor[]> {
  checkLoadTimeout(options.loadTimeoutMs);
  const { loadModule, moduleFailure } = await loader();
  return await loadModule(
    specifier,
    options.baseDir ?? Deno.cwd(),
    moduleFailure(specifier),
    options.loadTimeoutMs,
  );
}

/**
 * Loads plugin modules, as `--executor` does, and registers every executor they export.
 *
 * A plugin may not take a type that is already registered (a built-in or another plugin's)
 * unless the executor says `override: true`.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, registerExecutorModules } from "@dagrun/dagrun";
 *
 * const registry = createDefaultRegistry();
 * await registerExecutorModules(registry, ["./executors/http.ts"]);
 * registry.types(); // ["eval", "exec", "http"]
 * ```
 *
 * @throws {TaskFileError} naming the module for a bad module or a clash of types.
 * @throws {RangeError} for a `loadTimeoutMs` below 0 or `NaN`.
 */
export async function registerExecutorModules(
  registry: ExecutorRegistry,
  specifiers: readonly string[],
  options: ExecutorModuleOptions = {},
): Promise<void> {
  checkLoadTimeout(options.loadTimeoutMs);
  if (specifiers.length === 0) return;
  const { loadModule, moduleFailure, registerPlugin } = await loader();
  for (const specifier of specifiers) {
    const fail = moduleFailure(specifier);
    const executors = await loadModule(
      specifier,
      options.baseDir ?? Deno.cwd(),
      fail,
      options.loadTimeoutMs,
    );
    for (const executor of executors) registerPlugin(registry, executor, specifier, fail);
  }
}

/**
 * Loads the plugins a task file names in its top-level `"executors"` map (task type to
 * module, resolved relative to the file) into `registry`, each within `loadTimeoutMs`.
 *
 * @example
 * ```ts
 * import { createDefaultRegistry, parseTaskFile, registerTaskFileExecutors } from "@dagrun/dagrun";
 *
 * const taskFile = parseTaskFile(JSON.stringify({
 *   executors: { http: "./executors/http.ts" },
 *   tasks: [{ name: "ping", type: "http", arguments: { url: "http://127.0.0.1:8000/" } }],
 * }));
 * const registry = createDefaultRegistry();
 * await registerTaskFileExecutors(taskFile, registry);
 * registry.has("http"); // true
 * ```
 *
 * @throws {TaskFileError} at the entry's position for a bad module (one not loaded within
 * `loadTimeoutMs` too), a module without an executor of that type, or a clash of types.
 * @throws {RangeError} for a `loadTimeoutMs` below 0 or `NaN`.
 */
export async function registerTaskFileExecutors(
  taskFile: TaskFile,
  registry: ExecutorRegistry,
  options: ModuleLoadOptions = {},
): Promise<void> {
  checkLoadTimeout(options.loadTimeoutMs);
  const declared = declaredExecutors(taskFile);
  if (declared.length === 0) return;
  const { loadModule, registerPlugin } = await loader();
  for (const [type, specifier] of declared) {
    const position: SourcePosition = taskFile.locate(["executors", type]);
    const fail = (detail: string): never => {
      throw new TaskFileError(`executor module ${quote(specifier)}: ${detail}`, {
        file: taskFile.file,
        position,
      });
    };
    const executors = await loadModule(specifier, taskFile.baseDir, fail, options.loadTimeoutMs);
    const executor = executors.find((candidate) => candidate.type === type);
    if (!executor) {
      fail(
        `has no executor of type ${quote(type)}; it has ${
          executors.map((candidate) => quote(candidate.type)).join(", ")
        }`,
      );
    }
    registerPlugin(registry, executor!, specifier, fail);
  }
}

/** The task file's `"executors"` entries, type to module specifier. */
export function declaredExecutors(taskFile: TaskFile): [string, string][] {
  const map = taskFile.document.executors;
  if (map === null || typeof map !== "object" || Array.isArray(map)) return [];
  return Object.entries(map).filter((entry): entry is [string, string] =>
    typeof entry[1] === "string"
  );
}
