/**
 * The project's third-party modules (and the costlier `node:` ones), loaded when first needed.
 *
 * Each package is pinned with a full `npm:` specifier in its own file under `deps/`, so the
 * library resolves the same way when `mod.ts` is imported by URL from outside this repository
 * (where our `deno.json` import map does not apply) as it does in a checkout. Nothing here is
 * imported statically: any `npm:` module costs 20 ms or more of start-up, and the command
 * line's common path needs none of them.
 *
 * The `load*()` functions import a module once; the `loaded*()` ones return it synchronously,
 * for code that cannot wait (`parseTaskFile()`, `validate()`): when dagrun is imported as a
 * library, every module is loaded before the importer's code runs, so those stay synchronous;
 * the command line awaits what it needs before each synchronous step.
 *
 * @module
 */

import {
  missingModuleError,
  mistypedModuleError,
  moduleLocation,
  osErrorReason,
  TaskFileError,
} from "./errors.ts";
import { isGranted } from "./permissions.ts";
import type * as JsoncModule from "./deps/jsonc.ts";
import type * as AjvModule from "./deps/ajv.ts";
import type * as AjvDraftsModule from "./deps/ajv_drafts.ts";

export type { JsonNode, JsonParseError } from "./deps/jsonc.ts";
export type { ErrorObject, ValidateFunction } from "./deps/ajv.ts";

/** jsonc-parser's module. */
export type Jsonc = typeof JsoncModule;
/** ajv's module. */
export type AjvExports = typeof AjvModule;
/** ajv's classes for drafts 2019-09 and 2020-12. */
export type AjvDraftsExports = typeof AjvDraftsModule;
/** `node:crypto`'s module. */
export type NodeCrypto = typeof import("node:crypto");

let jsonc: Jsonc | undefined;
let ajv: AjvExports | undefined;
let ajvDrafts: AjvDraftsExports | undefined;
let crypto: NodeCrypto | undefined;

/** Imports jsonc-parser (once). */
export async function loadJsonc(): Promise<Jsonc> {
  return jsonc ??= await importLate<Jsonc>(new URL("../src/deps/jsonc.ts", import.meta.url));
}

/** Imports ajv (once). */
export async function loadAjv(): Promise<AjvExports> {
  return ajv ??= await importLate<AjvExports>(new URL("../src/deps/ajv.ts", import.meta.url));
}

/**
 * Imports ajv's classes for drafts 2019-09 and 2020-12 (once): only for a schema that names
 * one in its `"$schema"` (see `loadAjvFor()` in `schema_compiler.ts`).
 */
export async function loadAjvDrafts(): Promise<AjvDraftsExports> {
  return ajvDrafts ??= await importLate<AjvDraftsExports>(
    new URL("../src/deps/ajv_drafts.ts", import.meta.url),
  );
}

/** Imports `node:crypto` (once). */
export async function loadCrypto(): Promise<NodeCrypto> {
  return crypto ??= await import("node:crypto");
}

/** jsonc-parser, when loaded. @throws {Error} (our bug) when it is not. */
export function loadedJsonc(): Jsonc {
  return jsonc ?? notLoaded("jsonc-parser");
}

/** ajv, when loaded. @throws {Error} (our bug) when it is not. */
export function loadedAjv(): AjvExports {
  return ajv ?? notLoaded("ajv");
}

/** ajv's classes for the later drafts, when loaded. @throws {Error} (our bug) when not. */
export function loadedAjvDrafts(): AjvDraftsExports {
  return ajvDrafts ?? notLoaded("ajv's drafts 2019-09 and 2020-12");
}

/** `node:crypto`, when loaded. @throws {Error} (our bug) when it is not. */
export function loadedCrypto(): NodeCrypto {
  return crypto ?? notLoaded("node:crypto");
}

/**
 * Imports one of our modules that reaches `npm:` packages, by a specifier Deno does not read
 * ahead of time: with a literal one, the packages join the module graph Deno resolves before
 * running anything, which costs about 2 ms of every start-up, needed or not. `deno compile`
 * is told of these modules with `--include` (the compile task in deno.json).
 *
 * Every such URL is written from the repository's root one level up (`../src/…`,
 * `../executors/…`), so that it means the same file in the bundle `dist/dagrun.js`, which
 * also sits one level below the root.
 *
 * A module not found there is looked for again from the real location of the file this code is
 * in, when that was reached through a symbolic link (see {@linkcode beyondSymbolicLink}).
 *
 * @throws {TaskFileError} naming the module, when it is not there (a copy of the bundle away
 * from its checkout) or Deno may not read it.
 */
export function importLate<T>(url: URL): Promise<T> {
  return importFrom<T>(url, true);
}

