/**
 * The time this process has spent suspended (Ctrl-Z, then `fg`), so that a task's duration and
 * its time limit count only the time it could run: a run suspended over lunch resumes where it
 * was, rather than failing every running task as timed out and recording its suspended hour as
 * a task's duration. Only the command line suspends a run (`src/job_control.ts`); for a
 * library user the total stays 0.
 *
 * @module
 */

import { MAX_DURATION_MS } from "./duration.ts";
import { describeValue } from "./errors.ts";

let suspendedTotalMs = 0;

/**
 * A wait given as an option, checked: 0 or more milliseconds, `Infinity` (or anything past a
 * timer's range, see {@linkcode RunningTimeout}) for no limit; `defaultMs` when not given.
 *
 * @throws {TypeError} for a value that is not a number.
 * @throws {RangeError} for a negative number or NaN, which a timer would take as 1 ms.
 */
export function checkedWaitMs(name: string, ms: number | undefined, defaultMs: number): number {
  if (ms === undefined) return defaultMs;
  if (typeof ms !== "number") {
    throw new TypeError(`${name} must be a number of milliseconds, not ${describeValue(ms)}`);
  }
  if (!(ms >= 0)) {
    throw new RangeError(
      `${name} must be a number of milliseconds from 0 (Infinity: no limit), not ${ms}`,
    );
  }
  return ms;
}

/** Milliseconds this process has spent suspended so far, in all. */
export function suspendedMs(): number {
  return suspendedTotalMs;
}

/**
 * The clock of running time, in ms: `performance.now()` less the time spent suspended, so
 * that the time between two readings counts only what the process could run.
 */
export function runningNow(): number {
  return performance.now() - suspendedTotalMs;
}

/** Adds a suspension that has just ended, lasting `ms`. */
export function addSuspendedTime(ms: number): void {
  if (ms > 0) suspendedTotalMs += ms;
}

/**
 * A one-shot timer that fires once `ms` of the process's running time have passed: time spent
 * suspended meanwhile is not counted. (A plain timer counts wall time, and fires at once on
 * resuming if the suspension outlasted it.) A delay past {@linkcode MAX_DURATION_MS}, `Infinity`
 * included, never fires, where a plain timer would fire at once (with Deno's
 * `TimeoutOverflowWarning`).
 *
 * @example
 * ```ts
 * import { RunningTimeout } from "./suspension.ts";
 * const timeout = new RunningTimeout(() => console.log("time is up"), 1_000);
 * timeout.clear();
 * ```
 */
export class RunningTimeout {
  readonly #callback: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #suspendedAtArming = suspendedTotalMs;
  /** When it is due, on the clock of running time (wall time less the time suspended). */
  readonly #dueAt: number;

  /** Starts the timer. */
  constructor(callback: () => void, ms: number) {
    this.#callback = callback;
    this.#dueAt = runningNow() + ms;
    if (ms <= MAX_DURATION_MS) this.#timer = setTimeout(this.#fire, ms);
  }

  /** Stops it; harmless once it has fired. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #fire = () => {
    // The suspension ended before this callback could run (job_control.ts adds it as the
    // process resumes, in the same turn), so its length is known. The wall-clock timer may
    // have come due during it, and then fires as the process resumes: what is left is the
    // running time still owed, not the suspension's length.
    if (suspendedTotalMs !== this.#suspendedAtArming) {
      this.#suspendedAtArming = suspendedTotalMs;
      const left = this.#dueAt - runningNow();
      if (left > 0) {
        this.#timer = setTimeout(this.#fire, left);
        return;
      }
    }
    this.#callback();
  };
}
