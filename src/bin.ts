/**
 * The command line's entry point: `deno run -A src/bin.ts tasks.json` runs dagrun, as
 * `mod.ts` run as the main module does. `dist/dagrun.js`, the file to run from a terminal,
 * is this module bundled with everything it imports statically (`deno task build`), which
 * starts faster than the sources' 50-odd modules.
 *
 * @module
 */

import { main } from "./cli.ts";
import { signalProcessGroups } from "./process_groups.ts";

/**
 * Runs the command line with `args` and exits the process with its exit code.
 *
 * @example
 * ```ts ignore
 * import { runCommandLine } from "./bin.ts";
 *
 * await runCommandLine(["examples/input1.json"]);
 * ```
 */
export async function runCommandLine(args: readonly string[]): Promise<never> {
  const code = await main(args);
  // Exit explicitly: a worker spinning in a busy loop survives terminate() in this Deno and
  // would otherwise keep the process alive after the report. Deno.exit skips unload
  // handlers: kill whatever a task may have left first.
  signalProcessGroups("SIGKILL");
  Deno.exit(code);
}

if (import.meta.main) await runCommandLine(Deno.args);
