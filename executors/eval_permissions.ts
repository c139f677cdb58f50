/**
 * Permissions of eval workers: parsing `--eval-permissions`, and finding out whether this
 * process may give a worker its own permissions at all.
 *
 * The worker option `deno.permissions` is unstable: without `--unstable-worker-options`
 * (or `"unstable": ["worker-options"]` in deno.json), constructing such a worker ends the
 * whole process with exit code 70, which no `try` can catch. So the flag is looked for
 * beforehand, where it can be: on the command line and in the one configuration file Deno
 * reads (see `deno_config.ts`).
 *
 * @module
 */

import { enablesUnstable, unstableConfigFile } from "./deno_config.ts";
import { permissionValueProblem } from "./eval_permission_values.ts";
import { describeValue } from "../src/errors.ts";
import { isGranted } from "../src/permissions.ts";

/**
 * The permissions of eval workers: Deno's `deno.permissions` worker option.
 *
 * @example
 * ```ts
 * import { type EvalPermissions, parseEvalPermissions } from "@dagrun/dagrun";
 *
 * const permissions: EvalPermissions = parseEvalPermissions("read,net=example.com");
 * ```
 */
export type EvalPermissions = Deno.PermissionOptions;

/** The permission names a worker's permission object takes. */
export const PERMISSION_NAMES = [
  "env",
  "ffi",
  "import",
  "net",
  "read",
  "run",
  "sys",
  "write",
] as const;

type PermissionName = typeof PERMISSION_NAMES[number];

const isPermissionName = (text: string): text is PermissionName =>
  (PERMISSION_NAMES as readonly string[]).includes(text);

/**
 * Parses a permission set as `--eval-permissions` takes it: `inherit`, `none`, or a comma
 * separated list of names, each granting that permission fully, or `name=value` granting it
 * for those values only; further values of the same name follow after commas, as in Deno's
 * own flags: `read=/tmp,/var,net=example.com`. A name given twice gets the values of both.
 * Permissions not named are denied. Each value is checked as Deno's workers check it (a
 * host for `net`, a known kind for `sys`…), so that a bad one is found before the run,
 * not at its first eval task.
 *
 * @example
 * ```ts
 * import { parseEvalPermissions } from "@dagrun/dagrun";
 * parseEvalPermissions("read,net=example.com"); // { read: true, net: ["example.com"] }
 * ```
 *
 * @throws {TypeError} for an empty list, an unknown name or a value Deno would refuse,
 * naming the item: `Invalid eval permission 'net=a b': invalid host 'a b'`.
 */
export function parseEvalPermissions(text: string): EvalPermissions {
  const trimmed = text.trim();
  if (trimmed === "inherit" || trimmed === "none") return trimmed;
  const permissions: Partial<Record<PermissionName, true | string[]>> = {};
  // The permission the values after a comma belong to: the last one given as name=value.
  let current: PermissionName | undefined;
  for (const raw of trimmed.split(",")) {
    const item = raw.trim();
    const [name = "", value] = splitOnce(item, "=");
    if (isPermissionName(name) && value === undefined) {
      permissions[name] = true;
      current = undefined;
      continue;
    }
    // `env=A=B,C=D`: C=D is another variable, not a permission named C.
    const [permission, given] = isPermissionName(name) ? [name, value!] : [current, item];
    if (permission === undefined || item === "") {
      throw new TypeError(
        `Invalid eval permission '${item}': expected inherit, none, or a list of ` +
          `${PERMISSION_NAMES.join(", ")} (optionally name=value)`,
      );
    }
    const problem = given === ""
      ? "expected a value after '='"
      : permissionValueProblem(permission, given);
    if (problem) {
      throw new TypeError(`Invalid eval permission '${permission}=${given}': ${problem}`);
    }
    const values = permissions[permission];
    if (values !== true) permissions[permission] = [...values ?? [], given];
    current = permission;
  }
  return permissions as EvalPermissions;
}

/**
 * `--eval-permissions` checked whole before the run: parsed as {@linkcode parseEvalPermissions}
 * parses it (each value checked as Deno's workers check it), then asked of this process,
 * which cannot give a worker more than it has. The result is frozen and known to be checked,
 * so that {@linkcode checkEvalPermissions} (`createEvalExecutor`) does not check it again.
 *
 * @example
 * ```ts
 * import { parseGrantedEvalPermissions } from "./eval_permissions.ts";
 * parseGrantedEvalPermissions("none"); // "none"
 * ```
 *
 * @throws {TypeError} as {@linkcode parseEvalPermissions} does.
 * @throws {Deno.errors.NotCapable} for a permission this process lacks, naming it:
 * `Invalid eval permission 'net=example.com': dagrun itself was not given it`.
 */
export function parseGrantedEvalPermissions(text: string): EvalPermissions {
  const permissions = parseEvalPermissions(text);
  const missing = ungranted(permissions);
  if (missing) {
    throw new Deno.errors.NotCapable(
      `Invalid eval permission '${missing}': dagrun itself was not given it`,
    );
  }
  if (typeof permissions === "object") {
    for (const value of Object.values(permissions)) {
      if (Array.isArray(value)) Object.freeze(value);
    }
    checked.add(Object.freeze(permissions));
  }
  return permissions;
}

/** Permission objects already checked whole, and frozen so that they stay as checked. */
const checked = new WeakSet<object>();

function splitOnce(text: string, separator: string): [string, string?] {
  const index = text.indexOf(separator);
  return index === -1 ? [text] : [text.slice(0, index), text.slice(index + 1)];
}

