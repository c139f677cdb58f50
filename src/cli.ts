/**
 * The command-line program: `dagrun [run] FILE [NAME...]`, `dagrun validate FILE`,
 * `dagrun graph FILE`, `dagrun schema`.
 *
 * The common case, `dagrun FILE` with `run`'s options, is parsed by a small parser over the
 * same option table as commander's program; anything else loads commander (see `cli_fast.ts`).
 *
 * @module
 */

import { ExitCode, osErrorReason, OutputError } from "./errors.ts";
import { createSink, type TextSink } from "./output.ts";
import { parseRunFast } from "./cli_fast.ts";
import { reportError, runCommand } from "./cli_commands.ts";
import { importLate } from "./deps.ts";
import denoJson from "../deno.json" with { type: "json" };

export { parseDurationOption } from "./cli_options.ts";

/** Commander's program: loaded only when the fast parser declines. */
type Program = typeof import("./cli_program.ts");

/**
 * The program's version, from deno.json.
 *
 * @example
 * ```ts
 * import { VERSION } from "@dagrun/dagrun";
 *
 * console.log(`dagrun ${VERSION}`);
 * ```
 */
export const VERSION: string = denoJson.version;

/**
 * Runs the command line and resolves with the exit code; never throws for user errors.
 *
 * @example
 * ```ts
 * import { main } from "@dagrun/dagrun";
 *
 * const code = await main(["validate", "examples/input1.json"]);
 * ```
 */
export async function main(
  args: readonly string[],
  sink?: TextSink,
): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  // When our own stdout goes away (`dagrun x.json | head -1`), the run stops quietly; when it
  // cannot be written for another reason (a full disk), it stops and says so.
  const outputClosed = new AbortController();
  sink ??= createSink({
    onClosed: (error) =>
      outputClosed.abort(
        error instanceof Deno.errors.BrokenPipe ? "output closed" : new OutputError(
          `cannot write to standard output: ${osErrorReason(error)}`,
        ),
      ),
  });
  // The fast parser takes only `run`'s command lines: the command a usage error is hinted for.
  let command: string | undefined;
  try {
    const fast = parseRunFast(args);
    if (fast) {
      command = "run";
      exitCode = await runCommand(fast.file, fast.names, fast.flags, sink, outputClosed.signal);
    } else {
      const { runProgram } = await importLate<Program>(
        new URL("../src/cli_program.ts", import.meta.url),
      );
      exitCode = await runProgram(args, {
        version: VERSION,
        sink,
        outputClosed: outputClosed.signal,
      });
    }
  } catch (error) {
    exitCode = reportError(error, sink, command);
  }
  // Output that went to a full disk (`dagrun x.json > /dev/full`) is lost: said on stderr,
  // and the exit code says so too, unless a signal ended the run.
  const failure = outputClosed.signal.reason;
  if (failure instanceof OutputError) {
    reportError(failure, sink);
    if (exitCode < 128) exitCode = ExitCode.OutputFailed;
  }
  sink.flush();
  return exitCode;
}
