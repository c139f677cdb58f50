/**
 * The process groups of running tasks, kept so that no ending of ours — normal, a second
 * Ctrl-C, `Deno.exit`, an uncaught error — leaves a task's processes behind.
 *
 * Each exec task runs in a process group of its own; the executor adds the group here when it
 * spawns and removes it once the group is known dead. Whatever is still here when the process
 * goes away is killed with SIGKILL.
 *
 * @module
 */

import { libc } from "../executors/libc.ts";
import { isGranted } from "./permissions.ts";

const live = new Set<number>();
let hooked = false;

/**
 * Records a live process group, by the pid of its leader.
 *
 * @example
 * ```ts
 * import { addProcessGroup, removeProcessGroup } from "./process_groups.ts";
 * const child = new Deno.Command("sleep", { args: ["1"], detached: true }).spawn();
 * addProcessGroup(child.pid);
 * await child.status;
 * removeProcessGroup(child.pid);
 * ```
 */
export function addProcessGroup(leader: number): void {
  live.add(leader);
  if (!hooked) hookExit();
}

/** Forgets a process group that has been killed or has ended. */
export function removeProcessGroup(leader: number): void {
  live.delete(leader);
}

/**
 * Sends a signal to every live process group, and to what left it for another group of its
 * task's session ({@linkcode signalSession}); SIGKILL also forgets them, since nothing in them
 * survives it.
 */
export function signalProcessGroups(signal: Deno.Signal): void {
  for (const leader of live) signalSession(leader, signal);
  if (signal === "SIGKILL") live.clear();
}

/**
 * The processes still running in the session that `leader` leads but outside its process
 * group: each task runs in a session of its own, and a process may move to another group of
 * that session (GNU `timeout` runs its command so, as do a shell's job control and Python's
 * `process_group=0`), which a signal to the task's group misses. Linux has no call that
 * signals a session, so /proc is read: about 10 µs a process, which is why this is asked only
 * when a task is stopped or its pipes outlive its group. Empty where /proc cannot be read.
 */
export function sessionStragglers(leader: number): readonly number[] {
  if (stragglersBySession === undefined) {
    stragglersBySession = readStragglers();
    // One look serves the rest of this turn of the event loop: a Ctrl-C stops every running
    // task in one turn (as does Ctrl-Z, or dagrun's way out), and each asks.
    queueMicrotask(() => stragglersBySession = undefined);
  }
  return stragglersBySession.get(leader) ?? [];
}

let stragglersBySession: Map<number, number[]> | undefined;

/** Sends a signal to the processes {@linkcode sessionStragglers} finds. */
export function signalSessionStragglers(leader: number, signal: Deno.Signal): void {
  for (const pid of sessionStragglers(leader)) signalGroup(pid, signal);
}

/**
 * Sends signals, in order, to a task's whole session: the process group `leader` leads, and
 * the processes that left it for another group of the session ({@linkcode sessionStragglers}).
 */
export function signalSession(leader: number, ...signals: Deno.Signal[]): void {
  const stragglers = sessionStragglers(leader);
  for (const signal of signals) {
    signalGroup(-leader, signal);
    for (const pid of stragglers) signalGroup(pid, signal);
  }
}

/**
 * Every live process (zombies left out) outside the process group its session's leader
 * leads, by session, from /proc.
 */
function readStragglers(): Map<number, number[]> {
  const bySession = new Map<number, number[]>();
  if (Deno.build.os !== "linux" || !isGranted({ name: "read", path: "/proc" })) return bySession;
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync("/proc");
  } catch {
    return bySession;
  }
  for (const entry of entries) {
    const first = entry.name.charCodeAt(0);
    if (first < 0x30 || first > 0x39) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // Gone meanwhile.
    }
    const fields = statFields(stat, 4);
    if (fields[0] === "Z" || fields[2] === fields[3]) continue;
    const session = Number(fields[3]);
    const pids = bySession.get(session);
    if (pids) pids.push(Number(entry.name));
    else bySession.set(session, [Number(entry.name)]);
  }
  return bySession;
}

/**
 * Whether this process is in the foreground process group of its controlling terminal, from
 * `/proc/self/stat` (its process group, then the terminal's foreground group, `tpgid`).
 * Where that cannot be read (not Linux, no permission), taken to be.
 */
export function isForegroundJob(): boolean {
  // Asked once, never requested: the status line calls this every 100 ms, and a read of /proc
  // without the permission would prompt on the very terminal it draws on.
  statReadable ??= Deno.build.os === "linux" &&
    isGranted({ name: "read", path: "/proc/self/stat" });
  if (!statReadable) return true;
  let stat: string;
  try {
    stat = Deno.readTextFileSync("/proc/self/stat");
  } catch {
    return true;
  }
  const fields = statFields(stat, 6);
  const processGroup = Number(fields[2]), foregroundGroup = Number(fields[5]);
  return !(foregroundGroup > 0) || processGroup === foregroundGroup;
}

let statReadable: boolean | undefined;

/**
 * The first `count` fields of a `/proc/PID/stat` after the command name (which may hold
 * spaces and parentheses): state, ppid, pgrp, session, tty_nr, tpgid, …
 */
function statFields(stat: string, count: number): string[] {
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ", count);
}

/** Signals a process group (a negative pid) or a process, ignoring one that is already gone. */
export function signalGroup(group: number, signal: Deno.Signal): void {
  try {
    Deno.kill(group, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/**
 * Whether anything is left in the process group led by `leader` (zombies not yet reaped
 * count); `undefined` where it cannot be told: `Deno.kill` has no signal 0, so libc's `kill`
 * is asked, which needs FFI (granted with `-A`), on Linux.
 */
export function groupExists(leader: number): boolean | undefined {
  const kill = libc()?.kill;
  // Signal 0 only asks: it fails (ESRCH) once nothing is left in the group.
  return kill ? kill(-leader, 0) === 0 : undefined;
}

/**
 * Kills every live group when the process ends without the executors getting to do it.
 * `unload` covers the event loop running dry; `error` and `unhandledrejection` a crash (the
 * listeners do not prevent the crash, they only clean up first). `Deno.exit` dispatches
 * none of these, so callers of it kill the groups themselves first.
 */
function hookExit(): void {
  hooked = true;
  const killAll = (event: Event) => {
    // A listener before ours may have handled the error, and the process lives on.
    if (!event.defaultPrevented) signalProcessGroups("SIGKILL");
  };
  globalThis.addEventListener("unload", killAll);
  globalThis.addEventListener("error", killAll);
  globalThis.addEventListener("unhandledrejection", killAll);
}
