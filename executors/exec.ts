/**
 * The `exec` executor: runs a task's arguments as a shell command through `sh -c`.
 *
 * Each child gets its own process group (`detached`), so stopping a task stops everything
 * it started; stdin is null; stdout and stderr are passed on line by line while it runs.
 *
 * @module
 */

import { superviseChild } from "../src/child.ts";
import { signalGroup } from "../src/process_groups.ts";
import type { Executor, ExecutorContext, TaskResult, TaskSpec } from "../src/types.ts";

/** How long a cancelled task gets between SIGTERM and SIGKILL, in milliseconds. */
export const DEFAULT_GRACE_MS = 5_000;

/**
 * Options of {@linkcode createExecExecutor}.
 *
 * @example
 * ```ts
 * import { createExecExecutor, type ExecExecutorOptions } from "@dagrun/dagrun";
 *
 * const options: ExecExecutorOptions = { graceMs: 1000, shell: "bash" };
 * const exec = createExecExecutor(options);
 * ```
 */
export interface ExecExecutorOptions {
  /** Milliseconds between SIGTERM and SIGKILL when a task is stopped. */
  readonly graceMs?: number;
  /** The shell; `sh` by default. */
  readonly shell?: string;
}

/**
 * Creates the `exec` executor.
 *
 * @example
 * ```ts
 * import { createExecExecutor } from "@dagrun/dagrun";
 *
 * const exec = createExecExecutor({ graceMs: 1000 });
 * ```
 */
export function createExecExecutor(options: ExecExecutorOptions = {}): Executor {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const shell = options.shell ?? "sh";
  return {
    type: "exec",
    argumentsSchema: { type: "string" },
    run: (task, context) => runCommand(task, context, shell, graceMs),
  };
}

async function runCommand(
  task: TaskSpec,
  context: ExecutorContext,
  shell: string,
  graceMs: number,
): Promise<TaskResult> {
  if (context.signal.aborted) return { ok: false, error: "interrupted" };
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(shell, {
      args: ["-c", task.arguments as string],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true,
      cwd: context.cwd,
      ...(context.env ? { env: { ...context.env } } : {}),
    }).spawn();
  } catch (error) {
    return { ok: false, error: `cannot start ${shell}: ${(error as Error).message}` };
  }
  return await superviseChild(child, context, graceMs);
}

export { signalGroup };
