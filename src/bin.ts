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
import { describe } from "./run_report.ts";
import { printable } from "./format/printable.ts";
import { debugRequested } from "./permissions.ts";
import { interruptStreamReadsBySignals } from "./input_files.ts";
import { ERASE_LINE } from "./output.ts";

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
  // An error nobody catches (a plugin's background promise, say) would end the process with
  // Deno's stack trace, over the status line and without the tasks' groups stopped.
  globalThis.addEventListener("error", (event) => crash(event, event.error));
  globalThis.addEventListener("unhandledrejection", (event) => crash(event, event.reason));
  // A FIFO given as the task file (or a report, a schema) waits for its writer: a signal
  // meanwhile ends dagrun with one line, as during the run.
  interruptStreamReadsBySignals();
  const code = await main(args);
  // Exit explicitly: a worker spinning in a busy loop survives terminate() in this Deno and
  // would otherwise keep the process alive after the report. Deno.exit skips unload
  // handlers: kill whatever a task may have left first.
  signalProcessGroups("SIGKILL");
  await letDenoCacheCompiledCode();
  Deno.exit(code);
}

/**
 * Lets Deno store the bundle's compiled code before the exit. Deno writes a module's code
 * cache (V8's: ≈ 8 ms off every later start of the bundle) in the step of its event loop that
 * also settles dynamic imports. A run that never reaches that step — its tasks all direct
 * commands ending while dagrun waits for them without returning to the loop, a one-task run of
 * `/bin/true` with `--no-history` (the history's write takes a turn) — exited before, so that
 * every such run compiled the whole bundle again. A
 * dynamic import settles only in that step, so awaiting one of an empty module gets the cache
 * written (≈ 0.3 ms; with the cache already there, nothing is written). An empty write to
 * stdout was not enough: on a busy machine its completion could be handled first in the same
 * turn, and the exit came before the step.
 */
async function letDenoCacheCompiledCode(): Promise<void> {
  // Computed: a literal specifier would be put into the graph Deno resolves before running.
  const emptyModule = ["data:text/javascript", ""].join(",");
  try {
    await import(emptyModule);
  } catch {
    // Not importable here: the cache waits for another run.
  }
}

if (import.meta.main) await runCommandLine(Deno.args);

/**
 * Ends the process on an uncaught error: the status line erased, the tasks' groups killed, one
 * line on stderr (the stack with `DAGRUN_DEBUG=1`), exit status 70.
 */
function crash(event: Event, error: unknown): void {
  event.preventDefault();
  signalProcessGroups("SIGKILL");
  const encoder = new TextEncoder();
  try {
    // Whatever line the cursor is on: the status line if it is drawn, else an empty one.
    if (Deno.stdout.isTerminal()) Deno.stdout.writeSync(encoder.encode(ERASE_LINE));
    const stack = debugRequested() && error instanceof Error ? `\n${error.stack}` : "";
    Deno.stderr.writeSync(
      encoder.encode(
        `dagrun: internal error: uncaught ${printable(nameAndMessage(error))}${stack}\n`,
      ),
    );
  } catch {
    // Nowhere left to say it.
  }
  Deno.exit(70);
}

function nameAndMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : describe(error);
}
