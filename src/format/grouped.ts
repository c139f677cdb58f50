/**
 * Grouped output: each task's output held back and printed as one block when the task ends,
 * framed by its `Started:` and `Ended :` lines, so the output of parallel tasks never
 * interleaves. With `errorsOnly`, only failed tasks' output is printed.
 *
 * @module
 */

import type { TextSink } from "../output.ts";
import type { OutputStream } from "../types.ts";
import { printable } from "./printable.ts";

/**
 * The buffered output of running tasks, by the tasks' own names: two names may print alike
 * (`a` and BEL, `a\u0007` with a backslash), and their blocks must not merge.
 */
export interface GroupedWriter {
  /** Holds a line of a task's output. */
  output(task: string, stream: OutputStream, text: string): void;
  /** Prints the task's block, its name made printable, and forgets it. */
  ended(task: string, ok: boolean): void;
}

/**
 * Creates a writer of grouped blocks.
 *
 * @example
 * ```ts
 * import { createGroupedWriter } from "./grouped.ts";
 * import { createSink } from "../output.ts";
 * const grouped = createGroupedWriter(createSink(), { errorsOnly: false });
 * grouped.output("build", "stdout", "compiling");
 * grouped.ended("build", true); // Started: build / compiling / Ended : build
 * ```
 */
export function createGroupedWriter(
  sink: TextSink,
  options: { readonly errorsOnly: boolean },
): GroupedWriter {
  const held = new Map<string, { stream: OutputStream; text: string }[]>();
  return {
    output(task, stream, text) {
      let lines = held.get(task);
      if (!lines) held.set(task, lines = []);
      lines.push({ stream, text });
    },
    ended(task, ok) {
      const lines = held.get(task) ?? [];
      held.delete(task);
      sink.out(`Started: ${printable(task)}\n`);
      if (!ok || !options.errorsOnly) {
        for (const line of lines) {
          if (line.stream === "stdout") sink.out(`${line.text}\n`);
          else sink.err(`${line.text}\n`);
        }
      }
      sink.out(`Ended : ${printable(task)}\n`);
    },
  };
}
