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

import { type AjvExports, loadAjv, loadedAjv } from "./deps.ts";
import { isAbsolutePath, resolvePath } from "./paths.ts";
import { quote, type SourcePosition, TaskFileError } from "./errors.ts";
import type { TaskFile } from "./load.ts";
import type { ExecutorRegistry } from "./registry.ts";
import type { Executor } from "./types.ts";

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
export interface ExecutorModuleOptions {
  /** Directory a relative path resolves against; the working directory by default. */
  readonly baseDir?: string;
}

/** Where each plugin executor came from, for messages about clashes. */
const sources = new WeakMap<Executor, string>();

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
 */
export async function importExecutors(
  specifier: string,
  options: ExecutorModuleOptions = {},
): Promise<Executor[]> {
  const fail = moduleFailure(specifier);
  return await loadModule(specifier, options.baseDir ?? Deno.cwd(), fail);
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
 */
export async function registerExecutorModules(
  registry: ExecutorRegistry,
  specifiers: readonly string[],
  options: ExecutorModuleOptions = {},
): Promise<void> {
  for (const specifier of specifiers) {
    const fail = moduleFailure(specifier);
    const executors = await loadModule(specifier, options.baseDir ?? Deno.cwd(), fail);
    for (const executor of executors) registerPlugin(registry, executor, specifier, fail);
  }
}

/**
 * Loads the plugins a task file names in its top-level `"executors"` map (task type to
 * module, resolved relative to the file) into `registry`.
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
 * @throws {TaskFileError} at the entry's position for a bad module, a module without an
 * executor of that type, or a clash of types.
 */
export async function registerTaskFileExecutors(
  taskFile: TaskFile,
  registry: ExecutorRegistry,
): Promise<void> {
  for (const [type, specifier] of declaredExecutors(taskFile)) {
    const position: SourcePosition = taskFile.locate(["executors", type]);
    const fail = (detail: string): never => {
      throw new TaskFileError(`executor module ${quote(specifier)}: ${detail}`, {
        file: taskFile.file,
        position,
      });
    };
    const executors = await loadModule(specifier, taskFile.baseDir, fail);
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

/** Throws the error for a module named outside a task file: the module is the place. */
function moduleFailure(specifier: string): (detail: string) => never {
  return (detail) => {
    throw new TaskFileError(detail, { file: `executor module ${quote(specifier)}` });
  };
}

/** The task file's `"executors"` entries, type to module specifier. */
export function declaredExecutors(taskFile: TaskFile): [string, string][] {
  const map = taskFile.document.executors;
  if (map === null || typeof map !== "object" || Array.isArray(map)) return [];
  return Object.entries(map).filter((entry): entry is [string, string] =>
    typeof entry[1] === "string"
  );
}

/** A module specifier as a URL: URLs as they are, paths resolved against `baseDir`. */
export async function moduleUrl(specifier: string, baseDir: string): Promise<string> {
  // Two letters at least before the colon, so a Windows drive (`C:\`) reads as a path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(specifier)) return specifier;
  // Only for plugins: not worth its start-up cost on every run.
  const { pathToFileURL } = await import("node:url");
  // An absolute file URL: a compiled binary can import a file from disk only this way.
  return pathToFileURL(isAbsolutePath(specifier) ? specifier : resolvePath(baseDir, specifier))
    .href;
}

async function loadModule(
  specifier: string,
  baseDir: string,
  fail: (detail: string) => never,
): Promise<Executor[]> {
  const url = await moduleUrl(specifier, baseDir);
  if (url.startsWith("file:")) await checkFile(new URL(url), fail);
  let module: Record<string, unknown>;
  try {
    // The module is the user's choice, known only now (`deno publish` warns of this, rightly).
    module = await import(url);
  } catch (error) {
    fail(`cannot load: ${firstLine(error)}`);
  }
  if (!("default" in module!)) {
    fail("has no default export; export an executor or an array of executors as default");
  }
  const exported = module!.default;
  const executors = Array.isArray(exported) ? exported : [exported];
  if (executors.length === 0) fail("its default export is an empty array");
  // Argument schemas are compiled once here, to refuse a bad one early: ajv is needed.
  if (executors.some((executor) => executor?.argumentsSchema !== undefined)) await loadAjv();
  executors.forEach((executor, index) => checkExecutor(executor, index, executors.length, fail));
  return executors as Executor[];
}

async function checkFile(url: URL, fail: (detail: string) => never): Promise<void> {
  try {
    const info = await Deno.stat(url);
    if (info.isDirectory) fail("cannot load: it is a directory");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) fail("cannot load: no such file");
    if (error instanceof Deno.errors.PermissionDenied) fail("cannot load: permission denied");
    if (error instanceof TaskFileError) throw error;
  }
}

/** Made at the first plugin with a schema, once ajv is loaded. */
let schemaChecker: InstanceType<AjvExports["Ajv"]> | undefined;

/** Refuses anything that is not an executor, with what is wrong with it. */
function checkExecutor(
  value: unknown,
  index: number,
  count: number,
  fail: (detail: string) => never,
): void {
  const what = count > 1 ? `default export [${index}]` : "default export";
  if (value === null || typeof value !== "object") {
    fail(`${what} is not an executor (an object with "type" and run())`);
  }
  const executor = value as Partial<Executor>;
  if (typeof executor.type !== "string" || executor.type.trim() === "") {
    fail(`${what} is not an executor: "type" must be a non-empty string`);
  }
  if (typeof executor.run !== "function") {
    fail(`${what} (type ${quote(executor.type!)}) is not an executor: it has no run() function`);
  }
  const schema = executor.argumentsSchema;
  if (schema === undefined) return;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    fail(`executor ${quote(executor.type!)}: "argumentsSchema" must be a JSON Schema object`);
  }
  try {
    schemaChecker ??= new (loadedAjv().Ajv)({ allErrors: false, strict: false });
    schemaChecker.compile(schema);
  } catch (error) {
    fail(`executor ${quote(executor.type!)}: invalid argumentsSchema: ${firstLine(error)}`);
  }
}

function registerPlugin(
  registry: ExecutorRegistry,
  executor: Executor,
  source: string,
  fail: (detail: string) => never,
): void {
  const existing = registry.get(executor.type);
  if (existing && existing !== executor && executor.override !== true) {
    const owner = sources.get(existing);
    fail(
      `type ${quote(executor.type)} is already registered ${
        owner === undefined ? "as a built-in" : `by ${quote(owner)}`
      }; set "override: true" on the executor to replace it`,
    );
  }
  registry.register(executor, { override: true });
  if (!sources.has(executor)) sources.set(executor, source);
}

/** An error message on one line: its first line, plus the root cause Deno lists after it. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const first = lines[0] ?? "unknown error";
  const causes = lines.slice(1).filter((line) => /^\d+: /.test(line));
  if (causes.length === 0) return first;
  return `${first.replace(/\.$/, "")}: ${causes.at(-1)!.replace(/^\d+: /, "")}`;
}
