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
  child: Deno.ChildProcess,
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
  const drained = Promise.all([
    forEachLineBlock(child.stdout, (lines) => context.output("stdout", lines)),
    forEachLineBlock(child.stderr, (lines) => context.output("stderr", lines)),
  ]);
  const status = await child.status;
  context.signal.removeEventListener("abort", stop);
  // The leader is gone; whatever it left behind in its group must not outlive the task
  // (and would hold the pipes open).
  signalGroup(group, "SIGKILL");
  removeProcessGroup(child.pid);
  clearTimeout(killTimer);
  await drained;
  if (status.success) return { ok: true, exitCode: 0 };
  if (status.signal) {
    return { ok: false, signal: status.signal, error: `killed by ${status.signal}` };
  }
  return { ok: false, exitCode: status.code, error: `exit code ${status.code}` };
}