/**
 * Checks permissions given as a value, as the library takes them: `inherit`, `none`, or an
 * object with any of the eight names, each `"inherit"`, a boolean or a list of values that
 * Deno's workers take; and that this process has what it would give (Deno refuses to give a
 * worker more, and only when the worker is made). Returns them as they are.
 *
 * @throws {TypeError} for a value Deno would refuse or an unknown name (Deno ignores it, so a
 * misspelt name would silently deny the permission).
 * @throws {Deno.errors.NotCapable} for a permission this process lacks.
 */
export function checkEvalPermissions(permissions: unknown): EvalPermissions {
  if (typeof permissions === "object" && permissions !== null && checked.has(permissions)) {
    return permissions as EvalPermissions;
  }
  const problem = shapeProblem(permissions);
  if (problem) throw new TypeError(`Invalid eval permissions: ${problem}`);
  const missing = ungranted(permissions as EvalPermissions);
  if (missing) {
    throw new Deno.errors.NotCapable(
      `Cannot give eval tasks '${missing}': dagrun itself was not given it`,
    );
  }
  return permissions as EvalPermissions;
}

function shapeProblem(permissions: unknown): string | undefined {
  if (permissions === "inherit" || permissions === "none") return undefined;
  if (typeof permissions !== "object" || permissions === null || Array.isArray(permissions)) {
    return `expected "inherit", "none" or an object, not ${describeValue(permissions)}`;
  }
  for (const [name, value] of Object.entries(permissions)) {
    if (!isPermissionName(name)) {
      return `unknown permission '${name}' (expected ${PERMISSION_NAMES.join(", ")})`;
    }
    if (value === undefined || value === "inherit" || typeof value === "boolean") continue;
    if (!Array.isArray(value)) {
      return `${name}: expected "inherit", a boolean or a list, not ${describeValue(value)}`;
    }
    for (const item of value) {
      const problem = permissionValueProblem(name, item);
      if (problem) return `${name}: ${problem}`;
    }
  }
  return undefined;
}

/**
 * The first permission, as `name` or `name=value`, that a worker would be given but this
 * process lacks; `undefined` when it has all. A value Deno's query does not take (it is
 * stricter than the worker: `*.example.com`) is left for the worker to judge.
 */
function ungranted(permissions: EvalPermissions): string | undefined {
  if (typeof permissions === "string") return undefined;
  for (const name of PERMISSION_NAMES) {
    const value = permissions[name];
    if (value === true && !isGranted({ name })) return name;
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      const text = item instanceof URL ? decodeURIComponent(item.pathname) : item;
      const key = DESCRIPTOR_KEYS[name];
      if (!isGranted({ name, [key]: text } as Deno.PermissionDescriptor)) return `${name}=${text}`;
    }
  }
  return undefined;
}

/** The field of a permission descriptor that holds a value of each permission. */
const DESCRIPTOR_KEYS: Record<PermissionName, string> = {
  env: "variable",
  ffi: "path",
  import: "host",
  net: "host",
  read: "path",
  run: "command",
  sys: "kind",
  write: "path",
};

/** Whether a permission set asks for a sandbox, that is anything but `inherit`. */
export function isSandbox(permissions: EvalPermissions | undefined): boolean {
  return permissions !== undefined && permissions !== "inherit";
}

/**
 * Whether workers may be given their own permissions in this process: `true` when the
 * unstable flag is on the command line or in the configuration file Deno reads, `false` when it is
 * certainly off, `undefined` when it cannot be told (a compiled program, whose flags are
 * baked in; a system without `/proc`; no permission to look).
 */
export function workerOptionsEnabled(): boolean | undefined {
  // Looked up once: Deno read its flags and configuration when the process started, and the
  // command line asks before the run, the executor again when it is made.
  return (workerOptions ??= { enabled: lookUpWorkerOptions() }).enabled;
}

let workerOptions: { enabled: boolean | undefined } | undefined;

function lookUpWorkerOptions(): boolean | undefined {
  const args = commandLine();
  if (args === undefined) return undefined;
  if (args.includes("--unstable-worker-options")) return true;
  if (args.includes("--no-config")) return false;
  // Only the one file Deno reads: another one farther up, turning the flag on, once made us
  // believe it on, and Deno then ended the run at the first sandboxed worker.
  const config = unstableConfigFile(args);
  return config !== undefined && enablesUnstable(config, "worker-options");
}

/**
 * Deno's part of the process's command line (up to the main module), or `undefined` when
 * unknown. The program's own arguments, `Deno.args`, end the command line: left out, so that
 * one spelled like a flag of Deno's (a task's name) is not taken for it.
 */
function commandLine(): string[] | undefined {
  const exe = Deno.execPath().split(/[\\/]/).pop() ?? "";
  if (!/^deno(\.exe)?$/.test(exe)) return undefined; // compiled: its flags are baked in
  let args: string[];
  try {
    // NUL-terminated arguments: the last split is the empty string after the last.
    args = Deno.readTextFileSync("/proc/self/cmdline").split("\0").slice(0, -1);
  } catch {
    return undefined;
  }
  const own = Deno.args.length;
  const matches = own <= args.length &&
    Deno.args.every((arg, i) => args[args.length - own + i] === arg);
  // Not a `deno run` whose arguments end the line (`deno test`, say): all of it, as before.
  return matches ? args.slice(0, args.length - own) : args;
}
