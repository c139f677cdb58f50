/**
 * Loading plugin modules: what `plugins.ts` does once a run names any. Kept apart so that a
 * run without plugins does not load it.
 *
 * @module
 */

import { compileArgumentsSchema, loadAjvFor } from "./schema_compiler.ts";
import { isAbsolutePath, resolvePath } from "./paths.ts";
import { osErrorReason, quote, TaskFileError } from "./errors.ts";
import { MAX_DURATION_MS } from "./duration.ts";
import { executorProblem, type ExecutorRegistry } from "./registry.ts";
import type { Executor } from "./types.ts";

/** Where each plugin executor came from, for messages about clashes. */
const sources = new WeakMap<Executor, string>();

/** Throws the error for a module named outside a task file: the module is the place. */
export function moduleFailure(specifier: string): (detail: string) => never {
  return (detail) => {
    throw new TaskFileError(detail, { file: `executor module ${quote(specifier)}` });
  };
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

/**
 * How long loading a plugin module may take, in milliseconds, before it is given up: a server
 * that never answers, or a module whose top-level `await` never settles, would otherwise hold
 * the run forever (or end it with Deno's own stack trace).
 */
export const MODULE_LOAD_TIMEOUT_MS = 60_000;

/** Imports a plugin module and checks its default export: the executors. */
export async function loadModule(
  specifier: string,
  baseDir: string,
  fail: (detail: string) => never,
  timeoutMs = MODULE_LOAD_TIMEOUT_MS,
): Promise<Executor[]> {
  // An empty path would name the base directory itself.
  if (specifier.trim() === "") fail("cannot load: the module path is empty");
  const url = await moduleUrl(specifier, baseDir);
  if (url.startsWith("file:")) await checkFile(new URL(url), fail);
  let module: Record<string, unknown>;
  try {
    // The module is the user's choice, known only now (`deno publish` warns of this, rightly).
    module = await withTimeout(import(url), timeoutMs);
  } catch (error) {
    fail(`cannot load: ${await loadFailure(error, baseDir)}`);
  }
  try {
    if (!("default" in module!)) {
      fail("has no default export; export an executor or an array of executors as default");
    }
    const exported = module!.default;
    const executors = Array.isArray(exported) ? exported : [exported];
    if (executors.length === 0) fail("its default export is an empty array");
    // Argument schemas are compiled once here, to refuse a bad one early: ajv is needed (and
    // its classes for the later drafts, for a schema of one).
    const schemas = executors.map((executor) => executor?.argumentsSchema)
      .filter((schema) => schema !== undefined);
    if (schemas.length > 0) await loadAjvFor(schemas);
    executors.forEach((executor, index) => checkExecutor(executor, index, executors.length, fail));
    return executors as Executor[];
  } catch (error) {
    if (error instanceof TaskFileError) throw error;
    // A getter or a proxy that throws when the export is looked at.
    fail(`its default export cannot be read: ${firstLine(error)}`);
  }
}

/**
 * The promise's outcome, or a rejection after `ms`. The timer is not unref'd on purpose: it
 * keeps the event loop alive, so that a module that never finishes loading ends here, with
 * a message, rather than in Deno's report of a top-level `await` that never settled.
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  // Past a timer's range (2^31 - 1 ms, Infinity) a timer would fire at once: no limit then.
  if (!(ms <= MAX_DURATION_MS)) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `not loaded after ${ms / 1000}s (no answer, or a top-level await that never settles)`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function checkFile(url: URL, fail: (detail: string) => never): Promise<void> {
  try {
    const info = await Deno.stat(url);
    if (info.isDirectory) fail("cannot load: it is a directory");
  } catch (error) {
    // Worded as every OS error dagrun reports: "no such file or directory".
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      fail(`cannot load: ${osErrorReason(error)}`);
    }
    if (error instanceof TaskFileError) throw error;
  }
}

/** Refuses anything that is not an executor, with what is wrong with it. */
function checkExecutor(
  value: unknown,
  index: number,
  count: number,
  fail: (detail: string) => never,
): void {
  const what = count > 1 ? `default export [${index}]` : "default export";
  // Worded as ExecutorRegistry.register() words it: both ways of registering must agree.
  const problem = executorProblem(value);
  if (problem !== undefined) {
    // Named by its type when it has a usable one (`default export (type "x") is not …`).
    const named = problem.type === undefined ? "" : ` (type ${quote(problem.type)})`;
    fail(`${what}${named} is not an executor: ${problem.reason}`);
  }
  const executor = value as Partial<Executor>;
  const schema = executor.argumentsSchema;
  if (schema === undefined) return;
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    fail(`executor ${quote(executor.type!)}: "argumentsSchema" must be a JSON Schema object`);
  }
  try {
    // The instance check.ts compiles with: ajv caches by schema, so the task check that
    // follows compiles nothing again.
    compileArgumentsSchema(schema);
  } catch (error) {
    fail(`executor ${quote(executor.type!)}: ${(error as Error).message}`);
  }
}

