/**
 * The signals this process was started with ignored (`nohup` ignores SIGHUP; a shell script
 * ignores SIGINT in the jobs it starts with `&`). A program leaves such a signal alone, as
 * make does: listening to it would undo what whoever started it asked for.
 *
 * @module
 */

import { libcFunction } from "../executors/libc.ts";
import { isGranted } from "./permissions.ts";

/** Where Linux says which signals the process ignores (`SigIgn`). */
const STATUS = "/proc/self/status";

let ignored: bigint | undefined;

/**
 * Whether `signal` (its number) was ignored when the process started. Read from
 * `/proc/self/status` at the first call, which must come before any listener of ours is
 * added; false where there is no such file, or no permission to read it.
 *
 * @example
 * ```ts
 * import { ignoredAtStart } from "./ignored_signals.ts";
 *
 * if (!ignoredAtStart(1)) Deno.addSignalListener("SIGHUP", () => {});
 * ```
 */
export function ignoredAtStart(signal: number): boolean {
  ignored ??= readIgnored();
  return (ignored & (1n << BigInt(signal - 1))) !== 0n;
}

function readIgnored(): bigint {
  // Queried, not read blindly: without read permission for it (`--allow-read=tasks.json`
  // rather than -A), Deno would prompt on a terminal before the run, as for no file the user
  // named. Nothing known is nothing ignored, as where there is no such file.
  if (!isGranted({ name: "read", path: STATUS })) return 0n;
  try {
    const line = Deno.readTextFileSync(STATUS).match(/^SigIgn:\s*([0-9a-f]+)/m);
    return line ? BigInt(`0x${line[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

/**
 * Ignores `signals` again, after Deno's first signal listener has set a handler for each of
 * SIGHUP, SIGINT and SIGTERM, whatever it was asked to listen to (so `nohup`'s SIGHUP would
 * end the run). Through libc's `signal()`, so only with FFI allowed, on Linux; elsewhere it
 * does nothing.
 */
export function ignoreAgain(signals: readonly number[]): void {
  if (signals.length === 0) return;
  // No libc to ask: the signal is heard as if it had not been ignored.
  const signal = libcFunction("signal");
  if (signal === undefined) return;
  const SIG_IGN = Deno.UnsafePointer.create(1n);
  for (const number of signals) signal.call(number, SIG_IGN);
}

/** The signals that end a run, and a wait for its input: Ctrl-C, `kill`, a closed terminal. */
export const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** One of {@linkcode ENDING_SIGNALS}. */
export type EndingSignal = typeof ENDING_SIGNALS[number];

const SIGNAL_NUMBERS: Readonly<Record<EndingSignal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
};

/** The exit status of a process `signal` ended, as a shell reports it: 128 + its number. */
export function exitStatusOf(signal: EndingSignal): number {
  return 128 + SIGNAL_NUMBERS[signal];
}

/**
 * Calls `onSignal` at each of {@linkcode ENDING_SIGNALS} until the returned function is
 * called. Started under `nohup`, SIGHUP stays ignored, as make leaves it: not listened to, and
 * ignored again once Deno's first listener has set handlers for all three. (SIGINT ignored at
 * start, as in a script's `&` job, is still heard: that is a shell's accident, not a request,
 * and Ctrl-C must work.)
 */
export function listenForEndingSignals(onSignal: (signal: EndingSignal) => void): () => void {
  const hangupIgnored = ignoredAtStart(SIGNAL_NUMBERS.SIGHUP);
  const listeners = ENDING_SIGNALS
    .filter((signal) => signal !== "SIGHUP" || !hangupIgnored)
    .map((signal) => {
      const listener = () => onSignal(signal);
      Deno.addSignalListener(signal, listener);
      return [signal, listener] as const;
    });
  if (hangupIgnored) ignoreAgain([SIGNAL_NUMBERS.SIGHUP]);
  return () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  };
}
