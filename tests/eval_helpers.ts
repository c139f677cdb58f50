/**
 * Helpers for the eval executor tests: running snippets on one real executor and collecting
 * each task's output lines and result.
 *
 * @module
 */

import { createEvalExecutor, type EvalExecutorOptions } from "../executors/eval.ts";
import type { ExecutorContext, OutputStream, TaskResult, TaskSpec } from "../src/types.ts";

/** One line of a task's output. */
export interface Line {
  readonly stream: OutputStream;
  readonly text: string;
}

/** What running snippets produced. */
export interface Evaluated {
  readonly results: TaskResult[];
  readonly outputs: Line[][];
}

/** A context for one task, collecting its output into `lines`. */
export function contextFor(lines: Line[], signal = new AbortController().signal): ExecutorContext {
  return {
    signal,
    timeoutMs: undefined,
    env: undefined,
    cwd: Deno.cwd(),
    baseDir: Deno.cwd(),
    output: (stream, text) => lines.push({ stream, text }),
  };
}

/** An eval task named `snippetN`. */
export function evalTask(code: string, index: number): TaskSpec {
  return { name: `snippet${index}`, type: "eval", arguments: code, dependencies: [] };
}

/**
 * Runs snippets one after the other on one executor (so one pooled worker when possible);
 * with `limitMs`, each task is stopped (as interrupted) should it run that long.
 */
export async function evaluate(
  snippets: readonly string[],
  options: EvalExecutorOptions = {},
  limitMs?: number,
): Promise<Evaluated> {
  const executor = createEvalExecutor(options);
  const results: TaskResult[] = [];
  const outputs: Line[][] = [];
  try {
    for (const [i, code] of snippets.entries()) {
      const lines: Line[] = [];
      outputs.push(lines);
      const stop = new AbortController();
      const timer = limitMs === undefined ? undefined : setTimeout(() => stop.abort(), limitMs);
      try {
        results.push(await executor.run(evalTask(code, i), contextFor(lines, stop.signal)));
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    await executor.dispose?.();
  }
  return { results, outputs };
}

/** The text of the lines of one stream. */
export function textOf(lines: readonly Line[], stream: OutputStream): string[] {
  return lines.filter((line) => line.stream === stream).map((line) => line.text);
}
