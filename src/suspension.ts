/**
 * The time this process has spent suspended (Ctrl-Z, then `fg`), so that a task's duration and
 * its time limit count only the time it could run: a run suspended over lunch resumes where it
 * was, rather than failing every running task as timed out and recording its suspended hour as
 * a task's duration. Only the command line suspends a run (`src/job_control.ts`); for a
 * library user the total stays 0.
 *
 * @module
 */

let suspendedTotalMs = 0;

/** Milliseconds this process has spent suspended so far, in all. */
export function suspendedMs(): number {
  return suspendedTotalMs;
}

/** Adds a suspension that has just ended, lasting `ms`. */
export function addSuspendedTime(ms: number): void {
  if (ms > 0) suspendedTotalMs += ms;
}

/**
 * A one-shot timer that fires once `ms` of the process's running time have passed: time spent
 * suspended meanwhile is not counted. (A plain timer counts wall time, and fires at once on
 * resuming if the suspension outlasted it.)
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
  #timer: ReturnType<typeof setTimeout>;
  #suspendedAtArming = suspendedTotalMs;

  /** Starts the timer. */
  constructor(callback: () => void, ms: number) {
    this.#callback = callback;
    this.#timer = setTimeout(this.#fire, ms);
  }

  /** Stops it; harmless once it has fired. */
  clear(): void {
    clearTimeout(this.#timer);
  }

  #fire = () => {
    // The suspension ended before this callback could run (job_control.ts adds it as the
    // process resumes, in the same turn), so its length is known: wait that much more.
    const owed = suspendedTotalMs - this.#suspendedAtArming;
    if (owed > 0) {
      this.#suspendedAtArming = suspendedTotalMs;
      this.#timer = setTimeout(this.#fire, owed);
      return;
    }
    this.#callback();
  };
}
