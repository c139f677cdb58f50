/**
 * Supervising a child process spawned in its own process group: passing its output on, stopping
 * it on abort (SIGTERM, then SIGKILL after a grace period), and leaving nothing of its group
 * behind when it ends. Shared by the executors that run processes.
 *
 * @module
 */

import { runningNow, RunningTimeout } from "./suspension.ts";
import { forEachLineBlock, LineBlockSplitter, passOutput } from "./lines.ts";
import {
  addProcessGroup,
  groupExists,
  removeProcessGroup,
  sessionStragglers,
  signalGroup,
  signalSession,
  signalSessionStragglers,
} from "./process_groups.ts";
import type { ExecutorContext, TaskResult } from "./types.ts";

/** How a child process ended, as `Deno.CommandStatus` says it. */
export interface SupervisedStatus {
  /** Whether it exited with code 0. */
  readonly success: boolean;
  /** Its exit code (128 + the signal's number when a signal ended it). */
  readonly code: number;
  /** The signal that ended it, if one did and it has a name. */
  readonly signal: Deno.Signal | null;
  /** The number of the signal that ended it, when that one has no name (a real-time one). */
  readonly unnamedSignal?: number;
}

/**
 * What supervision needs of a child process: `Deno.ChildProcess` has this shape, with
 * streams; a spawner that hands output over as it reads it has {@linkcode PushedOutput}.
 */
export type SupervisedChild = StreamedOutput | PushedOutput;

/** The parts of a child process supervision needs whatever its output is read by. */
interface ChildBase {
  /** The child's process id, also its process group id. */
  readonly pid: number;
  /** Resolves when it has ended. */
  readonly status: Promise<SupervisedStatus>;
  /** SIGKILLs what is left of its process group, when the spawner has a cheaper way. */
  readonly killLeftovers?: () => void;
}

/** A child whose output is read from streams. */
export interface StreamedOutput extends ChildBase {
  /** Its standard output. */
  readonly stdout: ReadableStream<Uint8Array>;
  /** Its standard error. */
  readonly stderr: ReadableStream<Uint8Array>;
}

/** A child whose output is handed over chunk by chunk, without streams. */
export interface PushedOutput extends ChildBase {
  /**
   * Starts passing its output on (a chunk is valid only until the callback returns);
   * resolves once both its pipes have ended.
   */
  readonly pipeOutput: (
    onStdout: (chunk: Uint8Array) => void,
    onStderr: (chunk: Uint8Array) => void,
  ) => Promise<void>;
  /**
   * Passes on what its pipes hold now and stops reading them, settling `pipeOutput`'s
   * promise: for pipes that a process which left the child's group keeps open.
   */
  readonly releaseOutput?: () => void;
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
  let killTimer: RunningTimeout | undefined;
  // On the clock of running time: a run suspended with Ctrl-Z (its groups stopped) does not
  // use up the grace period.
  let graceEnds: number | undefined;
  const stop = () => {
    // A stopped process (SIGSTOP) holds the SIGTERM pending, deaf to it, until the SIGKILL:
    // continued, it hears it and has its grace period to clean up (as systemd does).
    signalSession(child.pid, "SIGTERM", "SIGCONT");
    graceEnds = runningNow() + graceMs;
    killTimer = new RunningTimeout(() => signalSession(child.pid, "SIGKILL"), graceMs);
  };
  // The spawn may have awaited: a stop asked for meanwhile is not lost.
  const forget = context.signal.aborted ? (stop(), undefined) : whenAborted(context.signal, stop);
  const { drained, release } = passOutputOn(child, context);
  let ended = false;
  const markEnded = () => void (ended = true);
  // Raced with the group poll below, which must not throw: settles, never rejects, when the
  // pipes have ended or their reading failed.
  const drainedOrFailed = drained.then(markEnded, markEnded);
  const status = await child.status.catch(statusOfUnnamedSignal);
  forget?.();
  // Told to stop, the leader ended (a shell dies of SIGTERM at once); the rest of its group
  // gets the rest of the grace period too, until all of it has exited: its pipes end then,
  // unless a process that left the group holds them, so the group is also looked at; so
  // does what left the group for another of the task's session (GNU timeout's command).
  if (graceEnds !== undefined) {
    const remains = () =>
      (!ended && groupExists(child.pid) !== false) || sessionStragglers(child.pid).length > 0;
    await endsSoon(() => ended);
    while (remains()) {
      const left = graceEnds - runningNow();
      if (left <= 0) break;
      // Pipes that have ended cannot say when the rest has: the wait is the poll's, on the
      // clock that every stopped task shares.
      const poll = nextGroupPoll();
      const woken = ended ? poll : Promise.race([drainedOrFailed, poll]);
      await (left < GROUP_POLL_MS ? endsWithin(woken, left) : woken);
    }
  }
  // The leader is gone; whatever it left behind in its group must not outlive the task
  // (and would hold the pipes open).
  if (child.killLeftovers) child.killLeftovers();
  else signalGroup(group, "SIGKILL");
  if (graceEnds !== undefined) signalSessionStragglers(child.pid, "SIGKILL");
  removeProcessGroup(child.pid);
  // Only when set: the first use of the timer globals loads Node's timers (≈ 6 ms).
  killTimer?.clear();
  // Pipes most often end with the child. Held open past its group's end, they are held by a
  // process that left the group (`setsid`, a daemon), maybe for ever: what they hold is passed
  // on after a moment, or at once if the task is told to stop, and the task ends.
  // A process that only left the group for another of the task's session is the task's
  // still, and killed (looked for only then: a look costs about 1 ms).
  if (
    !(await endsSoon(() => ended)) &&
    !(await endsWithin(drained, STRAGGLER_LOOK_MS, context.signal))
  ) {
    signalSessionStragglers(child.pid, "SIGKILL");
    if (!(await endsWithin(drained, DRAIN_AFTER_EXIT_MS, context.signal))) release();
  }
  await drained;
  if (status.success) return { ok: true, exitCode: 0 };
  if (status.signal) {
    return { ok: false, signal: status.signal, error: `killed by ${status.signal}` };
  }
  if (status.unnamedSignal !== undefined) {
    return { ok: false, error: `killed by signal ${status.unnamedSignal}` };
  }
  return { ok: false, exitCode: status.code, error: `exit code ${status.code}` };
}