/** Registers a plugin executor, refusing to take a registered type without `override`. */
export function registerPlugin(
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

/**
 * Why a module did not load, on one line. Deno's message for a syntax error, or for an import
 * that is not found, shows the source line and ends with `at URL:LINE:COL`: the first line
 * alone lost the place, and with it which module of the plugin's graph is at fault. The place
 * is kept, a file under `baseDir` shown as the user would name it (`./lib/x.ts`).
 */
async function loadFailure(error: unknown, baseDir: string): Promise<string> {
  // The place comes coloured when Deno thinks colours are wanted ("Module not found").
  const message = (error instanceof Error ? error.message : String(error))
    // deno-lint-ignore no-control-regex -- the escape of a colour is what is taken out
    .replace(/\x1b\[[0-9;]*m/g, "");
  const first = firstLine(message);
  // Deno's own place for a syntax error or a missing import ends its message. An error the
  // plugin's code threw as it loaded (a missing setting, say) has its place in its stack, and
  // is named by its class, as Deno would print it.
  const given = /\n\s*at (\S+):(\d+):(\d+)\s*$/.exec(message)?.slice(1);
  // A syntax error that V8 finds as it compiles the module, past Deno's parser (a name
  // declared twice; TypeScript served as a type Deno does not know, which it reads as
  // JavaScript), is a SyntaxError whose one line ends with the place: named and placed as
  // Deno's parser's are, not left as a bare sentence and a file URL.
  const compiled = given || !(error instanceof SyntaxError)
    ? undefined
    : /^(.*) at (\S+):(\d+):(\d+)$/.exec(first)?.slice(1);
  if (compiled) {
    const [text, url = "", line, column] = compiled;
    return `${(error as SyntaxError).name}: ${text} at ${await shownModule(
      url,
      baseDir,
    )}:${line}:${column}`;
  }
  const thrown = given || !(error instanceof Error) ? undefined : thrownAt(error.stack ?? "");
  const [url, line, column] = given ?? thrown ?? [];
  if (url === undefined) return first;
  const what = thrown && (error as Error).name ? `${(error as Error).name}: ${first}` : first;
  return `${what} at ${await shownModule(url, baseDir)}:${line}:${column}`;
}

/** Where dagrun's own modules are, from the sources or the bundle alike. */
const OWN_MODULES = ["src/", "executors/", "dist/"].map((directory) =>
  new URL(`../${directory}`, import.meta.url).href
);

/**
 * The place of a stack's first frame in a module that is not dagrun's (`[url, line, column]`),
 * or `undefined` when there is none: an error made by dagrun itself (a load's timeout) or by
 * the runtime is not the plugin's.
 */
function thrownAt(stack: string): [string, string, string] | undefined {
  for (const frame of stack.split("\n")) {
    const place = /^\s+at (?:.*\()?((?:file|https?):\/\/[^\s()]+):(\d+):(\d+)\)?$/.exec(frame);
    if (!place) continue;
    const [, url = "", line = "", column = ""] = place;
    return OWN_MODULES.some((own) => url.startsWith(own)) ? undefined : [url, line, column];
  }
  return undefined;
}

/** A module's URL as a message shows it: a file under `baseDir` relative to it, else as is. */
async function shownModule(url: string, baseDir: string): Promise<string> {
  if (!url.startsWith("file:")) return url;
  const [{ fileURLToPath }, { isAbsolute, relative }] = await Promise.all([
    import("node:url"),
    import("node:path"),
  ]);
  const path = fileURLToPath(url);
  const within = relative(resolvePath(baseDir), path);
  return within.startsWith("..") || isAbsolute(within) ? path : `./${within}`;
}

/** An error message on one line: its first line, plus the root cause Deno lists after it. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const first = lines[0] ?? "unknown error";
  // A line ending in a colon introduces a list (Deno's supported schemes): joined, it stays.
  if (first.endsWith(":") && lines.length > 1) {
    return `${first} ${lines.slice(1).map((line) => line.replace(/^- /, "")).join(", ")}`;
  }
  const causes = lines.slice(1).filter((line) => /^\d+: /.test(line));
  if (causes.length === 0) return first;
  return `${first.replace(/\.$/, "")}: ${causes.at(-1)!.replace(/^\d+: /, "")}`;
}
