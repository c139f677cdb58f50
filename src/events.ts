/**
 * A run as an async iterable of its events, for consumers that prefer `for await` to a
 * callback.
 *
 * @module
 */

import { checkOptionsArgument, checkTasksArgument } from "./argument_checks.ts";
import type { TaskFile } from "./load.ts";
import { run, type RunOptions, type TaskInput } from "./run.ts";
import type { RunEvent } from "./types.ts";

/**
 * Output events kept for a slow consumer before later ones are dropped, by default.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_BUFFERED_OUTPUT, runEvents } from "@dagrun/dagrun";
 *
 * const events = runEvents([{ name: "a", type: "exec", arguments: "true" }], {
 *   maxBufferedOutput: DEFAULT_MAX_BUFFERED_OUTPUT * 10,
 * });
 * ```
 */
export const DEFAULT_MAX_BUFFERED_OUTPUT = 10_000;

/**
 * Options of {@linkcode runEvents}: those of {@linkcode run} but `onEvent`, and the bound on
 * buffered output.
 *
 * @example
 * ```ts
 * import type { RunEventsOptions } from "@dagrun/dagrun";
 *
 * const options: RunEventsOptions = { concurrency: 2, maxBufferedOutput: 1000 };
 * ```
 */
export interface RunEventsOptions extends Omit<RunOptions, "onEvent"> {
  /**
   * The most `output` events kept waiting for the consumer; past it, new ones are dropped and
   * counted in {@linkcode RunEventStream.droppedOutput}. Other events are never dropped
   * (there are at most two per task, plus two). 10,000 by default.
   */
  readonly maxBufferedOutput?: number;
}

/**
 * The events of one run, in order, ending with `run_ended`. It can be iterated once.
 *
 * @example
 * ```ts
 * import { runEvents } from "@dagrun/dagrun";
 *
 * const events = runEvents([{ name: "hello", type: "exec", arguments: "echo hello" }]);
 * for await (const event of events) console.log(event.event);
 * console.log(events.droppedOutput); // 0
 * ```
 */
export interface RunEventStream extends AsyncIterable<RunEvent> {
  /** How many `output` events were dropped because the consumer fell behind. */
  readonly droppedOutput: number;
}

/**
 * Runs tasks like {@linkcode run} and yields every event as it happens, ending after
 * `run_ended`, once the executors have been released.
 *
 * The scheduler does not wait for the consumer, so events wait in a buffer: at most
 * `maxBufferedOutput` `output` events, past which output is dropped (and counted) rather
 * than memory filled. Leaving the loop early (`break`, `return`, a throw) cancels the run:
 * running tasks are stopped and the loop's exit waits until they have.
 *
 * @example
 * ```ts
 * import { runEvents } from "@dagrun/dagrun";
 *
 * for await (
 *   const event of runEvents([
 *     { name: "build", type: "exec", arguments: "echo building" },
 *     { name: "test", type: "eval", arguments: "console.log(2 + 2)", dependencies: ["build"] },
 *   ])
 * ) {
 *   if (event.event === "output") console.log(`[${event.task}] ${event.text}`);
 *   if (event.event === "run_ended") console.log(event.ok ? "all ok" : "failed");
 * }
 * ```
 *
 * @throws {TaskFileError} from the first iteration when the tasks are invalid; nothing has
 * run then.
 * @throws {TypeError} at once for `tasks` that are neither an array nor a `TaskFile` (a file
 * name: see `loadTaskFile()`), options that are not an object, or an `onEvent` option (the
 * events are what it returns: iterate them, or call {@linkcode run} with the listener).
 */
export function runEvents(
  tasks: readonly TaskInput[] | TaskFile,
  options: RunEventsOptions = {},
): RunEventStream {
  // At the call, as for a bad maxBufferedOutput: run() would say it only at the first event.
  checkTasksArgument("runEvents", tasks);
  checkOptionsArgument("runEvents", options);
  // Its type leaves it out, but plain JavaScript can pass it: taken silently, the listener
  // would never be called.
  if ((options as { onEvent?: unknown }).onEvent !== undefined) {
    throw new TypeError(
      "runEvents() takes no onEvent option: iterate the events it returns instead " +
        "(for await (const event of runEvents(tasks)) ...), or call run(tasks, { onEvent })",
    );
  }
  const maxBuffered = options.maxBufferedOutput ?? DEFAULT_MAX_BUFFERED_OUTPUT;
  if (!(maxBuffered >= 0)) {
    throw new RangeError(
      `Cannot buffer events as 'maxBufferedOutput' must be a non-negative number: received ${maxBuffered}`,
    );
  }
  let dropped = 0;
  let started = false;
  const stream: RunEventStream = {
    get droppedOutput() {
      return dropped;
    },
    [Symbol.asyncIterator]() {
      if (started) throw new TypeError("Cannot iterate the events of a run twice");
      started = true;
      return iterate(tasks, options, maxBuffered, () => dropped++);
    },
  };
  return stream;
}

async function* iterate(
  tasks: readonly TaskInput[] | TaskFile,
  options: RunEventsOptions,
  maxBuffered: number,
  onDrop: () => void,
): AsyncGenerator<RunEvent, void, undefined> {
  const { maxBufferedOutput: _, ...runOptions } = options;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const buffer = new EventBuffer(maxBuffered, onDrop);
  let failure: { error: unknown } | undefined;
  const finished = run(tasks, { ...runOptions, signal, onEvent: (event) => buffer.push(event) })
    .then(() => {}, (error) => void (failure = { error }))
    .finally(() => buffer.wake());
  let ended = false;
  try {
    while (!ended) {
      const event = buffer.shift();
      if (event) {
        ended = event.event === "run_ended";
        yield event;
      } else if (failure) {
        throw failure.error;
      } else {
        await buffer.wait();
      }
    }
    await finished;
    if (failure) throw failure.error;
  } finally {
    if (!ended) stop.abort("cancelled");
    await finished;
  }
}

/** A FIFO of events with a bound on buffered output and a way to wait for the next one. */
class EventBuffer {
  readonly #events: (RunEvent | undefined)[] = [];
  #head = 0;
  #output = 0;
  #waiter: (() => void) | undefined;

  constructor(readonly maxOutput: number, readonly onDrop: () => void) {}

  push(event: RunEvent): void {
    if (event.event === "output") {
      if (this.#output >= this.maxOutput) return this.onDrop();
      this.#output++;
    }
    this.#events.push(event);
    this.wake();
  }

  shift(): RunEvent | undefined {
    if (this.#head === this.#events.length) return undefined;
    const event = this.#events[this.#head]!;
    this.#events[this.#head++] = undefined;
    if (event.event === "output") this.#output--;
    // Drop the consumed prefix now and then, so the array does not grow with the run.
    if (this.#head >= 1024 && this.#head * 2 >= this.#events.length) {
      this.#events.splice(0, this.#head);
      this.#head = 0;
    }
    return event;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiter = resolve);
  }

  wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
