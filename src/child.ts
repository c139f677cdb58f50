/**
 * Supervising a child process spawned in its own process group: passing its output on, stopping
 * it on abort (SIGTERM, then SIGKILL after a grace period), and leaving nothing of its group
 * behind when it ends. Shared by the executors that run processes.
 *
 * @module
 */

import { forEachLineBlock } from "./lines.ts";
import { addProcessGroup, removeProcessGroup, signalGroup } from "./process_groups.ts";
import type { ExecutorContext, TaskResult } from "./types.ts";

/** What supervision needs of a child process; `Deno.ChildProcess` has this shape. */
export interface SupervisedChild {
  /** The child's process id, also its process group id. */
  readonly pid: number;
  /** Its standard output. */
  readonly stdout: ReadableStream<Uint8Array>;
  /** Its standard error. */
  readonly stderr: ReadableStream<Uint8Array>;
  /** Resolves when it has ended. */
  readonly status: Promise<
    { readonly success: boolean; readonly code: number; readonly signal: Deno.Signal | null }
  >;
  /** SIGKILLs what is left of its process group, when the spawner has a cheaper way. */
  readonly killLeftovers?: () => void;
}

/**
 * Waits for a child spawned with `detached: true` and piped stdout and stderr, and turns its
 * end into a task result.
 *
 * @example
 * ```ts
 * import { superviseChild } from "./child.ts";
 *
 * const child = new Deno.Command("sh", {
 *   args: ["-c", "echo hi"],
 *   stdin: "null",
 *   stdout: "piped",
 *   stderr: "piped",
 *   detached: true,
 * }).spawn();
 * const context = {
 *   signal: new AbortController().signal,
 *   timeoutMs: undefined,
 *   env: undefined,
 *   cwd: ".",
 *   baseDir: ".",
 *   output: (_stream: "stdout" | "stderr", text: string) => console.log(text),
 * };
 * const result = await superviseChild(child, context, 5_000); // { ok: true, exitCode: 0 }
 * ```
 */
export async function superviseChild(
  child: SupervisedChild,
  context: ExecutorContext,
  graceMs: number,
): Promise<TaskResult> {
  const group = -child.pid;
  addProcessGroup(child.pid);
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    signalGroup(group, "SIGTERM");
    killTimer = setTimeout(() => signalGroup(group, "SIGKILL"), graceMs);
  };
  context.signal.addEventListener("abort", stop, { once: true });
  // The spawn may have awaited: a stop asked for meanwhile is not lost.
  if (context.signal.aborted) stop();
  const drained = Promise.all([
    forEachLineBlock(child.stdout, (lines) => context.output("stdout", lines)),
    forEachLineBlock(child.stderr, (lines) => context.output("stderr", lines)),
  ]);
  const status = await child.status;
  context.signal.removeEventListener("abort", stop);
  // The leader is gone; whatever it left behind in its group must not outlive the task
  // (and would hold the pipes open).
  if (child.killLeftovers) child.killLeftovers();
  else signalGroup(group, "SIGKILL");
  removeProcessGroup(child.pid);
  clearTimeout(killTimer);
  await drained;
  if (status.success) return { ok: true, exitCode: 0 };
  if (status.signal) {
    return { ok: false, signal: status.signal, error: `killed by ${status.signal}` };
  }
  return { ok: false, exitCode: status.code, error: `exit code ${status.code}` };
}
