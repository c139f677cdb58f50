/**
 * Permissions of eval workers: parsing `--eval-permissions`, and finding out whether this
 * process may give a worker its own permissions at all.
 *
 * The worker option `deno.permissions` is unstable: without `--unstable-worker-options`
 * (or `"unstable": ["worker-options"]` in deno.json), constructing such a worker ends the
 * whole process with exit code 70, which no `try` can catch. So the flag is looked for
 * beforehand, where it can be: on the command line and in the configuration files.
 *
 * @module
 */

import { loadedJsonc } from "../src/deps.ts";

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
 * own flags: `read=/tmp,/var,net=example.com`. Permissions not named are denied.
 *
 * @example
 * ```ts
 * import { parseEvalPermissions } from "@dagrun/dagrun";
 * parseEvalPermissions("read,net=example.com"); // { read: true, net: ["example.com"] }
 * ```
 *
 * @throws {TypeError} for an empty list or an unknown name.
 */
export function parseEvalPermissions(text: string): EvalPermissions {
  const trimmed = text.trim();
  if (trimmed === "inherit" || trimmed === "none") return trimmed;
  const permissions: Record<string, true | string[]> = {};
  let current: string[] | undefined;
  for (const item of trimmed.split(",")) {
    const [name = "", value] = splitOnce(item.trim(), "=");
    if (isPermissionName(name)) {
      current = value === undefined ? undefined : [value];
      permissions[name] = current ?? true;
    } else if (current && value === undefined && name !== "") {
      current.push(name); // another value of the permission before it
    } else {
      throw new TypeError(
        `Invalid eval permission '${item.trim()}': expected inherit, none, or a list of ` +
          `${PERMISSION_NAMES.join(", ")} (optionally name=value)`,
      );
    }
  }
  return permissions as EvalPermissions;
}

function splitOnce(text: string, separator: string): [string, string?] {
  const index = text.indexOf(separator);
  return index === -1 ? [text] : [text.slice(0, index), text.slice(index + 1)];
}

/** Whether a permission set asks for a sandbox, that is anything but `inherit`. */
export function isSandbox(permissions: EvalPermissions | undefined): boolean {
  return permissions !== undefined && permissions !== "inherit";
}

/**
 * Whether workers may be given their own permissions in this process: `true` when the
 * unstable flag is on the command line or in a configuration file, `false` when it is
 * certainly off, `undefined` when it cannot be told (a compiled program, whose flags are
 * baked in; a system without `/proc`; no permission to look).
 */
export function workerOptionsEnabled(): boolean | undefined {
  const args = commandLine();
  if (args === undefined) return undefined;
  if (args.includes("--unstable-worker-options")) return true;
  if (args.includes("--no-config")) return false;
  return configFiles(args).some(enablesWorkerOptions);
}

/**
 * The process's command line, or `undefined` when unknown. Deno's flags come before the
 * script's arguments, but telling them apart needs Deno's own parser; an argument spelled
 * exactly like one of its flags is unlikely enough to be taken for one.
 */
function commandLine(): string[] | undefined {
  const exe = Deno.execPath().split(/[\\/]/).pop() ?? "";
  if (!/^deno(\.exe)?$/.test(exe)) return undefined; // compiled: its flags are baked in
  try {
    return Deno.readTextFileSync("/proc/self/cmdline").split("\0");
  } catch {
    return undefined;
  }
}

/** The configuration files Deno may read: `--config`'s, or those found upwards. */
function configFiles(args: string[]): string[] {
  const flag = args.findIndex((arg) => arg === "-c" || arg === "--config");
  const inline = args.find((arg) => arg.startsWith("--config="));
  if (flag !== -1 && args[flag + 1]) return [args[flag + 1]!];
  if (inline) return [inline.slice("--config=".length)];
  const files: string[] = [];
  // Deno looks beside a local main module, else in the working directory, and upwards.
  const main = Deno.mainModule.startsWith("file:") ? new URL(".", Deno.mainModule) : undefined;
  let directory = main ? decodeURIComponent(main.pathname).replace(/\/$/, "") : Deno.cwd();
  while (true) {
    files.push(`${directory}/deno.json`, `${directory}/deno.jsonc`);
    const parent = directory.replace(/\/[^/]*$/, "") || "/";
    if (parent === directory) break;
    directory = parent;
  }
  return files;
}

function enablesWorkerOptions(path: string): boolean {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return false;
  }
  let config: { unstable?: unknown } | undefined;
  try {
    config = JSON.parse(text);
  } catch {
    // JSONC, as deno.json may be: jsonc-parser reads what it can and does not throw. The
    // command line loads it before asking (see `cli.ts`).
    config = loadedJsonc().parseJsonc(text);
  }
  return Array.isArray(config?.unstable) && config.unstable.includes("worker-options");
}
