/**
 * Which configuration file Deno reads for this process, as far as its `unstable` list goes:
 * to tell whether `"unstable": ["worker-options"]` is in force (see `eval_permissions.ts`).
 *
 * Deno 2.9 reads one file, found as follows (each rule tried on Deno's `run`):
 * - `--config FILE`: that one.
 * - A main module run by URL: none, whatever the working directory holds.
 * - Else, from the main module's directory (not the working directory) upwards, the first
 *   directory with a `deno.json`, a `deno.jsonc` or a `package.json`, in that order of
 *   preference; the search stops there, so a `deno.json` farther up does not count…
 * - …unless a `deno.json(c)` farther up is a workspace listing that directory as a member:
 *   then the workspace's `unstable` list counts, and the member's own does not.
 *
 * @module
 */

import { loadedJsonc } from "../src/deps.ts";
import { directoryOf } from "../src/paths.ts";

/**
 * The configuration file whose `unstable` list Deno applies, or `undefined` when none does.
 * `args` is Deno's command line; `mainModule` the URL Deno ran.
 */
export function unstableConfigFile(
  args: readonly string[],
  mainModule: string = Deno.mainModule,
): string | undefined {
  const flag = args.findIndex((arg) => arg === "-c" || arg === "--config");
  const inline = args.find((arg) => arg.startsWith("--config="));
  if (flag !== -1 && args[flag + 1]) return args[flag + 1]!;
  if (inline) return inline.slice("--config=".length);
  if (!mainModule.startsWith("file:")) return undefined;
  const start = directoryOf(decodeURIComponent(new URL(mainModule).pathname));
  let member: { directory: string; file: string | undefined } | undefined;
  for (const directory of upwards(start)) {
    const file = denoConfigIn(directory);
    if (file !== undefined || isFile(`${directory}/package.json`)) {
      member = { directory, file };
      break;
    }
  }
  if (member === undefined) return undefined;
  if (member.file !== undefined && readConfig(member.file)?.workspace !== undefined) {
    return member.file; // a workspace's root itself
  }
  if (member.directory === "/") return member.file;
  for (const directory of upwards(directoryOf(member.directory))) {
    const file = denoConfigIn(directory);
    const workspace = file === undefined ? undefined : readConfig(file)?.workspace;
    if (workspace === undefined) continue;
    return listsMember(workspace, directory, member.directory) ? file : member.file;
  }
  return member.file;
}

/** Whether a configuration file's `unstable` list holds `feature`; `false` if unreadable. */
export function enablesUnstable(path: string, feature: string): boolean {
  const unstable = readConfig(path)?.unstable;
  return Array.isArray(unstable) && unstable.includes(feature);
}

/** A `deno.json` or `deno.jsonc` as far as it is read here; `undefined` if unreadable. */
function readConfig(path: string): { unstable?: unknown; workspace?: unknown } | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    // JSONC, as deno.json may be: jsonc-parser reads what it can and does not throw. The
    // command line loads it before asking (see `cli_commands.ts`).
    return loadedJsonc().parseJsonc(text);
  }
}

/**
 * Whether a workspace's `members` (a list, or `{ members }`) take `member`: paths relative
 * to `root`, where `*` stands for any one path segment.
 */
function listsMember(workspace: unknown, root: string, member: string): boolean {
  const members = Array.isArray(workspace)
    ? workspace
    : (workspace as { members?: unknown } | null)?.members;
  if (!Array.isArray(members)) return false;
  const relative = member.slice(root === "/" ? 1 : root.length + 1);
  return members.some((pattern) => {
    if (typeof pattern !== "string") return false;
    const normal = pattern.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    const source = normal.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^/]*");
    return new RegExp(`^${source}$`).test(relative);
  });
}

function denoConfigIn(directory: string): string | undefined {
  const base = directory === "/" ? "" : directory;
  return [`${base}/deno.json`, `${base}/deno.jsonc`].find(isFile);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** `directory` and each of its parents up to the root. */
function* upwards(directory: string): Generator<string> {
  while (true) {
    yield directory;
    if (directory === "/") return;
    directory = directoryOf(directory);
  }
}