async function importFrom<T>(url: URL, followLink: boolean): Promise<T> {
  try {
    return await import(url.href);
  } catch (error) {
    const missing = missingModuleError(error);
    // The bundle run through a symbolic link: its modules are beside the file it leads to.
    // Looked for there once: that place is under the link's root too when the checkout is
    // below it (`~/bin/dagrun.js` to `~/dagrun/dist/`), and would be moved again, endlessly.
    const moved = missing && followLink && beyondSymbolicLink(url);
    if (moved) return await importFrom<T>(moved, false);
    // A copy of the bundle run away from its checkout: the module is not beside it.
    if (missing) throw missing;
    // Served with a type Deno does not take for TypeScript: the server's doing, on one line.
    const mistyped = mistypedModuleError(error, url.href);
    if (mistyped) throw mistyped;
    const message = error instanceof Error ? error.message : "";
    // A run allowed less than -A (`--allow-read=tasks.json`) may not read dagrun's own module:
    // Deno's refusal (a TypeError) is the user's to lift, not an internal error of ours.
    if (!/^Requires \w+ access to /.test(message)) throw error;
    throw new TaskFileError(`cannot load dagrun's module: ${osErrorReason(error)}`, {
      file: moduleLocation(url.href),
    });
  }
}

/**
 * The late module `url` (written from the root one level up, see {@linkcode importLate}) for a
 * worker to load, looked for before the worker is made: Deno prints an error of its own, which
 * nothing silences, for each worker whose module it does not find. `url` itself in the sources
 * (the module is beside this one: nothing is looked at) and where it cannot be looked at (not a
 * file, or not readable: the worker then says what is wrong); in the bundle, `url` where it is,
 * else the module beyond a symbolic link (see {@linkcode beyondSymbolicLink}), else
 * `undefined`: a copy of the bundle away from its checkout.
 */
export function lateModuleFile(url: URL): URL | undefined {
  if (import.meta.url.endsWith("/src/deps.ts") || mayBeThere(url)) return url;
  const moved = beyondSymbolicLink(url);
  return moved && mayBeThere(moved) ? moved : undefined;
}

/** Whether there is a file at `url`, or it cannot be told (see {@linkcode lateModuleFile}). */
function mayBeThere(url: URL): boolean {
  if (url.protocol !== "file:") return true;
  const path = decodeURIComponent(url.pathname);
  // Queried, not asked: a prompt on a terminal would stop the run for dagrun's own file.
  if (!isGranted({ name: "read", path })) return true;
  try {
    // A path's realpath makes no file information, whose dates would load the time zone.
    Deno.realPathSync(path);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}

/** The root of the real location of this module's file, once looked for (null: no link). */
let realRoot: string | null | undefined;

/**
 * `url`, a module of dagrun's own under the root (one level above this module's file), as the
 * same path from the root of that file's real location, when the file was reached through a
 * symbolic link (`ln -s ~/dagrun/dist/dagrun.js ~/bin/dagrun.js`): Deno names a module by the
 * path it was run by, links unresolved, so `../src/…` is looked for beside the link. Undefined
 * when there is no link to follow (or it may not be read, or `url` is not under the root).
 * Called only once a module has not been found: a run that finds its modules pays nothing.
 */
function beyondSymbolicLink(url: URL): URL | undefined {
  const root = rootOf(import.meta.url);
  if (!root.startsWith("file:") || !url.href.startsWith(root)) return undefined;
  if (realRoot === undefined) {
    realRoot = null;
    const path = decodeURIComponent(new URL(import.meta.url).pathname);
    if (isGranted({ name: "read", path })) {
      try {
        const real = Deno.realPathSync(path);
        if (real !== path) {
          realRoot = rootOf(`file://${real.split("/").map(encodeURIComponent).join("/")}`);
        }
      } catch {
        // Gone, or not to be looked at: nothing to follow.
      }
    }
  }
  return realRoot === null || realRoot === root
    ? undefined
    : new URL(url.href.slice(root.length), realRoot);
}

function notLoaded(name: string): never {
  throw new Error(`${name} is needed but was not loaded first`);
}

/**
 * Whether this process is the command line: the bundle `dist/dagrun.js`, wherever it is, or
 * `mod.ts` or `src/bin.ts` of the sources, run as the main module.
 *
 * In the bundle this module's code is part of the main module, whose URL is then its own
 * `import.meta.url`: so a copy of the bundle placed anywhere is recognised too, and does not
 * preload, as a library would, the late modules it will not find beside it (`importLate` says
 * what to do instead). (`import.meta.main` would not do: the bundler makes it `false` in every
 * module but the entry, and the entry runs after this one.) In the sources this module is never
 * the main one, and the entry points are recognised by their URLs from the root (the paths hold
 * from `src/`). The bundle's test comes first: one string comparison, its start-up's only one.
 */
export const COMMAND_LINE: boolean = isCommandLine(Deno.mainModule);

function isCommandLine(mainModule: string): boolean {
  return mainModule === import.meta.url ||
    ["mod.ts", "src/bin.ts"].some((entry) => mainModule === rootOf(import.meta.url) + entry);
}

/**
 * The URL of the repository's root, from that of a module one level below it: by string,
 * as the first `new URL()` of a process costs a quarter of a millisecond of start-up.
 */
function rootOf(moduleUrl: string): string {
  return moduleUrl.slice(0, moduleUrl.lastIndexOf("/", moduleUrl.lastIndexOf("/") - 1) + 1);
}

// A library user's synchronous calls must find every module ready (`validate()` may meet an
// executor's schema of any draft); only the command line, which awaits each one where it
// needs it, starts without them.
if (!COMMAND_LINE) await Promise.all([loadJsonc(), loadAjv(), loadAjvDrafts(), loadCrypto()]);