/**
 * The status of a child that a signal without a name ended (a real-time one), for which
 * `Deno.ChildProcess.status` rejects (`Invalid signal: 40`) although the child has ended and
 * been reaped: the task failed by that signal, and its group must still be cleaned up after.
 * Any other rejection is passed on.
 */
function statusOfUnnamedSignal(error: unknown): SupervisedStatus {
  const number = error instanceof TypeError
    ? /^Invalid signal: (\d+)$/.exec(error.message)?.[1]
    : undefined;
  if (number === undefined) throw error;
  return {
    success: false,
    code: 128 + Number(number),
    signal: null,
    unnamedSignal: Number(number),
  };
}

/** The stops to call when a signal aborts, for the signals with one listener of ours. */
const stopsBySignal = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `stop` once when `signal` aborts, unless the returned function is called first.
 * Tasks of a run without time limits share its signal: one listener on it for all of them,
 * rather than adding and removing one per task (which costs more than the rest of what a
 * short task does in JavaScript).
 */
function whenAborted(signal: AbortSignal, stop: () => void): () => void {
  let stops = stopsBySignal.get(signal);
  if (!stops) {
    const set = stops = new Set();
    stopsBySignal.set(signal, set);
    signal.addEventListener("abort", () => {
      for (const each of set) each();
      set.clear();
    }, { once: true });
  }
  stops.add(stop);
  return () => void stops.delete(stop);
}

/**
 * How long pipes may stay open after the child's group is gone before they are let go, in
 * ms: the processes killed with it close them as they exit, within a few.
 */
const DRAIN_AFTER_EXIT_MS = 200;

/**
 * How long pipes may stay open after the child's group is gone before the rest of its session
 * is looked for, in ms: long enough for pipes that end with the group to be seen ending.
 */
const STRAGGLER_LOOK_MS = 20;

/** How often a stopped group is looked at while the rest of it has its grace period, in ms. */
const GROUP_POLL_MS = 20;

let groupPoll: Promise<void> | undefined;

/**
 * The next look at the stopped groups that still have their grace period: one timer for all
 * of them, so that they look in the same turn of the event loop and share one read of /proc
 * (which `sessionStragglers` keeps for the turn), rather than each reading it every 20 ms on
 * a timer of its own.
 */
function nextGroupPoll(): Promise<void> {
  if (groupPoll === undefined) {
    const { promise, resolve } = Promise.withResolvers<void>();
    groupPoll = promise;
    setTimeout(() => {
      groupPoll = undefined;
      resolve();
    }, GROUP_POLL_MS);
  }
  return groupPoll;
}

/**
 * Passes a child's output on line by line: `drained` resolves once both its pipes have
 * ended, or once `release()` has stopped their reading (what they held passed on).
 */
function passOutputOn(
  child: SupervisedChild,
  context: ExecutorContext,
): { drained: Promise<unknown>; release: () => void } {
  if ("pipeOutput" in child) {
    const out = new LineBlockSplitter(passOutput(context, "stdout"));
    const err = new LineBlockSplitter(passOutput(context, "stderr"));
    const drained = child.pipeOutput((chunk) => out.push(chunk), (chunk) => err.push(chunk))
      .then(() => {
        out.end();
        err.end();
      });
    return { drained, release: () => child.releaseOutput?.() };
  }
  const stopReading = new AbortController();
  const drained = Promise.all([
    forEachLineBlock(child.stdout, passOutput(context, "stdout"), stopReading.signal),
    forEachLineBlock(child.stderr, passOutput(context, "stderr"), stopReading.signal),
  ]);
  return { drained, release: () => stopReading.abort() };
}

/**
 * Whether `hasEnded()` turns true within a few turns of the microtask queue: the pipes of a
 * child that ended with it have, and then no timer is needed (see the timers note above).
 */
async function endsSoon(hasEnded: () => boolean): Promise<boolean> {
  for (let turn = 0; turn < 4 && !hasEnded(); turn++) await null;
  return hasEnded();
}

/** Whether `promise` settles within `ms`, unless `signal` aborts first (false then). */
function endsWithin(promise: Promise<unknown>, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted || ms <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ended: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(ended);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(() => done(true), () => done(true));
  });
}
