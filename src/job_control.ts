/**
 * Ctrl-Z for a whole run: suspending dagrun suspends its tasks, and `fg` (or `bg`) resumes
 * them, as with make.
 *
 * Each exec task runs in a session of its own, so that stopping it stops everything it started
 * (see `src/process_groups.ts`); the terminal's SIGTSTP therefore reaches dagrun alone, and its
 * tasks would run on while the shell says the job is stopped (make's children share its process
 * group, and stop with it). So while a run goes on the command line listens for SIGTSTP: it
 * erases the status line, stops every task's process group (and what left it for another group
 * of the task's session) with SIGSTOP (the kernel drops a
 * SIGTSTP sent to a group with no parent in its session, which a task's is), then stops itself
 * as the signal would have: with the default action restored for that moment (through libc;
 * where glibc cannot be opened, with SIGTTIN, see `bindStopSelf`), so that the shell sees a
 * job stopped by SIGTSTP, and the kernel's own rule applies — a
 * process group that no shell controls (orphaned) is not stopped, as it could never be
 * continued. Once continued, it continues the groups it stopped and draws the status line
 * again. The time spent stopped does not count in the tasks' durations nor against their time
 * limits (`src/suspension.ts`).
 *
 * @module
 */

import { signalProcessGroups } from "./process_groups.ts";
import { libcFunction } from "../executors/libc.ts";
import { isGranted } from "./permissions.ts";
import { addSuspendedTime } from "./suspension.ts";

/** What the run's view does around a suspension. */
export interface SuspendHooks {
  /** Before stopping: erase the status line, flush what is buffered. */
  beforeSuspend(): void;
  /** Once continued: draw the status line again. */
  afterResume(): void;
}

const SIGTSTP = 20;
/** glibc's `struct sigaction` on Linux (x86_64 and aarch64): handler, mask, flags, restorer. */
const SIGACTION_SIZE = 152;

/**
 * Listens for SIGTSTP until the returned function is called. Where a suspension cannot be
 * done whole it does not listen, and the signal keeps its default action (dagrun stops, its
 * tasks do not): without libc through FFI (not Linux, not granted) or leave to read
 * /proc/self/fd, or when stdout or stderr
 * is a pipe, a FIFO or a socket — a write to a pipe that a stopped pager keeps full would hold
 * the event loop, and the listener with it, so the job would never stop at all.
 *
 * @example
 * ```ts
 * import { listenForSuspend } from "./job_control.ts";
 * const stopListening = listenForSuspend({ beforeSuspend() {}, afterResume() {} });
 * stopListening();
 * ```
 */
export function listenForSuspend(hooks: SuspendHooks): () => void {
  if (!suspendable()) return () => {};
  const listener = () => suspend(hooks);
  Deno.addSignalListener("SIGTSTP", listener);
  return () => Deno.removeSignalListener("SIGTSTP", listener);
}

function suspendable(): boolean {
  if (
    Deno.build.os !== "linux" || !isGranted({ name: "ffi" }) ||
    // Asked, never requested: a prompt would wait on the terminal in the middle of the run.
    !isGranted({ name: "read", path: "/proc/self/fd" })
  ) return false;
  for (const fd of [1, 2]) {
    try {
      // Deno's stdout has no stat: the descriptor's link is followed to what it is open on.
      const info = Deno.statSync(`/proc/self/fd/${fd}`);
      if (info.isFifo || info.isSocket) return false;
    } catch {
      return false;
    }
  }
  return true;
}

let stopSelf: (() => void) | undefined;

function suspend(hooks: SuspendHooks): void {
  stopSelf ??= bindStopSelf();
  hooks.beforeSuspend();
  // Each task's process group, and the processes that left it for another group of the
  // task's session (GNU timeout runs its command so). All of this is one turn of the event
  // loop, the stop included: the groups continued are those stopped, and so are the
  // stragglers (one look at /proc serves the turn).
  signalProcessGroups("SIGSTOP");
  const stoppedAt = performance.now();
  stopSelf();
  // Continued (or never stopped: an orphaned process group's SIGTSTP is dropped).
  addSuspendedTime(performance.now() - stoppedAt);
  signalProcessGroups("SIGCONT");
  hooks.afterResume();
}

/** The libc functions stopping this process through SIGTSTP's default action needs. */
export interface StopSelfLibc {
  /** `sigaction(2)`: sets `action` (a `struct sigaction`), keeps the old one in `old`. */
  sigaction(signal: number, action: Uint8Array, old: Uint8Array | null): number;
  /** `raise(3)`: sends the signal to the calling thread. */
  raise(signal: number): number;
}

/**
 * Binds the function stopping this process when SIGTSTP is handled, on the first Ctrl-Z (the
 * shared `dlopen` is not paid by runs that never need libc). With libc: SIGTSTP's default
 * action restored, the signal raised on this thread (so the stop takes effect before `raise`
 * returns), Deno's handler put back. Where libc cannot be opened (a Linux without glibc:
 * musl's has another name), `withoutLibc`: Deno's handler has replaced the default action
 * for good by then, so dagrun stops another way, its tasks with it, rather than throw from
 * the signal listener (which ended the run as an internal error). `open` and `withoutLibc`
 * are for tests.
 *
 * @example
 * ```ts
 * import { bindStopSelf } from "./job_control.ts";
 * const stopSelf = bindStopSelf(); // stopSelf() stops the process until it is continued
 * ```
 */
export function bindStopSelf(
  open: () => StopSelfLibc = openStopSelfLibc,
  withoutLibc: () => void = stopWithTtin,
): () => void {
  let libc: StopSelfLibc;
  try {
    libc = open();
  } catch {
    return withoutLibc;
  }
  // SIG_DFL is a null handler; an empty mask; no flags.
  const defaultAction = new Uint8Array(SIGACTION_SIZE);
  const handler = new Uint8Array(SIGACTION_SIZE);
  return () => {
    if (libc.sigaction(SIGTSTP, defaultAction, handler) !== 0) return;
    try {
      libc.raise(SIGTSTP);
    } finally {
      libc.sigaction(SIGTSTP, handler, null);
    }
  };
}

/** glibc's `sigaction` and `raise`; throws where glibc cannot be loaded. */
function openStopSelfLibc(): StopSelfLibc {
  const sigaction = libcFunction("sigaction"), raise = libcFunction("raise");
  if (sigaction === undefined || raise === undefined) throw new Error("no libc.so.6 to call");
  return {
    sigaction: (signal, action, old) => sigaction.call(signal, action, old),
    raise: (signal) => raise.call(signal),
  };
}

/**
 * Stops this process without libc: with SIGTTIN, whose default action Deno leaves alone and
 * which stops as SIGTSTP does, under the same rule — the kernel drops it in a process group
 * no shell controls (orphaned), which could never be continued; SIGSTOP would stop even
 * there. bash's `jobs` says `Stopped` all the same (`jobs -l` names the signal). Sent to the process
 * from its main thread, the one the kernel then picks, so the stop takes effect before
 * `kill` returns. Not allowed to signal (no `--allow-run`), dagrun does not stop: its tasks
 * are continued at once, as in an orphaned group.
 */
function stopWithTtin(): void {
  try {
    Deno.kill(Deno.pid, "SIGTTIN");
  } catch {
    // Not stopped: the caller continues the tasks.
  }
}
